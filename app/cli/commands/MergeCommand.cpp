#include "MergeCommand.h"

#include "dataset/OutputPolicy.h"
#include "enhance/EnhanceJob.h"
#include "enhance/ShardMerge.h"
#include "CommandOutput.h"
#include "CommonOptions.h"
#include "ExitStatus.h"
#include "OptionHelpers.h"
#include "ReportFields.h"
#include "RunReport.h"
#include "TerminalProgress.h"

namespace mri::cli {

namespace {

void reportMerge(RunReport &report, const Dataset &dataset, const MergeOptions &options, const MergeResult &result)
{
    report["dataset"] = datasetJson(dataset);
    report["settings"] = {{"allow_missing", options.allowMissing}};
    report["metrics_csv"] = result.metricsCsv.string();
    auto parts = ReportJson::array();
    for (const auto &part : result.parts)
        parts.push_back({{"index", part.shard.index}, {"count", part.shard.count}, {"file", part.file.string()}});
    report["parts"] = parts;
    report["missing_parts"] = result.missingParts;
    report["model"] = {{"sha256", result.modelSha256s.empty() ? ReportJson(nullptr)
                                                              : ReportJson(result.modelSha256s.front())}};
    report["counts"] = {{"done", result.done}, {"failed", result.failed}, {"missing", result.missing}};
    auto errors = ReportJson::array();
    for (const auto &row : result.rows) {
        if (!row.error.empty())
            errors.push_back(rowJson(dataset, row, row.done ? "done" : "failed"));
    }
    report["errors"] = errors;
}

} // namespace

void MergeCommand::define(CLI::App &c, CommonOptions &common)
{
    addDatasetOptions(c, m_dataset);
    addText(c, "--csv-out", m_metricsCsv, "FILE", "Metrics CSV to write; the parts lie beside it (default: "
                                                  "brain_tumor_info_metrics.csv in the dataset's results folder)");
    c.add_flag("--allow-missing", m_allowMissing,
               "Write what exists when a part is missing or unfinished; its rows say so in the error column");
    common.addJsonReport(c);
}

int MergeCommand::run(std::atomic_bool &, const CommandOutput &output) const
{
    const auto dataset = m_dataset.open();
    TerminalProgress progress(output.verbosity);
    if (m_metricsCsv.empty())
        noteResultsLocation(dataset, progress);
    MergeOptions options;
    options.metricsCsv = m_metricsCsv;
    options.allowMissing = m_allowMissing;
    OutputPolicy policy;
    policy.protectDataset(dataset);
    policy.addOutput(options.metricsCsv.empty() ? defaultMetricsCsv(dataset) : options.metricsCsv,
                     "the metrics CSV (--csv-out)");
    checkOutputs(policy, output);
    const auto result = mergeShardMetrics(dataset, options);
    for (const auto &part : result.parts)
        progress.detail("Part " + shardName(part.shard) + ": " + part.file.string());
    if (output.report)
        reportMerge(*output.report, dataset, options, result);
    if (result.missing > 0)
        progress.warning(std::to_string(result.missing) + " rows were not enhanced (missing parts "
                         + std::to_string(result.missingParts.size()) + "); the error column says so.");
    progress.result("Merged " + std::to_string(result.parts.size()) + " of " + std::to_string(result.partCount)
                    + " parts: " + std::to_string(result.done) + " rows done, " + std::to_string(result.failed)
                    + " failed, " + std::to_string(result.missing) + " missing; wrote " + result.metricsCsv.string());
    return result.failed > 0 || result.missing > 0 ? kExitSomeRowsFailed : kExitSuccess;
}

} // namespace mri::cli
