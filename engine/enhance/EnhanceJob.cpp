#include "enhance/EnhanceJob.h"

#include "base/EngineError.h"
#include "base/Text.h"
#include "enhance/RowEnhancement.h"
#include "enhance/RunModels.h"
#include "io/AtomicFile.h"
#include "io/FileDigest.h"
#include "io/FileLock.h"
#include "nn/ThreadPolicy.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iterator>
#include <optional>

namespace mri {

namespace {

std::vector<std::size_t> selectRows(const Dataset &dataset, const EnhanceOptions &options)
{
    std::vector<std::size_t> selected;
    if (!options.rowIndices.empty()) {
        for (const auto index : options.rowIndices) {
            if (index >= dataset.rows.size())
                throw EngineError("Row " + std::to_string(index + 1) + " does not exist in the dataset.");
            selected.push_back(index);
        }
    } else if (!options.patientIds.empty()) {
        for (const auto &id : options.patientIds) {
            bool found = false;
            for (std::size_t i = 0; i < dataset.rows.size(); ++i) {
                if (dataset.rows[i].patientId == id) {
                    selected.push_back(i);
                    found = true;
                }
            }
            if (!found)
                throw EngineError("Patient '" + id + "' is not in '" + (dataset.csvFile.empty() ? dataset.folder : dataset.csvFile).string() + "'.");
        }
    } else {
        for (std::size_t i = 0; i < dataset.rows.size(); ++i)
            selected.push_back(i);
    }
    std::sort(selected.begin(), selected.end());
    selected.erase(std::unique(selected.begin(), selected.end()), selected.end());
    return selected;
}

// A rerun of a part: rows of `selected` that the part's CSV lists as done by
// the same model, with their output present, are kept in `result` (skipped);
// returns the rows still to do. A malformed CSV is kept aside.
std::vector<std::size_t> keepFinishedShardRows(const Dataset &dataset, const std::filesystem::path &shardCsv,
                                               const std::vector<std::size_t> &selected, Verdict failOn,
                                               const EnhanceCallbacks &callbacks, EnhanceRunResult &result)
{
    std::error_code error;
    if (!std::filesystem::exists(shardCsv, error))
        return selected;
    std::vector<EnhancedRow> earlier;
    try {
        earlier = readMetricsCsv(dataset, shardCsv);
    } catch (const EngineError &problem) {
        result.notices.push_back(backUpMalformedCsv(shardCsv, withoutFullStop(problem.what())));
        if (callbacks.onMessage)
            callbacks.onMessage(result.notices.back());
        return selected;
    }
    std::vector<std::size_t> toDo;
    int otherModel = 0;
    for (const auto index : selected) {
        const auto &row = earlier[index];
        // A row this run's --fail-on would fail is redone, so that it fails the same way.
        const bool failsNow = failOn != Verdict::NotChecked && row.selfCheck.verdict >= failOn;
        if (row.done && row.modelSha256 == result.modelSha256 && !failsNow) {
            result.rows[index] = row;
            ++result.skipped;
            continue;
        }
        if (row.done)
            ++otherModel;
        toDo.push_back(index);
    }
    if (callbacks.onMessage) {
        if (result.skipped > 0)
            callbacks.onMessage("Keeping " + std::to_string(result.skipped) + " rows that an earlier run of this part "
                                "finished ('" + shardCsv.string() + "'); " + std::to_string(toDo.size()) + " to do.");
        if (otherModel > 0)
            callbacks.onMessage(std::to_string(otherModel) + " rows of '" + shardCsv.string()
                                + "' were made with another model; they are enhanced again.");
    }
    return toDo;
}

// Where a run writes, decided and checked before any work.
struct RunPlace
{
    std::vector<std::size_t> selected; // the rows asked for (with a part: those of the part)
    std::filesystem::path outputDir;
    std::filesystem::path metricsCsv;  // with a part: the part's own CSV
    std::vector<std::filesystem::path> targets; // every dataset row's output (planOutputPaths)
    bool writeCsv = true;
};

RunPlace planRun(const Dataset &dataset, const EnhanceOptions &options)
{
    checkContrastStep(options.contrast);
    RunPlace place;
    place.selected = selectRows(dataset, options);
    place.outputDir = options.outputDir.empty() ? defaultEnhancedDir(dataset) : options.outputDir;
    place.metricsCsv = options.metricsCsv.empty() ? defaultMetricsCsv(dataset) : options.metricsCsv;
    place.writeCsv = options.writeCsv || options.shard.has_value();
    if (options.shard) {
        const auto part = rowsOfShard(dataset, *options.shard);
        std::vector<std::size_t> inPart;
        std::set_intersection(place.selected.begin(), place.selected.end(), part.begin(), part.end(),
                              std::back_inserter(inPart));
        place.selected = inPart;
        place.metricsCsv = shardMetricsCsv(place.metricsCsv, *options.shard);
    }
    place.targets = planOutputPaths(dataset, place.outputDir);
    checkOutputsAreSafe(dataset, place.selected, place.outputDir, place.targets, place.metricsCsv, options,
                        place.writeCsv);
    return place;
}

// The output folders exist and may be written; temporary files a killed run left are gone.
void prepareFolders(const RunPlace &place)
{
    ensureWritableFolder(place.outputDir, "output folder");
    removeStaleTemporaryFiles(place.outputDir, true);
    if (place.writeCsv) {
        const auto csvFolder = place.metricsCsv.parent_path();
        ensureWritableFolder(csvFolder, "folder of the metrics CSV");
        removeStaleTemporaryFiles(csvFolder.empty() ? std::filesystem::path(".") : csvFolder);
    }
}

void tellBlindSpotPasses(const RunModels &models, const EnhanceCallbacks &callbacks)
{
    if (!models.denoiser || models.denoiser->blindSpotPasses() <= 1 || !callbacks.onMessage)
        return;
    const int side = 2 * models.denoiser->info().settings.n2vBlindRadius + 1;
    callbacks.onMessage("The model hides " + std::to_string(side) + "x" + std::to_string(side)
                        + " blind spots (noise correlated between pixels): every pixel is predicted with its own "
                          "blind spot hidden, as in training ("
                        + std::to_string(models.denoiser->blindSpotPasses()) + " network passes instead of one).");
}

EnhanceRunResult startResult(const Dataset &dataset, const EnhanceOptions &options, RunModels &models,
                             const RunPlace &place)
{
    EnhanceRunResult result;
    result.modelSha256 = sha256OfFile(options.modelFile);
    if (!options.resolutionModel.empty())
        result.modelSha256 += "+" + sha256OfFile(options.resolutionModel);
    result.device = models.first().deviceName();
    result.threads = useThreads(options.threads);
    result.rows.resize(dataset.rows.size());
    for (std::size_t i = 0; i < dataset.rows.size(); ++i)
        result.rows[i].rowIndex = i;
    result.requested = static_cast<int>(place.selected.size());
    return result;
}

// The row's work as SliceProgress for the caller; empty without a listener.
std::function<void(int, int)> rowProgressOf(const EnhanceCallbacks &callbacks, std::size_t index,
                                            const EnhanceProgress &progress)
{
    if (!callbacks.onSliceProgress)
        return {};
    SliceProgress slice;
    slice.rowIndex = index;
    slice.slice = progress.done + 1;
    slice.slices = progress.total;
    return [&callbacks, slice](int done, int total) mutable {
        slice.tilesDone = done;
        slice.tilesTotal = total;
        callbacks.onSliceProgress(slice);
    };
}

// --fail-on: a result the self-check marks this bad or worse is removed and
// the row fails (nothing for a pipeline to pass on).
void failOnSelfCheck(const EnhanceOptions &options, const std::filesystem::path &target, EnhancedRow &outcome)
{
    if (options.failOn == Verdict::NotChecked || outcome.selfCheck.verdict < options.failOn)
        return;
    outcome.done = false;
    std::error_code error;
    std::filesystem::remove_all(target, error);
    throw EngineError("the self-check marked its result " + verdictText(outcome.selfCheck.verdict) + " ("
                      + outcome.selfCheck.reason + "), which this run counts as failed; "
                      + (error ? "its result '" + target.string() + "' could not be removed (" + error.message() + ")"
                               : std::string("the result was removed")));
}

// One row into `outcome`: done, or failed with its sentence. False when cancelled.
bool runRow(RunModels &models, const Dataset &dataset, std::size_t index, const RunPlace &place, SlicePlane plane,
            const EnhanceOptions &options, const std::function<void(int, int)> &progress,
            const std::atomic_bool &cancel, EnhancedRow &outcome)
{
    const auto &row = dataset.rows[index];
    try {
        if (!enhanceRow(models, row, place.targets[index], plane, options, progress, cancel, outcome))
            return false;
        outcome.done = true;
        outcome.enhancedImage = std::filesystem::absolute(place.targets[index]).lexically_normal();
        failOnSelfCheck(options, place.targets[index], outcome);
    } catch (const std::exception &error) {
        // EngineError is a sentence already; anything else (OpenCV, LibTorch,
        // memory) still fails only this row.
        outcome.done = false;
        outcome.error = withoutFullStop(dynamic_cast<const EngineError *>(&error)
                                            ? std::string(error.what())
                                            : "enhancing " + dataset.describeRow(index) + " failed: "
                                                + firstLine(error.what()));
    }
    return true;
}

// After the last row: the run's notices, the metrics CSV (merged under its
// lock, or the part's own) and the per-slice CSV.
void finishRun(const Dataset &dataset, const EnhanceOptions &options, const RunPlace &place, SlicePlane plane,
               const EnhanceCallbacks &callbacks, const std::vector<bool> &attempted, EnhanceRunResult &result)
{
    for (const auto &notice : {describeMeasuredNoise(result.rows), describeSelfChecks(dataset, result.rows)}) {
        if (notice.empty())
            continue;
        result.notices.push_back(notice);
        if (callbacks.onMessage)
            callbacks.onMessage(notice);
    }
    if (options.shard) {
        writeCsvFileAtomically(place.metricsCsv, buildMetricsTable(dataset, result.rows, place.metricsCsv));
        result.metricsCsv = place.metricsCsv;
    } else if (options.writeCsv) {
        mergeAndWriteMetrics(dataset, result.rows, attempted, place.metricsCsv, callbacks.onMessage, result.notices);
        result.metricsCsv = place.metricsCsv;
    }
    if (!options.perSliceCsv.empty())
        writePerSliceCsv(dataset, result.rows, plane, options.perSliceCsv);
}

} // namespace

EnhanceRunResult enhanceDataset(const Dataset &dataset, const EnhanceOptions &options, const EnhanceCallbacks &callbacks,
                                const std::atomic_bool &cancel)
{
    const RunPlace place = planRun(dataset, options);
    auto models = loadModels(options);
    tellBlindSpotPasses(models, callbacks);
    const SlicePlane plane = options.plane.value_or(models.first().info().settings.slicePlane);
    prepareFolders(place);
    EnhanceRunResult result = startResult(dataset, options, models, place);
    std::vector<bool> attempted(dataset.rows.size(), false);

    // A part holds its CSV's lock for the whole run (a second task on the same
    // part waits) and keeps what an earlier run of it finished.
    std::optional<FileLock> shardLock;
    auto toDo = place.selected;
    if (options.shard) {
        shardLock.emplace(place.metricsCsv, [&] {
            if (callbacks.onMessage)
                callbacks.onMessage("Waiting for another run of part " + shardName(*options.shard) + " that is writing '"
                                    + place.metricsCsv.string() + "'.");
        });
        toDo = keepFinishedShardRows(dataset, place.metricsCsv, place.selected, options.failOn, callbacks, result);
    }

    const auto start = std::chrono::steady_clock::now();
    EnhanceProgress progress;
    progress.total = static_cast<int>(toDo.size());
    for (const auto index : toDo) {
        if (cancel) {
            result.cancelled = true;
            break;
        }
        const auto rowProgress = rowProgressOf(callbacks, index, progress);
        if (rowProgress)
            setTileProgress(models, rowProgress);
        EnhancedRow outcome;
        outcome.rowIndex = index;
        outcome.modelSha256 = result.modelSha256;
        const auto rowStart = std::chrono::steady_clock::now();
        if (!runRow(models, dataset, index, place, plane, options, rowProgress, cancel, outcome)) {
            result.cancelled = true;
            break;
        }
        if (outcome.done) {
            ++result.succeeded;
        } else {
            ++result.failed;
            ++progress.failed;
        }
        outcome.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - rowStart).count();
        result.rows[index] = outcome;
        attempted[index] = true;
        if (options.shard) // after every row: a crash or a preemption loses at most the row in work
            writeCsvFileAtomically(place.metricsCsv, buildMetricsTable(dataset, result.rows, place.metricsCsv));
        ++progress.done;
        progress.elapsedSeconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        progress.etaSeconds = progress.elapsedSeconds / progress.done * (progress.total - progress.done);
        if (callbacks.onRow)
            callbacks.onRow(result.rows[index]);
        if (callbacks.onProgress)
            callbacks.onProgress(progress);
    }
    result.elapsedSeconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    finishRun(dataset, options, place, plane, callbacks, attempted, result);
    return result;
}

std::string describeMeasuredNoise(const std::vector<EnhancedRow> &rows)
{
    std::vector<double> sigmas;
    std::vector<double> coils;
    std::vector<double> correlations;
    // The widest range of the volumes' noise maps (1 and 1: one level everywhere).
    double lowestLevel = 1.0;
    double highestLevel = 1.0;
    for (const auto &row : rows) {
        if (!row.done)
            continue;
        sigmas.push_back(row.noise.sigma);
        coils.push_back(row.noise.coils);
        lowestLevel = std::min(lowestLevel, row.noiseLevelMinimum);
        highestLevel = std::max(highestLevel, row.noiseLevelMaximum);
        if (!row.noise.correlation.empty())
            correlations.push_back(row.noise.correlation.front());
    }
    if (sigmas.empty())
        return {};
    const auto median = [](std::vector<double> values) {
        const auto middle = values.begin() + static_cast<std::ptrdiff_t>(values.size() / 2);
        std::nth_element(values.begin(), middle, values.end());
        return *middle;
    };
    char text[200];
    std::snprintf(text, sizeof text, "Noise in the slices' background (median of %zu): sigma %.1f %% of the range, %g coil%s",
                  sigmas.size(), 100.0 * median(sigmas), median(coils), median(coils) == 1.0 ? "" : "s");
    std::string sentence = text;
    if (!correlations.empty()) {
        std::snprintf(text, sizeof text, ", correlation between neighbouring pixels %.2f", median(correlations));
        sentence += text;
    }
    if (lowestLevel < 1.0 || highestLevel > 1.0) {
        std::snprintf(text, sizeof text, "; its level varies over the field of view, %.2f to %.2f times that",
                      lowestLevel, highestLevel);
        sentence += text;
    }
    return sentence + ".";
}

std::string describeSelfChecks(const Dataset &dataset, const std::vector<EnhancedRow> &rows)
{
    int checked = 0;
    std::vector<const EnhancedRow *> flagged;
    for (const auto &row : rows) {
        if (!row.done || row.selfCheck.verdict == Verdict::NotChecked)
            continue;
        ++checked;
        if (row.selfCheck.verdict != Verdict::Ok)
            flagged.push_back(&row);
    }
    if (flagged.empty())
        return {};
    // Suspect ones first.
    std::stable_sort(flagged.begin(), flagged.end(), [](const EnhancedRow *a, const EnhancedRow *b) {
        return a->selfCheck.verdict > b->selfCheck.verdict;
    });
    std::string sentence = std::to_string(flagged.size()) + " of " + std::to_string(checked) + " result"
        + (checked == 1 ? "" : "s") + (flagged.size() == 1 ? " needs" : " need") + " a look: ";
    const std::size_t named = std::min<std::size_t>(flagged.size(), 5);
    for (std::size_t i = 0; i < named; ++i) {
        const auto &row = *flagged[i];
        const auto &patient = dataset.rows.at(row.rowIndex).patientId;
        const std::string who = patient.empty() ? "row " + std::to_string(row.rowIndex + 1) : patient;
        sentence += (i ? ", " : "") + who + " (" + verdictText(row.selfCheck.verdict)
            + ": " + row.selfCheck.reason + ")";
    }
    if (flagged.size() > named)
        sentence += " and " + std::to_string(flagged.size() - named) + " more (the metrics CSV's verdict column)";
    return sentence + ".";
}

} // namespace mri
