#include "CompareCommand.h"

#include "base/EngineError.h"
#include "dataset/OutputPolicy.h"
#include "enhance/ComparisonFigure.h"
#include "enhance/EnhanceJob.h"
#include "io/ImageIO.h"
#include "quality/Metrics.h"
#include "CommandOutput.h"
#include "CommonOptions.h"
#include "ExitStatus.h"
#include "OptionHelpers.h"
#include "TerminalProgress.h"

#include <random>

namespace mri::cli {

void CompareCommand::define(CLI::App &c, CommonOptions &common)
{
    addDatasetOptions(c, m_dataset);
    addText(c, "--out", m_out, "FILE.png", "Figure to write")->required();
    addNumber(c, "--count", m_count, 1, 100, "Patients to show");
    addNumber<std::uint64_t>(c, "--seed", m_seed, 0, kLargestSeed, "Seed of the choice; 0: random");
    addText(c, "--metrics-csv", m_metricsCsv, "FILE", "Metrics CSV written by enhance (default: the one in "
                                                      "the dataset's results folder)");
    common.addJsonReport(c);
}

int CompareCommand::run(std::atomic_bool &, const CommandOutput &output) const
{
    const auto dataset = m_dataset.open();
    TerminalProgress progress(output.verbosity);
    if (m_metricsCsv.empty())
        noteResultsLocation(dataset, progress);
    const auto metricsCsv = m_metricsCsv.empty() ? defaultMetricsCsv(dataset) : std::filesystem::path(m_metricsCsv);
    if (!std::filesystem::exists(metricsCsv))
        throw EngineError("There are no enhanced slices yet: '" + metricsCsv.string()
                          + "' does not exist; run 'mri-enhance enhance' first.");
    const auto results = readMetricsCsv(dataset, metricsCsv);
    OutputPolicy policy;
    policy.protectDataset(dataset);
    policy.protectFile(metricsCsv, "the metrics CSV it reads");
    for (const auto &row : results) {
        if (row.done)
            policy.protectFile(row.enhancedImage, "the enhanced image of " + dataset.describeRow(row.rowIndex));
    }
    policy.addOutput(m_out, "the figure (--out)");
    checkOutputs(policy, output);
    const int count = m_count;
    const auto rows = pickRandomPatients(dataset, results, count, m_seed ? m_seed : std::random_device{}());
    if (rows.empty())
        throw EngineError("No patient in '" + metricsCsv.string() + "' has an enhanced slice.");
    if (static_cast<int>(rows.size()) < count)
        progress.message("Only " + std::to_string(rows.size()) + " patients have enhanced slices; showing them all.");
    const auto figure = renderComparisonFigure(loadComparisonEntries(dataset, results, rows));
    saveImageAtomically(m_out, figure);
    for (const auto row : rows)
        progress.result(dataset.rows[row].patientId + "\tPSNR=" + formatMetric(results[row].psnr) + "\tSSIM="
                        + formatMetric(results[row].ssim));
    progress.result("Wrote " + m_out);
    return kExitSuccess;
}

} // namespace mri::cli
