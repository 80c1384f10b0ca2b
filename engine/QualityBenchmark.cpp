#include "QualityBenchmark.h"

#include "AtomicFile.h"
#include "BenchmarkStages.h"
#include "EngineError.h"
#include "ImageIO.h"
#include "Metrics.h"
#include "TrainingSettings.h"

#include <ctime>
#include <fstream>
#include <sstream>
#include <thread>

namespace mri {

namespace {

using benchmark::formatFixed;
using benchmark::formatPercent;

std::string machineDescription()
{
    std::ifstream cpuinfo("/proc/cpuinfo");
    std::string model = "unknown CPU";
    for (std::string line; std::getline(cpuinfo, line);) {
        if (line.rfind("model name", 0) == 0) {
            model = line.substr(line.find(':') + 2);
            break;
        }
    }
    return model + ", " + std::to_string(std::thread::hardware_concurrency()) + " cores";
}

std::string utcNow()
{
    const std::time_t now = std::time(nullptr);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%d %H:%M UTC", std::gmtime(&now));
    return text;
}

} // namespace

const std::vector<std::string> &benchmarkMethodNames()
{
    static const std::vector<std::string> names{"noisy", "gaussian-blur", "nlm", "n2v", "identity", "synthetic", "default"};
    return names;
}

QualityBenchmarkReport runQualityBenchmark(const QualityBenchmarkOptions &options,
                                           const std::function<void(const std::string &)> &onMessage,
                                           const std::atomic_bool &cancel)
{
    using namespace benchmark;
    checkBenchmarkOptions(options);
    QualityBenchmarkReport report;
    report.options = options;
    report.machine = machineDescription();
    report.date = utcNow();
    const auto slices = loadBenchmarkSlices(options);
    report.trainingSlices = static_cast<int>(slices.training.size());
    report.heldOutSlices = static_cast<int>(slices.heldOut.size());
    report.unseenSlices = static_cast<int>(slices.unseen.size());
    if (onMessage) {
        onMessage("Benchmark: " + std::to_string(report.trainingSlices) + " training, "
                  + std::to_string(report.heldOutSlices) + " held-out and " + std::to_string(report.unseenSlices)
                  + " unseen slices; " + report.machine + ".");
    }
    const auto trained = trainedMethods(options);

    ScoreSheet sheet(options, onMessage, cancel);
    for (std::size_t s = 0; s < options.sigmas.size() && !cancel; ++s) {
        const auto sets = makeNoisySets(slices, options, s);
        sheet.beginNoiseLevel(sets);
        recordClassicalRows(sheet, options, sets, cancel);
        for (const auto &method : trained) {
            if (cancel)
                break;
            const auto model = trainMethod(method, options, sets, onMessage, cancel);
            if (model.cancelled)
                break;
            recordTrainedRow(sheet, method, model);
        }
    }
    if (cancel)
        throw EngineError("The benchmark was cancelled.");
    report.rows = sheet.rows();
    report.figure = sheet.renderFigure();
    return report;
}

std::string formatBenchmarkMarkdown(const QualityBenchmarkReport &report)
{
    const auto &o = report.options;
    std::ostringstream out;
    out << "Quality against ground truth: " << report.trainingSlices << " training and " << report.heldOutSlices
        << " held-out slices of `" << o.cleanDir.string() << "`";
    if (report.unseenSlices > 0)
        out << ", and " << report.unseenSlices << " unseen slices of `" << o.unseenDir.string() << "`";
    out << "; " << noiseModelName(o.noise) << " noise; " << report.machine << "; " << report.date << ".";
    if (!o.settings.empty())
        out << " Settings for every trained row: " << describeOverrides(o.settings) << ".";
    out << "\n\n";
    out << "| Method |";
    for (const double sigma : o.sigmas)
        out << " PSNR " << formatPercent(sigma) << " | SSIM " << formatPercent(sigma) << " |";
    if (report.unseenSlices > 0) {
        for (const double sigma : o.sigmas)
            out << " unseen PSNR " << formatPercent(sigma) << " | unseen SSIM " << formatPercent(sigma) << " |";
    }
    out << " training s | ms/MP | setting |\n|---|";
    const std::size_t columns = o.sigmas.size() * (report.unseenSlices > 0 ? 4 : 2) + 3;
    for (std::size_t i = 0; i < columns; ++i)
        out << "---:|";
    out << "\n";
    for (const auto &row : report.rows) {
        out << "| " << row.method << " |";
        for (const auto &score : row.heldOut)
            out << " " << formatFixed(score.psnr, 2) << " | " << formatFixed(score.ssim, 4) << " |";
        for (const auto &score : row.unseen)
            out << " " << formatFixed(score.psnr, 2) << " | " << formatFixed(score.ssim, 4) << " |";
        std::string settings;
        for (std::size_t s = 0; s < row.parameter.size(); ++s) {
            if (!row.parameter[s].empty())
                settings += (settings.empty() ? "" : ", ") + row.parameter[s];
        }
        out << " " << (row.trainSeconds > 0 ? formatFixed(row.trainSeconds, 0) : "-") << " | "
            << formatFixed(row.msPerMegapixel, 1) << " | " << settings << " |\n";
    }
    out << "\n";
    for (const auto &row : report.rows)
        out << "- **" << row.method << "**: " << row.description << "\n";
    return out.str();
}

CsvTable benchmarkCsv(const QualityBenchmarkReport &report)
{
    CsvTable table;
    table.header = {"method", "noise", "sigma", "set", "PSNR", "SSIM", "train_seconds", "ms_per_megapixel", "setting"};
    for (const auto &row : report.rows) {
        for (std::size_t s = 0; s < row.heldOut.size(); ++s) {
            const auto add = [&](const std::string &set, const BenchmarkScore &score) {
                table.rows.push_back({row.method, noiseModelName(report.options.noise),
                                      formatFixed(report.options.sigmas[s], 4), set, formatMetric(score.psnr, 4),
                                      formatMetric(score.ssim, 6), formatFixed(row.trainSeconds, 1),
                                      formatFixed(row.msPerMegapixel, 2), row.parameter[s]});
            };
            add("held-out", row.heldOut[s]);
            if (s < row.unseen.size())
                add("unseen", row.unseen[s]);
        }
    }
    return table;
}

void writeBenchmarkReport(const QualityBenchmarkReport &report, const std::filesystem::path &reportPath)
{
    auto base = reportPath;
    base.replace_extension();
    writeFileAtomically(std::filesystem::path(base.string() + ".md"), formatBenchmarkMarkdown(report));
    writeCsvFileAtomically(std::filesystem::path(base.string() + ".csv"), benchmarkCsv(report));
    if (!report.figure.empty())
        saveImageAtomically(std::filesystem::path(base.string() + ".png"), report.figure);
}

} // namespace mri
