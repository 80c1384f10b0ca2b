#include "benchmark/QualityBenchmark.h"

#include "base/EngineError.h"
#include "benchmark/BenchmarkStages.h"
#include "io/AtomicFile.h"
#include "io/ImageIO.h"
#include "model/TrainingSettings.h"
#include "quality/Metrics.h"

#include <ctime>
#include <optional>
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
    for (std::size_t g = 0; g < slices.scored.size(); ++g) {
        const int count = static_cast<int>(slices.scored[g].slices.size());
        report.sets.push_back({slices.scored[g].name, count});
        if (g == 0 && !options.trainOnTest)
            report.heldOutSlices = count;
        else if (g > 0)
            report.unseenSlices += count;
    }
    if (onMessage) {
        std::string sets;
        for (const auto &set : report.sets)
            sets += (sets.empty() ? "" : ", ") + std::to_string(set.slices) + " of " + set.name;
        onMessage("Benchmark: " + (options.trainOnTest ? std::string("training on the scored slices")
                                                      : std::to_string(report.trainingSlices) + " training slices")
                  + "; scoring " + sets + "; " + report.machine + ".");
    }
    const auto trained = trainedMethods(options);

    for (int repeat = 0; repeat < options.repeats && !cancel; ++repeat) {
        QualityBenchmarkOptions run = options;
        run.seed = options.seed + static_cast<std::uint64_t>(repeat);
        if (onMessage && options.repeats > 1)
            onMessage("Repeat " + std::to_string(repeat + 1) + " of " + std::to_string(options.repeats) + ", seed "
                      + std::to_string(run.seed) + ".");
        ScoreSheet sheet(run, onMessage, cancel);
        for (std::size_t s = 0; s < run.sigmas.size() && !cancel; ++s) {
            const auto sets = makeNoisySets(slices, run, s);
            sheet.beginNoiseLevel(sets);
            recordClassicalRows(sheet, run, sets, cancel);
            // Split: every model trains once on the training slices and is
            // scored on every set. Train-on-test: each set trains its own.
            const std::size_t trainings = run.trainOnTest ? sets.scored.size() : 1;
            for (std::size_t g = 0; g < trainings && !cancel; ++g) {
                const auto &trainingSet = run.trainOnTest ? sets.scored[g] : sets.training;
                const auto onlySet = run.trainOnTest ? std::optional<std::size_t>(g) : std::nullopt;
                for (const auto &method : trained) {
                    if (cancel)
                        break;
                    const auto model = trainMethod(method, run, trainingSet, sets.sigma, onMessage, cancel);
                    if (model.cancelled)
                        break;
                    recordTrainedRow(sheet, method, model, onlySet);
                }
            }
        }
        if (cancel)
            break;
        report.repeatRows.push_back(sheet.rows());
        if (repeat == 0)
            report.figure = sheet.renderFigure();
    }
    if (cancel)
        throw EngineError("The benchmark was cancelled.");
    report.rows = combineRepeats(report.repeatRows);
    return report;
}

namespace {

// "27.40", or "27.40 ±0.12" with repeats (± the spread, max - min).
std::string cell(double value, double spread, int decimals, bool withSpread)
{
    return formatFixed(value, decimals) + (withSpread ? " ±" + formatFixed(spread, decimals) : "");
}

} // namespace

std::string formatBenchmarkMarkdown(const QualityBenchmarkReport &report)
{
    const auto &o = report.options;
    const bool withSpread = o.repeats > 1;
    std::ostringstream out;
    if (withSpread)
        out << "± is max − min over " << o.repeats << " seeds (" << o.seed << " to " << o.seed + o.repeats - 1
            << "); each score is the mean over them. ";
    if (o.trainOnTest) {
        out << "Quality against ground truth as a user works: every trained model trains on the noisy slices it is "
               "scored on, each set its own (";
        for (std::size_t g = 0; g < report.sets.size(); ++g)
            out << (g == 0 ? "" : ", ") << report.sets[g].slices << " slices of `"
                << (g == 0 ? o.cleanDir.string() : o.unseenDirs.at(g - 1).string()) << "`";
        out << ")";
    } else {
        out << "Quality against ground truth: " << report.trainingSlices << " training and " << report.heldOutSlices
            << " held-out slices of `" << o.cleanDir.string() << "`";
        for (std::size_t g = 1; g < report.sets.size(); ++g)
            out << (g == 1 ? ", and " : ", ") << report.sets[g].slices << " unseen slices of `"
                << o.unseenDirs.at(g - 1).string() << "`";
    }
    out << "; " << noiseSpecName(o.noise) << " noise; " << report.machine << "; " << report.date << ".";
    if (!o.settings.empty())
        out << " Settings for every trained row: " << describeOverrides(o.settings) << ".";
    out << "\n\n";
    out << "| Method |";
    for (std::size_t g = 0; g < report.sets.size(); ++g) {
        // The held-out set of the split is the plain columns; other sets are named.
        const std::string prefix = (g == 0 && !o.trainOnTest) ? "" : report.sets[g].name + " ";
        for (const double sigma : o.sigmas)
            out << " " << prefix << "PSNR " << formatPercent(sigma) << " | " << prefix << "SSIM "
                << formatPercent(sigma) << " |";
    }
    out << " training s | ms/MP | setting |\n|---|";
    const std::size_t columns = o.sigmas.size() * 2 * report.sets.size() + 3;
    for (std::size_t i = 0; i < columns; ++i)
        out << "---:|";
    out << "\n";
    for (const auto &row : report.rows) {
        out << "| " << row.method << " |";
        for (const auto &set : row.scores) {
            for (const auto &score : set)
                out << " " << cell(score.psnr, score.psnrSpread, 2, withSpread) << " | "
                    << cell(score.ssim, score.ssimSpread, 4, withSpread) << " |";
        }
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
    table.header = {"method", "noise", "sigma", "set", "repeat", "PSNR", "SSIM", "train_seconds", "ms_per_megapixel",
                    "setting"};
    const auto noise = noiseSpecName(report.options.noise);
    const auto addRows = [&](const std::vector<QualityBenchmarkRow> &rows, const std::string &repeat, bool spread) {
        for (const auto &row : rows) {
            for (std::size_t g = 0; g < row.scores.size(); ++g) {
                const std::string set = g < report.sets.size() ? report.sets[g].name : std::to_string(g);
                for (std::size_t s = 0; s < row.scores[g].size(); ++s) {
                    const auto &score = row.scores[g][s];
                    const std::string sigma = formatFixed(report.options.sigmas.at(s), 4);
                    const std::string setting = s < row.parameter.size() ? row.parameter[s] : "";
                    if (spread)
                        table.rows.push_back({row.method, noise, sigma, set, repeat, formatMetric(score.psnrSpread, 4),
                                              formatMetric(score.ssimSpread, 6), "", "", ""});
                    else
                        table.rows.push_back({row.method, noise, sigma, set, repeat, formatMetric(score.psnr, 4),
                                              formatMetric(score.ssim, 6), formatFixed(row.trainSeconds, 1),
                                              formatFixed(row.msPerMegapixel, 2), setting});
                }
            }
        }
    };
    for (std::size_t r = 0; r < report.repeatRows.size(); ++r)
        addRows(report.repeatRows[r], std::to_string(r + 1), false);
    if (report.repeatRows.empty())
        addRows(report.rows, "1", false);
    if (report.repeatRows.size() > 1) {
        addRows(report.rows, "mean", false);
        addRows(report.rows, "spread", true);
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
