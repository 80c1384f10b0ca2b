#include "enhance/EnhanceJob.h"

#include "base/EngineError.h"
#include "base/Text.h"
#include "dataset/OutputPolicy.h"
#include "dataset/ResultsLocation.h"
#include "enhance/Enhancer.h"
#include "enhance/SuperResolution.h"
#include "image/NeighbourSlices.h"
#include "image/Resampling.h"
#include "io/AtomicFile.h"
#include "io/DicomSeries.h"
#include "io/FileDigest.h"
#include "io/FileLock.h"
#include "io/ImageIO.h"
#include "io/NiftiFile.h"
#include "io/ScanVolume.h"
#include "nn/ThreadPolicy.h"
#include "quality/Metrics.h"
#include "quality/NoiseMap.h"
#include "quality/TissueContrast.h"
#include "quality/VolumeMetrics.h"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <iterator>
#include <map>
#include <optional>
#include <set>

namespace mri {

namespace {

const std::vector<std::string> &resultColumns()
{
    // The self-check's columns last: readers that go by position keep theirs.
    static const std::vector<std::string> columns = [] {
        std::vector<std::string> names{"enhanced_image_path", "PSNR", "SSIM", "CNR", "contrast", "data_range",
                                       "slices", "format", "scale", "upsampled_along", "metrics_grid",
                                       "model_sha256", "error"};
        names.insert(names.end(), selfCheckColumns().begin(), selfCheckColumns().end());
        return names;
    }();
    return columns;
}

// "x y" (a picture, both axes), "x", "y" or "z" (a volume's array axis); "" at scale 1.
std::string upsampledAlongText(const EnhancedRow &row)
{
    if (row.scale <= 1)
        return {};
    static const char *const kAxes[] = {"x", "y", "z"};
    return row.upsampledAxis < 0 || row.upsampledAxis > 2 ? "x y" : kAxes[row.upsampledAxis];
}

int upsampledAxisOf(const std::string &text)
{
    return text == "x" ? 0 : text == "y" ? 1 : text == "z" ? 2 : -1;
}

// The folder that image_path values are relative to.
std::filesystem::path pathBase(const Dataset &dataset)
{
    return dataset.csvFile.empty() ? dataset.folder : dataset.csvFile.parent_path();
}

// A path for comparisons: absolute, normal, symbolic links resolved where they exist.
std::filesystem::path comparable(const std::filesystem::path &path)
{
    std::error_code error;
    auto canonical = std::filesystem::weakly_canonical(std::filesystem::absolute(path, error), error);
    return error ? std::filesystem::absolute(path).lexically_normal() : canonical;
}

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

std::string firstLine(const std::string &text)
{
    return text.substr(0, text.find('\n'));
}

bool samePath(const std::filesystem::path &a, const std::filesystem::path &b)
{
    return !a.empty() && !b.empty() && comparable(a) == comparable(b);
}

// Refuses, before any work, a run that would write over something the user
// gave us (OutputPolicy: an input, the ground truth, the dataset's table, the
// models), put results into a folder of inputs, or give two rows one output.
void checkOutputsAreSafe(const Dataset &dataset, const std::vector<std::size_t> &selected,
                         const std::filesystem::path &outputDir, const std::vector<std::filesystem::path> &targets,
                         const std::filesystem::path &metricsCsv, const EnhanceOptions &options, bool writeCsv)
{
    OutputPolicy policy;
    policy.protectDataset(dataset);
    policy.protectFile(options.modelFile, "the model file");
    policy.protectFile(options.resolutionModel, "the resolution model file");
    std::set<std::filesystem::path> inputFolders;
    for (std::size_t i = 0; i < dataset.rows.size(); ++i) {
        if (dataset.rows[i].imagePathText.empty())
            continue;
        const auto input = comparable(dataset.rows[i].imagePath);
        inputFolders.insert(input.parent_path());
        std::error_code folderError;
        if (std::filesystem::is_directory(input, folderError))
            inputFolders.insert(input); // a DICOM series: its folder holds the input files
        if (const auto clean = cleanImagePathOf(dataset, i); !clean.empty())
            inputFolders.insert(comparable(clean).parent_path());
    }
    std::map<std::filesystem::path, std::size_t> writer; // output -> first row writing it
    for (const auto index : selected) {
        const auto [other, inserted] = writer.emplace(comparable(targets[index]), index);
        if (!inserted && !samePath(dataset.rows[other->second].imagePath, dataset.rows[index].imagePath))
            throw EngineError(dataset.describeRow(index) + " and " + dataset.describeRow(other->second)
                              + " would both be written to '" + targets[index].string() + "'.");
        std::error_code folderError;
        if (inserted && std::filesystem::is_directory(targets[index], folderError))
            policy.addOutputFolder(targets[index], "the output of " + dataset.describeRow(index)); // a derived series
        else if (inserted)
            policy.addOutput(targets[index], "the output of " + dataset.describeRow(index));
    }
    if (writeCsv)
        policy.addOutput(metricsCsv, "the metrics CSV");
    policy.addOutput(options.perSliceCsv, "the per-slice CSV");
    for (const auto &[file, what] : options.otherOutputs)
        policy.addOutput(file, what);
    policy.check();
    // Neither the output folder nor a folder made below it may hold inputs.
    const auto top = comparable(outputDir);
    for (const auto &[target, index] : writer) {
        for (auto folder = target.parent_path(); !folder.empty(); folder = folder.parent_path()) {
            if (inputFolders.count(folder))
                throw EngineError("The output folder '" + outputDir.string()
                                  + "' holds input images; choose a folder of its own for the results.");
            if (folder == top || folder == folder.parent_path())
                break;
        }
    }
}

// The header of the metrics CSV: every input column, then ours. A user's column
// named like one of ours (in any case) keeps its values under "<name>_input".
std::vector<std::string> metricsColumns(const Dataset &dataset)
{
    std::set<std::string> taken;
    for (const auto &column : resultColumns())
        taken.insert(lowerCase(column));
    std::vector<std::string> columns;
    for (const auto &column : dataset.columns) {
        std::string name = column;
        while (taken.count(lowerCase(name)))
            name += "_input";
        taken.insert(lowerCase(name));
        columns.push_back(name);
    }
    columns.insert(columns.end(), resultColumns().begin(), resultColumns().end());
    return columns;
}

// An unreadable earlier metrics CSV is kept under a backup name, never dropped.
std::string backUpMalformedCsv(const std::filesystem::path &metricsCsv, const std::string &problem)
{
    char stamp[32];
    const std::time_t now = std::time(nullptr);
    std::strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", std::localtime(&now));
    auto backup = metricsCsv;
    backup += std::string(".malformed-") + stamp;
    std::error_code error;
    std::filesystem::rename(metricsCsv, backup, error);
    if (error)
        throw EngineError("The earlier metrics CSV '" + metricsCsv.string() + "' is malformed (" + problem
                          + ") and could not be kept aside: " + error.message() + ".");
    return "The earlier metrics CSV was malformed (" + problem + "); it was kept as '" + backup.string()
        + "' and a new one was written.";
}

std::string withoutFullStop(std::string text)
{
    if (!text.empty() && text.back() == '.')
        text.pop_back();
    return text;
}

// Under the lock: the CSV as it is now (other runs may have added rows), with
// this run's rows in place of theirs.
void mergeAndWriteMetrics(const Dataset &dataset, std::vector<EnhancedRow> &rows, const std::vector<bool> &attempted,
                          const std::filesystem::path &metricsCsv, const EnhanceCallbacks &callbacks,
                          std::vector<std::string> &notices)
{
    if (isStreamOrNode(metricsCsv)) { // /dev/stdout: nothing to merge with, no lock beside it
        writeMetricsCsv(dataset, rows, metricsCsv);
        return;
    }
    const FileLock lock(metricsCsv, [&] {
        if (callbacks.onMessage)
            callbacks.onMessage("Waiting for another run that is writing '" + metricsCsv.string() + "'.");
    });
    std::error_code error;
    if (std::filesystem::exists(metricsCsv, error)) {
        try {
            const auto current = readMetricsCsv(dataset, metricsCsv);
            for (std::size_t i = 0; i < rows.size(); ++i) {
                if (!attempted[i] && (current[i].done || !current[i].error.empty()))
                    rows[i] = current[i];
            }
        } catch (const EngineError &problem) {
            notices.push_back(backUpMalformedCsv(metricsCsv, withoutFullStop(problem.what())));
            if (callbacks.onMessage)
                callbacks.onMessage(notices.back());
        }
    }
    writeMetricsCsv(dataset, rows, metricsCsv);
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

// The series description of a derived DICOM series: what it was and what made it (64 characters at most).
std::string derivedDescription(const ScanVolume &volume, const std::filesystem::path &modelFile)
{
    std::string text = (volume.seriesDescription.empty() ? std::string("Series") : volume.seriesDescription)
        + " enhanced by " + modelFile.stem().string();
    return text.size() > 64 ? text.substr(0, 64) : text;
}

// The contrast step on a picture's result (8 or 16 bits, back in its depth);
// `cnr` receives the grey/white CNR of the returned image with the classes of
// `enhanced` (before the step).
cv::Mat contrastPicture(const cv::Mat &enhanced, const ContrastStep &step, double &cnr)
{
    cv::Mat result = enhanced;
    if (step.kind != ContrastKind::None)
        result = fromUnitFloat(applyContrast(toUnitFloat(enhanced), step), enhanced.depth());
    cnr = greyWhiteCnr(result, enhanced);
    return result;
}

// The contrast step on every slice of a volume along `plane`, on the
// network's unit scale (so MONOCHROME1 is stepped as displayed). Voxels
// without a value become numbers: the caller puts NaN back.
void contrastVolume(ScanVolume &volume, SlicePlane plane, const ValueRange &range, const ContrastStep &step)
{
    if (step.kind == ContrastKind::None)
        return;
    for (int frame = 0; frame < volume.size[3]; ++frame) {
        for (int index = 0; index < sliceCountOf(volume, plane); ++index) {
            const cv::Mat values = extractSlice(volume, plane, index, frame);
            insertSlice(volume, plane, index, frame,
                        fromNetworkUnit(applyContrast(toNetworkUnit(values, range), step), range));
        }
    }
}

// The models of a run: a denoiser, a super-resolution model after it, or either alone.
struct RunModels
{
    std::optional<Enhancer> denoiser;
    std::optional<Enhancer> upscaler;
    int scale = 1;
    std::string description; // for the files' descriptions: the model files' names

    // The model whose tile progress the user sees first.
    Enhancer &first() { return denoiser ? *denoiser : *upscaler; }
};

void setTileProgress(RunModels &models, const std::function<void(int, int)> &progress)
{
    if (models.denoiser)
        models.denoiser->setTileProgress(progress);
    if (models.upscaler)
        models.upscaler->setTileProgress(progress);
}

RunModels loadModels(const EnhanceOptions &options)
{
    RunModels models;
    auto first = Enhancer::load(options.modelFile);
    models.description = options.modelFile.filename().string();
    if (superResolutionScale(first.info()) > 1) {
        if (!options.resolutionModel.empty())
            throw EngineError("The model '" + options.modelFile.string()
                              + "' is a super-resolution model; give the denoising model first and the "
                                "super-resolution model second.");
        models.upscaler.emplace(std::move(first));
    } else {
        models.denoiser.emplace(std::move(first));
        if (!options.resolutionModel.empty()) {
            models.upscaler.emplace(Enhancer::load(options.resolutionModel));
            if (superResolutionScale(models.upscaler->info()) < 2)
                throw EngineError("The model '" + options.resolutionModel.string()
                                  + "' is not a super-resolution model (train one with the superres objective).");
            models.description += " + " + options.resolutionModel.filename().string();
        }
    }
    models.scale = models.upscaler ? superResolutionScale(models.upscaler->info()) : 1;
    const auto &upscalerFile = options.resolutionModel.empty() ? options.modelFile : options.resolutionModel;
    if (options.throughPlane && !models.upscaler)
        throw EngineError("Through-plane super-resolution needs a super-resolution model; '" + options.modelFile.string()
                          + "' denoises only.");
    if (options.throughPlane && models.upscaler->info().settings.superresAxes == 2)
        throw EngineError("The super-resolution model '" + upscalerFile.string()
                          + "' was trained on pictures (in-plane); through-plane needs one trained on volumes.");
    if (options.scale > 0 && options.scale != models.scale) {
        const auto &file = models.upscaler ? (options.resolutionModel.empty() ? options.modelFile : options.resolutionModel)
                                           : options.modelFile;
        throw EngineError(models.upscaler
                              ? "The super-resolution model '" + file.string() + "' was trained for x"
                                    + std::to_string(models.scale) + ", not x" + std::to_string(options.scale)
                                    + "; train one with superres_scale " + std::to_string(options.scale) + "."
                              : "A scale of " + std::to_string(options.scale) + " needs a super-resolution model; '"
                                    + file.string() + "' denoises only.");
    }
    return models;
}

// A model trained on volumes (one axis degraded) serves volumes, one trained
// on pictures (both axes) pictures: each learnt the other's blur only in part.
void checkUpscalerFits(const RunModels &models, bool volume, const std::filesystem::path &file,
                       const std::string &input)
{
    if (!models.upscaler)
        return;
    const int axes = models.upscaler->info().settings.superresAxes;
    if (volume && axes == 2)
        throw EngineError("The super-resolution model '" + file.string()
                          + "' was trained on pictures (in-plane); the volume '" + input
                          + "' needs one trained on volumes (through-plane).");
    if (!volume && axes == 1)
        throw EngineError("The super-resolution model '" + file.string()
                          + "' was trained on volumes (through-plane); the picture '" + input
                          + "' needs one trained on pictures (in-plane).");
}

// Every slice along `plane` through the denoiser (one scale for the whole
// volume). Empty when cancelled.
// Puts the input's non-finite voxels (NaN, Inf) back into `result`, which
// lies on the input's grid or on one `factor` times finer along `axis`.
void restoreNonFiniteVoxels(const ScanVolume &input, ScanVolume &result, int axis, int factor)
{
    if (std::all_of(input.voxels.begin(), input.voxels.end(), [](float v) { return std::isfinite(v); }))
        return;
    const auto &in = input.size;
    const auto &out = result.size;
    for (int t = 0; t < in[3]; ++t)
        for (int z = 0; z < out[2]; ++z)
            for (int y = 0; y < out[1]; ++y)
                for (int x = 0; x < out[0]; ++x) {
                    const int source[3] = {axis == 0 ? x / factor : x, axis == 1 ? y / factor : y,
                                           axis == 2 ? z / factor : z};
                    const float value = input.voxels[((static_cast<std::size_t>(t) * in[2] + source[2]) * in[1]
                                                      + source[1]) * in[0] + source[0]];
                    if (!std::isfinite(value))
                        result.voxels[((static_cast<std::size_t>(t) * out[2] + z) * out[1] + y) * out[0] + x] = value;
                }
}

std::optional<ScanVolume> denoiseVolume(Enhancer &enhancer, const ScanVolume &volume, SlicePlane plane, bool noiseMap,
                                        const std::function<void(int, int)> &progress, int workBefore, int workTotal,
                                        const std::atomic_bool &cancel, EnhancedRow &outcome)
{
    const auto range = networkRangeOf(volume);
    const int count = sliceCountOf(volume, plane);
    ScanVolume enhanced = volume;
    int done = workBefore;
    for (int frame = 0; frame < volume.size[3]; ++frame) {
        // The frame's slices scaled once: a 2.5-D network reads each slice's neighbours too.
        std::vector<cv::Mat> unit(static_cast<std::size_t>(count));
        for (int index = 0; index < count; ++index)
            unit[static_cast<std::size_t>(index)] = toNetworkUnit(extractSlice(volume, plane, index, frame), range);
        // The network on every slice first; then one noise floor for the frame
        // (poolFloorMeasures()), which slices without background of their own need.
        std::vector<cv::Mat> predicted(static_cast<std::size_t>(count));
        std::vector<FloorMeasure> measures(static_cast<std::size_t>(count));
        for (int index = 0; index < count; ++index, ++done) {
            if (progress) {
                enhancer.setTileProgress([&progress, done, workTotal](int tiles, int tilesTotal) {
                    progress(done * tilesTotal + tiles, workTotal * tilesTotal);
                });
            }
            const auto slot = static_cast<std::size_t>(index);
            predicted[slot] = enhancer.predictUnit(unit[slot], neighboursOf(unit, index, enhancer.neighbourSlices()), &cancel);
            if (predicted[slot].empty())
                return std::nullopt;
            measures[slot] = measureFloor(predicted[slot], unit[slot], enhancer.noiseCoils(),
                                          enhancer.ricianCorrection() && enhancer.smoothFloorRemoval());
        }
        const FloorMeasure pooled = poolFloorMeasures(measures);
        // Where the noise level varies over the field of view (parallel imaging), the
        // floor follows it; the residual measures it only for pixel-independent noise.
        const bool mapped = noiseMap && enhancer.ricianCorrection() && enhancer.smoothFloorRemoval()
            && pooled.noise.blindSpotRadius == 0;
        const NoiseMap levels = mapped ? NoiseMap::estimateVolume(predicted, unit, pooled) : NoiseMap();
        if (frame == 0) {
            outcome.noise = pooled.noise;
            outcome.noiseLevelMinimum = levels.minimum();
            outcome.noiseLevelMaximum = levels.maximum();
        }
        for (int index = 0; index < count; ++index) {
            const auto slot = static_cast<std::size_t>(index);
            // The frame's noise level, floor and prediction error for every slice: a slice's own
            // error, from the upper tail of a few thousand background pixels, varied threefold
            // between Colin27's slices and flattened faint tissue where it was large.
            if (enhancer.ricianCorrection())
                removeMeasuredFloor(predicted[slot], pooled, levels.slice(index, predicted[slot].size()));
            insertSlice(enhanced, plane, index, frame, fromNetworkUnit(predicted[slot], range));
            predicted[slot].release();
        }
    }
    enhancer.setTileProgress({});
    return enhanced;
}

// Enhances a volume row: denoised along `plane`, then (with a super-resolution
// model) up-sampled along the plane's slice axis, then the contrast step; written in the input's
// format (NIfTI float on the finer grid), then scored on the volume as written,
// brought back to the input's grid when it changed. False when cancelled.
bool enhanceVolumeRow(RunModels &models, const DatasetRow &row, const std::filesystem::path &target,
                      SlicePlane plane, const EnhanceOptions &options, const std::function<void(int, int)> &progress,
                      const std::atomic_bool &cancel, EnhancedRow &outcome)
{
    const ScanVolume volume = readScan(row.imagePath, row.seriesUid);
    if (volume.format == ScanFormat::Dicom)
        checkDerivedDicomWritable(volume); // why the output could not be written: before the work
    // The volume's SSIM (VolumeMetrics.h) needs 7x7 in x and y; say so before the work and the output.
    if (volume.size[0] < 7 || volume.size[1] < 7)
        throw EngineError("The volume '" + row.imagePath.string() + "' is " + std::to_string(volume.size[0]) + "x"
                          + std::to_string(volume.size[1])
                          + " voxels across, smaller than the 7x7 window that SSIM needs");
    const auto range = networkRangeOf(volume);
    const int axis = sliceAxisOf(volume, plane);
    checkUpscalerFits(models, true, options.resolutionModel.empty() ? options.modelFile : options.resolutionModel,
                      row.imagePath.string());
    if (models.upscaler && volume.format != ScanFormat::Nifti)
        throw EngineError("Super-resolution writes NIfTI volumes; the DICOM series '" + row.imagePath.string()
                          + "' can be converted to NIfTI first (for example with dcm2niix)");
    const int count = sliceCountOf(volume, plane);
    const int denoiseWork = models.denoiser ? count * volume.size[3] : 0;
    int upscaleWork = 0;
    if (models.upscaler) {
        for (int a = 0; a < 3; ++a)
            upscaleWork += a == axis ? 0 : volume.size[static_cast<std::size_t>(a)] * volume.size[3];
    }
    const int totalWork = denoiseWork + upscaleWork;
    ScanVolume enhanced = volume;
    if (models.denoiser) {
        auto denoised = denoiseVolume(*models.denoiser, volume, plane, options.noiseMap, progress, 0, totalWork,
                                      cancel, outcome);
        if (!denoised)
            return false;
        enhanced = std::move(*denoised);
    }
    // Voxels without a finite value (NaN outside a resampled field of view, an
    // Inf) were background to the network; they are written back as they were.
    const auto keepNan = [&] { restoreNonFiniteVoxels(volume, enhanced, -1, 1); };
    keepNan();
    if (models.denoiser) {
        outcome.selfCheck = checkEnhancement(volume, enhanced, outcome.noise.coils);
        if (!options.perSliceCsv.empty()) {
            // Each slice with the volume's noise level (a slice may have no background of its own).
            for (int frame = 0; frame < volume.size[3]; ++frame)
                for (int index = 0; index < count; ++index)
                    outcome.sliceChecks.push_back(checkEnhancement(
                        std::vector<cv::Mat>{extractSlice(volume, plane, index, frame)},
                        std::vector<cv::Mat>{extractSlice(enhanced, plane, index, frame)}, outcome.selfCheck.noiseCoils,
                        outcome.selfCheck.noiseSigma));
        }
    }
    const cv::Mat classes = sampleVoxels(enhanced); // the tissue classes: before the contrast step
    const std::string description = "MRI Enhance Studio: " + models.description;
    if (models.upscaler) {
        auto sharp = superResolveVolume(*models.upscaler, enhanced, axis, range, &cancel, [&](int done, int) {
            if (progress)
                progress(denoiseWork + done, totalWork);
        });
        if (!sharp)
            return false;
        // The contrast step last, on the finer grid.
        contrastVolume(*sharp, plane, range, options.contrast);
        restoreNonFiniteVoxels(volume, *sharp, axis, models.scale);
        // Float: the finer grid's values lie between the input's levels.
        writeNiftiVolume(*sharp, target, description, kNiftiFloat32);
        outcome.scale = models.scale;
        outcome.upsampledAxis = axis;
    } else {
        if (options.contrast.kind != ContrastKind::None) {
            contrastVolume(enhanced, plane, range, options.contrast);
            keepNan();
        }
        if (volume.format == ScanFormat::Nifti)
            writeNiftiLike(row.imagePath, enhanced, target, description);
        else
            writeDerivedDicomSeries(volume, enhanced, target, derivedDescription(volume, options.modelFile));
    }
    // Scored as written (integer formats round the values), on the input's grid.
    ScanVolume written = readScan(target);
    if (outcome.scale > 1)
        written = degradeVolumeAlongAxis(written, axis, outcome.scale, SliceProfile::Area);
    const auto metrics = compareVolumes(volume, written);
    if (std::isnan(metrics.psnr) || std::isnan(metrics.ssim))
        throw EngineError("The enhanced volume '" + target.string() + "' of '" + row.imagePath.string()
                          + "' could not be scored: its PSNR or SSIM is not a number");
    outcome.psnr = metrics.psnr;
    outcome.ssim = metrics.ssim;
    outcome.cnr = greyWhiteCnr(sampleVoxels(written), classes);
    outcome.contrast = contrastStepText(options.contrast);
    outcome.format = scanFormatName(volume.format);
    outcome.dataRange = volume.dataRange;
    outcome.slices = count * volume.size[3];
    outcome.slicesPerVolume = count;
    if (!options.perSliceCsv.empty()) {
        for (int frame = 0; frame < volume.size[3]; ++frame) {
            for (int index = 0; index < count; ++index) {
                const cv::Mat original = extractSlice(volume, plane, index, frame);
                const cv::Mat result = extractSlice(written, plane, index, frame);
                QualityMetrics slice;
                slice.psnr = peakSignalNoiseRatio(original, result, volume.dataRange);
                slice.ssim = original.rows >= 7 && original.cols >= 7
                    ? structuralSimilarity(original, result, volume.dataRange)
                    : std::numeric_limits<double>::quiet_NaN();
                outcome.sliceMetrics.push_back(slice);
            }
        }
    }
    return true;
}

// A picture: denoised, then (with a super-resolution model) up-sampled
// in-plane, then the contrast step; scored against the input on its grid.
// Empty when cancelled.
cv::Mat enhancePicture(RunModels &models, const cv::Mat &original, const ContrastStep &contrast,
                       const std::atomic_bool &cancel, EnhancedRow &outcome, const std::filesystem::path &upscalerFile,
                       const std::string &input)
{
    checkUpscalerFits(models, false, upscalerFile, input);
    cv::Mat enhanced = original;
    if (models.denoiser) {
        enhanced = models.denoiser->enhance(original, &cancel, &outcome.noise);
        if (enhanced.empty())
            return {};
        outcome.selfCheck = checkEnhancement(std::vector<cv::Mat>{original}, std::vector<cv::Mat>{enhanced},
                                             outcome.noise.coils);
    }
    if (models.upscaler) {
        const cv::Mat sharp = superResolveUnit(*models.upscaler, toUnitFloat(enhanced), -1, &cancel);
        if (sharp.empty())
            return {};
        enhanced = fromUnitFloat(sharp, original.depth());
    }
    enhanced = contrastPicture(enhanced, contrast, outcome.cnr);
    outcome.contrast = contrastStepText(contrast);
    QualityMetrics metrics;
    if (models.upscaler) {
        outcome.scale = models.scale;
        outcome.upsampledAxis = -1;
        const cv::Mat back = fromUnitFloat(degradeInPlane(toUnitFloat(enhanced), models.scale, SliceProfile::Area),
                                           original.depth());
        // A side not divisible by the factor: compare the part both grids cover.
        const cv::Rect common(0, 0, back.cols, back.rows);
        metrics = compareImages(original(common).clone(), back);
    } else {
        metrics = compareImages(original, enhanced);
    }
    outcome.psnr = metrics.psnr;
    outcome.ssim = metrics.ssim;
    return enhanced;
}

} // namespace

std::vector<std::filesystem::path> planOutputPaths(const Dataset &dataset, const std::filesystem::path &outputDir)
{
    const auto base = comparable(pathBase(dataset));
    std::vector<std::filesystem::path> targets;
    std::map<std::filesystem::path, std::filesystem::path> inputOf; // relative output -> input
    for (std::size_t i = 0; i < dataset.rows.size(); ++i) {
        const auto &row = dataset.rows[i];
        if (row.imagePathText.empty()) {
            targets.push_back(outputDir / ("row_" + std::to_string(i + 1) + ".png"));
            continue;
        }
        const auto input = comparable(row.imagePath);
        auto relative = input.lexically_relative(base);
        if (relative.empty() || *relative.begin() == "..") {
            // Outside the dataset: a folder per input folder, named so it cannot clash.
            const auto parent = input.parent_path();
            relative = std::filesystem::path("external") / (parent.filename().string() + "-" + shortPathHash(parent))
                / input.filename();
        }
        std::filesystem::path output;
        switch (scanFormatOf(row.imagePath)) {
        case ScanFormat::Nifti:
            output = relative.parent_path() / (niftiStem(relative) + "_enhanced.nii.gz");
            break;
        case ScanFormat::Dicom: {
            // A series becomes a folder; "." (the dataset folder itself) takes the folder's name.
            output = relative == "." || relative.empty() ? std::filesystem::path(base.filename()) : relative;
            std::error_code folderError;
            if (!std::filesystem::is_directory(input, folderError))
                output.replace_extension();
            if (!row.seriesUid.empty())
                output += "_" + shortPathHash(row.seriesUid);
            break;
        }
        case ScanFormat::Picture:
            output = relative;
            output.replace_extension(".png");
            break;
        }
        // scan.png and scan.tif in one folder: the second keeps its extension in the name.
        const auto [owner, inserted] = inputOf.emplace(output, input);
        if (!inserted && owner->second != input) {
            if (isNiftiFile(relative)) {
                // scan.nii and scan.nii.gz: scan_nii_gz_enhanced.nii.gz, still a NIfTI name.
                std::string extension = relative.filename().string().substr(niftiStem(relative).size() + 1);
                std::replace(extension.begin(), extension.end(), '.', '_');
                output.replace_filename(niftiStem(relative) + "_" + extension + "_enhanced.nii.gz");
            } else {
                output.replace_filename(relative.stem().string() + "_" + relative.extension().string().substr(1)
                                        + output.extension().string());
            }
            inputOf.emplace(output, input);
        }
        targets.push_back(outputDir / output);
    }
    return targets;
}

std::filesystem::path defaultMetricsCsv(const Dataset &dataset)
{
    return resultsLocationFor(dataset.folder).folder / kDefaultMetricsCsvName;
}

std::filesystem::path defaultEnhancedDir(const Dataset &dataset)
{
    return resultsLocationFor(dataset.folder).folder / kDefaultEnhancedDirName;
}

EnhanceRunResult enhanceDataset(const Dataset &dataset, const EnhanceOptions &options, const EnhanceCallbacks &callbacks,
                                const std::atomic_bool &cancel)
{
    checkContrastStep(options.contrast);
    auto selected = selectRows(dataset, options);
    const auto outputDir = options.outputDir.empty() ? defaultEnhancedDir(dataset) : options.outputDir;
    auto metricsCsv = options.metricsCsv.empty() ? defaultMetricsCsv(dataset) : options.metricsCsv;
    const bool writeCsv = options.writeCsv || options.shard.has_value();
    if (options.shard) {
        const auto part = rowsOfShard(dataset, *options.shard);
        std::vector<std::size_t> inPart;
        std::set_intersection(selected.begin(), selected.end(), part.begin(), part.end(), std::back_inserter(inPart));
        selected = inPart;
        metricsCsv = shardMetricsCsv(metricsCsv, *options.shard);
    }
    const auto targets = planOutputPaths(dataset, outputDir);
    checkOutputsAreSafe(dataset, selected, outputDir, targets, metricsCsv, options, writeCsv);
    auto models = loadModels(options);
    for (auto *model : {models.denoiser ? &*models.denoiser : nullptr, models.upscaler ? &*models.upscaler : nullptr}) {
        if (model && options.tileSize > 0)
            model->setTiling(options.tileSize);
    }
    if (models.denoiser && options.noiseCoils >= 0)
        models.denoiser->setNoiseCoils(options.noiseCoils);
    if (models.denoiser && !options.mirrorAverage)
        models.denoiser->setMirrorAverage(false);
    if (models.denoiser && models.denoiser->blindSpotPasses() > 1 && callbacks.onMessage) {
        const int side = 2 * models.denoiser->info().settings.n2vBlindRadius + 1;
        callbacks.onMessage("The model hides " + std::to_string(side) + "x" + std::to_string(side)
                            + " blind spots (noise correlated between pixels): every pixel is predicted with its own "
                              "blind spot hidden, as in training ("
                            + std::to_string(models.denoiser->blindSpotPasses()) + " network passes instead of one).");
    }
    const SlicePlane plane = options.plane.value_or(models.first().info().settings.slicePlane);
    ensureWritableFolder(outputDir, "output folder");
    removeStaleTemporaryFiles(outputDir, true);
    if (writeCsv) {
        ensureWritableFolder(metricsCsv.parent_path(), "folder of the metrics CSV");
        removeStaleTemporaryFiles(metricsCsv.parent_path().empty() ? std::filesystem::path(".") : metricsCsv.parent_path());
    }

    EnhanceRunResult result;
    result.modelSha256 = sha256OfFile(options.modelFile);
    if (!options.resolutionModel.empty())
        result.modelSha256 += "+" + sha256OfFile(options.resolutionModel);
    result.device = models.first().deviceName();
    result.threads = useThreads(options.threads);
    result.rows.resize(dataset.rows.size());
    for (std::size_t i = 0; i < dataset.rows.size(); ++i)
        result.rows[i].rowIndex = i;
    std::vector<bool> attempted(dataset.rows.size(), false);
    result.requested = static_cast<int>(selected.size());

    // A part holds its CSV's lock for the whole run (a second task on the same
    // part waits) and keeps what an earlier run of it finished.
    std::optional<FileLock> shardLock;
    auto toDo = selected;
    if (options.shard) {
        shardLock.emplace(metricsCsv, [&] {
            if (callbacks.onMessage)
                callbacks.onMessage("Waiting for another run of part " + shardName(*options.shard) + " that is writing '"
                                    + metricsCsv.string() + "'.");
        });
        toDo = keepFinishedShardRows(dataset, metricsCsv, selected, options.failOn, callbacks, result);
    }

    const auto start = std::chrono::steady_clock::now();
    EnhanceProgress progress;
    progress.total = static_cast<int>(toDo.size());
    for (const auto index : toDo) {
        if (cancel) {
            result.cancelled = true;
            break;
        }
        const auto &row = dataset.rows[index];
        if (callbacks.onSliceProgress) {
            SliceProgress slice;
            slice.rowIndex = index;
            slice.slice = progress.done + 1;
            slice.slices = progress.total;
            setTileProgress(models, [&callbacks, slice](int done, int total) mutable {
                slice.tilesDone = done;
                slice.tilesTotal = total;
                callbacks.onSliceProgress(slice);
            });
        }
        EnhancedRow outcome;
        outcome.rowIndex = index;
        outcome.modelSha256 = result.modelSha256;
        const auto rowStart = std::chrono::steady_clock::now();
        try {
            if (!row.imagePathText.empty())
                outcome.format = scanFormatName(scanFormatOf(row.imagePath)); // failed rows say it too
            if (!row.imagePathText.empty() && scanFormatOf(row.imagePath) != ScanFormat::Picture) {
                std::function<void(int, int)> volumeProgress;
                if (callbacks.onSliceProgress) {
                    SliceProgress slice;
                    slice.rowIndex = index;
                    slice.slice = progress.done + 1;
                    slice.slices = progress.total;
                    volumeProgress = [&callbacks, slice](int done, int total) mutable {
                        slice.tilesDone = done;
                        slice.tilesTotal = total;
                        callbacks.onSliceProgress(slice);
                    };
                }
                if (!enhanceVolumeRow(models, row, targets[index], plane, options, volumeProgress, cancel, outcome)) {
                    result.cancelled = true;
                    break;
                }
                outcome.done = true;
                outcome.enhancedImage = std::filesystem::absolute(targets[index]).lexically_normal();
                ++result.succeeded;
            } else {
            const cv::Mat original = loadGrayscaleImage(row.imagePath);
            // scikit-image refuses SSIM below its 7x7 window too; say so before the work.
            if (original.rows < 7 || original.cols < 7)
                throw EngineError("the slice '" + row.imagePathText + "' is " + std::to_string(original.cols) + "x"
                                  + std::to_string(original.rows)
                                  + " pixels, smaller than the 7x7 window that SSIM needs");
            const cv::Mat enhanced = enhancePicture(models, original, options.contrast, cancel, outcome,
                                                    options.resolutionModel.empty() ? options.modelFile
                                                                                    : options.resolutionModel,
                                                    row.imagePathText);
            if (enhanced.empty()) {
                result.cancelled = true;
                break;
            }
            saveImageAtomically(targets[index], enhanced);
            outcome.done = true;
            outcome.enhancedImage = std::filesystem::absolute(targets[index]).lexically_normal();
            outcome.format = scanFormatName(ScanFormat::Picture);
            outcome.dataRange = dataRangeOf(original);
            outcome.slices = 1;
            ++result.succeeded;
            }
            if (options.failOn != Verdict::NotChecked && outcome.selfCheck.verdict >= options.failOn) {
                // Nothing for a pipeline to pass on: the result goes, the row fails.
                --result.succeeded;
                outcome.done = false;
                std::error_code error;
                std::filesystem::remove_all(targets[index], error);
                throw EngineError("the self-check marked its result " + verdictText(outcome.selfCheck.verdict) + " ("
                                  + outcome.selfCheck.reason + "), which this run counts as failed; "
                                  + (error ? "its result '" + targets[index].string() + "' could not be removed ("
                                                 + error.message() + ")"
                                           : std::string("the result was removed")));
            }
        } catch (const std::exception &error) {
            // EngineError is a sentence already; anything else (OpenCV, LibTorch,
            // memory) still fails only this row.
            outcome.error = withoutFullStop(dynamic_cast<const EngineError *>(&error)
                                                ? std::string(error.what())
                                                : "enhancing " + dataset.describeRow(index) + " failed: "
                                                    + firstLine(error.what()));
            ++result.failed;
            ++progress.failed;
        }
        outcome.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - rowStart).count();
        result.rows[index] = outcome;
        attempted[index] = true;
        if (options.shard) // after every row: a crash or a preemption loses at most the row in work
            writeCsvFileAtomically(metricsCsv, buildMetricsTable(dataset, result.rows, metricsCsv));
        ++progress.done;
        progress.elapsedSeconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        progress.etaSeconds = progress.elapsedSeconds / progress.done * (progress.total - progress.done);
        if (callbacks.onRow)
            callbacks.onRow(result.rows[index]);
        if (callbacks.onProgress)
            callbacks.onProgress(progress);
    }
    result.elapsedSeconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (const auto noise = describeMeasuredNoise(result.rows); !noise.empty()) {
        result.notices.push_back(noise);
        if (callbacks.onMessage)
            callbacks.onMessage(noise);
    }
    if (const auto checks = describeSelfChecks(dataset, result.rows); !checks.empty()) {
        result.notices.push_back(checks);
        if (callbacks.onMessage)
            callbacks.onMessage(checks);
    }
    if (options.shard) {
        writeCsvFileAtomically(metricsCsv, buildMetricsTable(dataset, result.rows, metricsCsv));
        result.metricsCsv = metricsCsv;
    } else if (options.writeCsv) {
        mergeAndWriteMetrics(dataset, result.rows, attempted, metricsCsv, callbacks, result.notices);
        result.metricsCsv = metricsCsv;
    }
    if (!options.perSliceCsv.empty())
        writePerSliceCsv(dataset, result.rows, plane, options.perSliceCsv);
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

CsvTable buildMetricsTable(const Dataset &dataset, const std::vector<EnhancedRow> &rows,
                           const std::filesystem::path &metricsCsv)
{
    CsvTable table;
    table.header = metricsColumns(dataset);
    const auto csvFolder = std::filesystem::absolute(metricsCsv).parent_path().lexically_normal();
    for (const auto &outcome : rows) {
        if (!outcome.done && outcome.error.empty())
            continue;
        const auto &source = dataset.rows.at(outcome.rowIndex);
        std::vector<std::string> fields;
        for (std::size_t c = 0; c < dataset.columns.size(); ++c)
            fields.push_back(c < source.fields.size() ? source.fields[c] : std::string());
        std::string enhancedPath;
        if (outcome.done) {
            const auto relative = outcome.enhancedImage.lexically_relative(csvFolder);
            const bool inside = !relative.empty() && *relative.begin() != "..";
            enhancedPath = inside ? relative.generic_string() : outcome.enhancedImage.string();
        }
        fields.push_back(enhancedPath);
        fields.push_back(outcome.done ? formatMetric(outcome.psnr, 4) : std::string());
        fields.push_back(outcome.done ? formatMetric(outcome.ssim, 6) : std::string());
        fields.push_back(outcome.done ? formatMetric(outcome.cnr, 4) : std::string());
        fields.push_back(outcome.done ? outcome.contrast : std::string());
        fields.push_back(outcome.done ? formatMetric(outcome.dataRange, outcome.dataRange == std::floor(outcome.dataRange) ? 0 : 6)
                                      : std::string());
        fields.push_back(outcome.done ? std::to_string(outcome.slices) : std::string());
        fields.push_back(outcome.format);
        fields.push_back(outcome.done ? std::to_string(outcome.scale) : std::string());
        fields.push_back(outcome.done ? upsampledAlongText(outcome) : std::string());
        fields.push_back(outcome.done ? (outcome.scale > 1 ? "input" : "enhanced") : std::string());
        fields.push_back(outcome.modelSha256);
        fields.push_back(outcome.error);
        for (auto &[column, text] : selfCheckFields(outcome.selfCheck)) // a row --fail-on failed keeps its figures
            fields.push_back(std::move(text));
        table.rows.push_back(std::move(fields));
    }
    return table;
}

void writeMetricsCsv(const Dataset &dataset, const std::vector<EnhancedRow> &rows, const std::filesystem::path &metricsCsv)
{
    if (samePath(metricsCsv, dataset.csvFile))
        throw EngineError("'" + metricsCsv.string() + "' is the dataset's own table; choose another file for the metrics.");
    for (const auto &row : dataset.rows) {
        if (samePath(metricsCsv, row.imagePath))
            throw EngineError("'" + metricsCsv.string() + "' is an input image; choose another file for the metrics.");
    }
    writeCsvFileAtomically(metricsCsv, buildMetricsTable(dataset, rows, metricsCsv));
}

std::vector<EnhancedRow> readMetricsCsv(const Dataset &dataset, const std::filesystem::path &metricsCsv,
                                        std::vector<std::size_t> *unmatched)
{
    const auto table = readCsvFile(metricsCsv);
    const int enhancedColumn = table.columnIndex("enhanced_image_path");
    const int psnrColumn = table.columnIndex("PSNR");
    const int ssimColumn = table.columnIndex("SSIM");
    const int errorColumn = table.columnIndex("error");
    if (table.columnIndex("image_path") < 0 || enhancedColumn < 0 || psnrColumn < 0 || ssimColumn < 0)
        throw EngineError("'" + metricsCsv.string()
                          + "' is not a metrics CSV: it needs image_path, enhanced_image_path, PSNR and SSIM columns.");
    // A metrics row belongs to the dataset row whose input columns it repeats;
    // identical rows (the same image listed twice) are paired in order.
    const auto names = metricsColumns(dataset);
    std::vector<std::pair<std::size_t, int>> keyColumns; // dataset column -> metrics column
    for (std::size_t c = 0; c < dataset.columns.size(); ++c) {
        const int column = table.columnIndex(names[c]);
        if (column >= 0)
            keyColumns.emplace_back(c, column);
    }
    std::map<std::vector<std::string>, std::vector<std::size_t>> rowsByKey;
    for (std::size_t i = dataset.rows.size(); i-- > 0;) {
        std::vector<std::string> key;
        for (const auto &[c, column] : keyColumns)
            key.push_back(c < dataset.rows[i].fields.size() ? dataset.rows[i].fields[c] : std::string());
        rowsByKey[key].push_back(i); // reversed: back() is the first row
    }

    std::vector<EnhancedRow> results(dataset.rows.size());
    for (std::size_t i = 0; i < results.size(); ++i)
        results[i].rowIndex = i;
    const auto csvFolder = std::filesystem::absolute(metricsCsv).parent_path();
    for (std::size_t r = 0; r < table.rows.size(); ++r) {
        const auto &fields = table.rows[r];
        std::vector<std::string> key;
        for (const auto &[c, column] : keyColumns)
            key.push_back(fields[static_cast<std::size_t>(column)]);
        auto found = rowsByKey.find(key);
        if (found == rowsByKey.end() || found->second.empty()) {
            if (unmatched)
                unmatched->push_back(r);
            continue;
        }
        auto &outcome = results[found->second.back()];
        found->second.pop_back();
        const auto &enhanced = fields[enhancedColumn];
        outcome.error = errorColumn >= 0 ? fields[errorColumn] : std::string();
        if (const int column = table.columnIndex("format"); column >= 0)
            outcome.format = fields[static_cast<std::size_t>(column)];
        if (const int column = table.columnIndex("model_sha256"); column >= 0)
            outcome.modelSha256 = fields[static_cast<std::size_t>(column)];
        if (!enhanced.empty()) {
            const std::filesystem::path path(enhanced);
            outcome.enhancedImage = (path.is_absolute() ? path : csvFolder / path).lexically_normal();
            outcome.psnr = parseMetric(fields[psnrColumn]);
            outcome.ssim = parseMetric(fields[ssimColumn]);
            if (const int column = table.columnIndex("CNR"); column >= 0)
                outcome.cnr = parseMetric(fields[static_cast<std::size_t>(column)]);
            if (const int column = table.columnIndex("contrast"); column >= 0)
                outcome.contrast = fields[static_cast<std::size_t>(column)];
            if (const int column = table.columnIndex("data_range"); column >= 0)
                outcome.dataRange = parseMetric(fields[static_cast<std::size_t>(column)]);
            if (const int column = table.columnIndex("slices"); column >= 0)
                outcome.slices = std::atoi(fields[static_cast<std::size_t>(column)].c_str());
            if (const int column = table.columnIndex("scale"); column >= 0)
                outcome.scale = std::max(1, std::atoi(fields[static_cast<std::size_t>(column)].c_str()));
            if (const int column = table.columnIndex("upsampled_along"); column >= 0)
                outcome.upsampledAxis = upsampledAxisOf(fields[static_cast<std::size_t>(column)]);
            for (const auto &name : selfCheckColumns())
                if (const int column = table.columnIndex(name); column >= 0)
                    setSelfCheckField(outcome.selfCheck, name, fields[static_cast<std::size_t>(column)]);
            std::error_code error;
            outcome.done = outcome.error.empty() && std::filesystem::exists(outcome.enhancedImage, error);
        }
    }
    return results;
}

} // namespace mri

namespace mri {

void writePerSliceCsv(const Dataset &dataset, const std::vector<EnhancedRow> &rows, SlicePlane plane,
                      const std::filesystem::path &file)
{
    CsvTable table;
    table.header = {"patient_id", "image_path", "enhanced_image_path", "volume", "slice", "plane", "PSNR", "SSIM",
                    "data_range"};
    table.header.insert(table.header.end(), selfCheckColumns().begin(), selfCheckColumns().end());
    const auto withCheck = [](std::vector<std::string> fields, const SelfCheck &check) {
        for (auto &[column, text] : selfCheckFields(check))
            fields.push_back(std::move(text));
        return fields;
    };
    const auto csvFolder = std::filesystem::absolute(file).parent_path().lexically_normal();
    for (const auto &outcome : rows) {
        if (!outcome.done)
            continue;
        const auto &source = dataset.rows.at(outcome.rowIndex);
        const auto relative = outcome.enhancedImage.lexically_relative(csvFolder);
        const bool inside = !relative.empty() && *relative.begin() != "..";
        const std::string enhancedPath = inside ? relative.generic_string() : outcome.enhancedImage.string();
        const std::string range = formatMetric(outcome.dataRange, outcome.dataRange == std::floor(outcome.dataRange) ? 0 : 6);
        if (outcome.sliceMetrics.empty()) { // a picture is its one slice
            table.rows.push_back(withCheck({source.patientId, source.imagePathText, enhancedPath, "1", "1", "",
                                            formatMetric(outcome.psnr, 4), formatMetric(outcome.ssim, 6), range},
                                           outcome.selfCheck));
            continue;
        }
        const auto perVolume = static_cast<std::size_t>(std::max(1, outcome.slicesPerVolume));
        for (std::size_t i = 0; i < outcome.sliceMetrics.size(); ++i) {
            table.rows.push_back(withCheck({source.patientId, source.imagePathText, enhancedPath,
                                            std::to_string(i / perVolume + 1), std::to_string(i % perVolume + 1),
                                            slicePlaneName(plane), formatMetric(outcome.sliceMetrics[i].psnr, 4),
                                            formatMetric(outcome.sliceMetrics[i].ssim, 6), range},
                                           i < outcome.sliceChecks.size() ? outcome.sliceChecks[i] : SelfCheck{}));
        }
    }
    writeCsvFileAtomically(file, table);
}

} // namespace mri
