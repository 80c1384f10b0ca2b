#include "EnhanceCommand.h"

#include "base/EngineError.h"
#include "dataset/ShardPlan.h"
#include "enhance/SuperResolution.h"
#include "model/ModelFile.h"
#include "model/ModelInfo.h"
#include "quality/Metrics.h"
#include "quality/SelfCheck.h"
#include "CommandOutput.h"
#include "CommonOptions.h"
#include "ExitStatus.h"
#include "EnhanceSettingOptions.h"
#include "OptionHelpers.h"
#include "ReportFields.h"
#include "RunReport.h"
#include "TerminalProgress.h"

#include <chrono>
#include <cstdio>

namespace mri::cli {

namespace {

std::vector<std::string> parsePatientIds(const std::string &text)
{
    auto ids = splitList(text);
    if (ids.empty())
        throw UsageError("At least one patient id is needed.");
    return ids;
}

std::string secondsText(double seconds)
{
    char text[32];
    std::snprintf(text, sizeof text, "%.2f s", seconds);
    return text;
}

// What --verbose says of a row that was enhanced.
std::string rowDetail(const Dataset &dataset, const EnhancedRow &row)
{
    return dataset.describeRow(row.rowIndex) + ": PSNR " + formatMetric(row.psnr, 4) + " dB, SSIM "
        + formatMetric(row.ssim, 6)
        + (row.scale > 1 ? " (on the input's grid; "
                               + describeUpsampling(row.scale, row.upsampledAxis, row.format != "picture") + ")"
                         : std::string())
        + ", grey/white CNR " + formatMetric(row.cnr, 2)
        + (row.contrast == "none" ? std::string() : " after " + row.contrast) + ", " + secondsText(row.seconds)
        + " -> " + row.enhancedImage.string();
}

// Progress of the rows, and of the tiles of a slice of many; `ranNow` marks the rows this run did.
EnhanceCallbacks progressCallbacks(const Dataset &dataset, TerminalProgress &progress, std::vector<bool> &ranNow)
{
    EnhanceCallbacks callbacks;
    callbacks.onRow = [&](const EnhancedRow &row) {
        ranNow[row.rowIndex] = true;
        if (!row.error.empty())
            progress.warning("Failed: " + dataset.describeRow(row.rowIndex) + ": " + row.error + ".");
        else
            progress.detail(rowDetail(dataset, row));
    };
    callbacks.onProgress = [&](const EnhanceProgress &p) {
        progress.update("Enhancing", p.done, p.total, p.etaSeconds,
                        p.failed ? std::to_string(p.failed) + " failed" : std::string());
    };
    callbacks.onSliceProgress = [&progress, tiledSlice = 0,
                                 firstTileDone = std::chrono::steady_clock::now()](const SliceProgress &p) mutable {
        // A slice of many tiles (a large one) takes long: show its tiles too.
        if (p.tilesTotal <= 1)
            return;
        const auto now = std::chrono::steady_clock::now();
        if (p.slice != tiledSlice || p.tilesDone == 1) {
            tiledSlice = p.slice;
            firstTileDone = now;
        }
        const double seconds = std::chrono::duration<double>(now - firstTileDone).count();
        const double eta = p.tilesDone > 1 ? seconds / (p.tilesDone - 1) * (p.tilesTotal - p.tilesDone) : -1.0;
        progress.update("Enhancing slice " + std::to_string(p.slice) + "/" + std::to_string(p.slices) + ", tile",
                        p.tilesDone, p.tilesTotal, eta);
    };
    callbacks.onMessage = [&](const std::string &line) { progress.message(line); };
    return callbacks;
}

// The table's settings, then the paths and the selection, which stay hand-wired (EnhanceSettings.h).
ReportJson settingsJson(const EnhanceOptions &options)
{
    auto json = enhanceSettingsJson(options);
    json["resolution_model"] = options.resolutionModel.empty() ? ReportJson(nullptr)
                                                               : ReportJson(options.resolutionModel.string());
    json["patients"] = options.patientIds;
    json["output_dir"] = options.outputDir.string();
    return json;
}

// The rows of the report (those this run did, and those an earlier run did and it kept), their errors and timings.
void reportRows(RunReport &report, const Dataset &dataset, const EnhanceRunResult &result,
                const std::vector<bool> &ranNow)
{
    auto rows = ReportJson::array();
    auto errors = ReportJson::array();
    double rowSeconds = 0.0;
    for (const auto &row : result.rows) {
        const bool kept = !ranNow[row.rowIndex] && row.done;
        if (!ranNow[row.rowIndex] && !kept)
            continue;
        const std::string status = kept ? "kept" : row.done ? "done" : "failed";
        rows.push_back(rowJson(dataset, row, status));
        if (status == "failed")
            errors.push_back(rows.back());
        if (!kept)
            rowSeconds += row.seconds;
    }
    report["rows"] = rows;
    report["errors"] = errors;
    const int ran = result.succeeded + result.failed;
    report["timings"] = {{"enhancing_seconds", result.elapsedSeconds},
                         {"seconds_per_row", ran > 0 ? ReportJson(rowSeconds / ran) : ReportJson(nullptr)}};
}

void reportEnhancement(RunReport &report, const Dataset &dataset, const EnhanceOptions &options,
                       const EnhanceRunResult &result, const std::vector<bool> &ranNow)
{
    report["dataset"] = datasetJson(dataset);
    report.setModel(options.modelFile, result.modelSha256);
    report.setCompute(result.threads, result.device);
    try {
        report["model"]["settings"] = ReportJson::parse(trainingSettingsJson(readModelInfo(options.modelFile).settings));
    } catch (const EngineError &) {
        report["model"]["settings"] = nullptr;
    }
    report["settings"] = settingsJson(options);
    if (options.shard)
        report["shard"] = {{"index", options.shard->index}, {"count", options.shard->count}, {"rows", result.requested}};
    report["metrics_csv"] = result.metricsCsv.empty() ? ReportJson(nullptr) : ReportJson(result.metricsCsv.string());
    const int notRun = result.requested - result.succeeded - result.failed - result.skipped;
    report["counts"] = {{"requested", result.requested}, {"done", result.succeeded}, {"failed", result.failed},
                        {"skipped", result.skipped}, {"not_run", notRun}};
    reportRows(report, dataset, result, ranNow);
    report["cancelled"] = result.cancelled;
}

} // namespace

void EnhanceCommand::define(CLI::App &c, CommonOptions &common)
{
    addDatasetOptions(c, m_dataset);
    defineModels(c);
    defineOutputs(c);
    defineSelection(c);
    common.addJsonReport(c);
    // Tile, plane, coils, contrast, scale, threads...: the table of enhance settings.
    addEnhanceSettingOptions(c, m_options);
}

void EnhanceCommand::defineModels(CLI::App &c)
{
    addText(c, "--model", m_model, "FILE",
            "Trained model file: a denoising model, or a super-resolution one (objective superres) alone")
        ->required();
    addText(c, "--resolution-model", m_resolutionModel, "FILE",
            "A super-resolution model applied after --model's denoising, in the same run");
}

void EnhanceCommand::defineOutputs(CLI::App &c)
{
    addText(c, "--out-dir", m_outputDir, "DIR", "Folder for the enhanced slices (default: enhanced_images "
                                                "in the dataset's results folder)");
    addText(c, "--csv-out", m_metricsCsv, "FILE", "Metrics CSV to write (default: brain_tumor_info_metrics.csv "
                                                  "in the dataset's results folder)");
    addText(c, "--per-slice-csv", m_perSliceCsv, "FILE",
            "Also write PSNR and SSIM of every slice of the enhanced volumes (and pictures) to FILE");
}

void EnhanceCommand::defineSelection(CLI::App &c)
{
    addParsedOption<std::vector<std::string>>(c, "--patients", "Enhance only these patients (default: all)",
                                              parsePatientIds, [this](const std::vector<std::string> &ids) {
                                                  m_options.patientIds = ids;
                                              })
        ->type_name("ID,ID,...");
    addParsedOption<ShardSpec>(
        c, "--shard",
        "Only part I of N (I from 0): patients are kept whole and parts balanced by rows; I and N may name "
        "environment variables (SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_COUNT, JOB_COMPLETION_INDEX/N). The part "
        "writes its own metrics CSV (NAME.shard-I-of-N.csv) after every row, and a rerun redoes only unfinished "
        "rows; 'merge' joins the parts",
        [](const std::string &text) {
            try {
                return parseShardSpec(text);
            } catch (const EngineError &error) {
                throw UsageError(error.what());
            }
        },
        [this](const ShardSpec &shard) { m_options.shard = shard; })
        ->type_name("I/N");
}

EnhanceOptions EnhanceCommand::enhanceOptions(const CommandOutput &output) const
{
    EnhanceOptions options = m_options;
    options.modelFile = m_model;
    options.resolutionModel = m_resolutionModel;
    options.outputDir = m_outputDir;
    options.metricsCsv = m_metricsCsv;
    options.perSliceCsv = m_perSliceCsv;
    if (!output.reportFile.empty())
        options.otherOutputs.emplace_back(output.reportFile, "the --json report");
    return options;
}

int EnhanceCommand::run(std::atomic_bool &cancel, const CommandOutput &output) const
{
    const auto options = enhanceOptions(output);
    const auto dataset = m_dataset.open();
    TerminalProgress progress(output.verbosity);
    if (options.outputDir.empty() || options.metricsCsv.empty())
        noteResultsLocation(dataset, progress);

    std::vector<bool> ranNow(dataset.rows.size(), false);
    const auto callbacks = progressCallbacks(dataset, progress, ranNow);
    const auto result = enhanceDataset(dataset, options, callbacks, cancel);
    progress.finish();
    if (options.shard)
        progress.detail("Part " + shardName(*options.shard) + ": " + std::to_string(result.requested) + " of "
                        + std::to_string(dataset.rows.size()) + " rows");
    progress.detail("Model " + options.modelFile.string() + " (SHA-256 " + result.modelSha256 + "), " + result.device + ", "
                    + std::to_string(result.threads) + " threads, " + secondsText(result.elapsedSeconds));
    if (output.report)
        reportEnhancement(*output.report, dataset, options, result, ranNow);
    progress.result("Enhanced " + std::to_string(result.succeeded) + " of " + std::to_string(result.requested) + " rows ("
                    + std::to_string(result.failed) + " failed"
                    + (result.skipped > 0 ? ", " + std::to_string(result.skipped) + " done by an earlier run" : std::string())
                    + "); metrics written to " + result.metricsCsv.string());
    if (!options.perSliceCsv.empty())
        progress.result("Per-slice metrics written to " + options.perSliceCsv.string());
    if (result.cancelled) {
        progress.warning("Enhancement interrupted; the rows done so far are in '" + result.metricsCsv.string() + "'.");
        return kExitInterrupted;
    }
    return result.failed > 0 ? kExitSomeRowsFailed : kExitSuccess;
}

} // namespace mri::cli
