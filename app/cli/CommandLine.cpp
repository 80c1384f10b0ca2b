#include "CommandLine.h"

#include "ComparisonFigure.h"
#include "DemoDataset.h"
#include "EngineError.h"
#include "EnhanceJob.h"
#include "ImageIO.h"
#include "Metrics.h"
#include "QualityBenchmark.h"
#include "TerminalProgress.h"
#include "Trainer.h"
#include "TrainingSettings.h"
#include "Version.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <functional>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <sstream>

namespace mri::cli {

namespace {

const char *kUsage = R"(mri-enhance: denoise and enhance 2-D MRI slices with a U-Net, score them with PSNR and SSIM.

Usage:
  mri-enhance demo-dataset --out DIR [--slices N] [--sigma S] [--noise rician|gaussian] [--seed N] [--volume FILE]
                           [--orientation axial|coronal|sagittal]
  mri-enhance train --dataset DIR [--csv FILE] --model FILE [--epochs N] [--objective n2v|identity|synthetic]
                    [--lr X] [--batch N] [--patch N] [--patches-per-image N] [--validation F] [--seed N]
                    [--depth N] [--base-channels N] [--sigma S] [--noise rician|gaussian] [--threads N] [--resume]
                    [--set key=value]...  (advanced settings, as in model files, e.g. --set blur_pool=1)
  mri-enhance enhance --dataset DIR [--csv FILE] --model FILE [--out-dir DIR] [--csv-out FILE]
                      [--patients ID,ID,...] [--tile N]
  mri-enhance compare --dataset DIR [--csv FILE] --out FILE.png [--count 3] [--seed N] [--metrics-csv FILE]
  mri-enhance metrics REFERENCE TEST
  mri-enhance benchmark --clean DIR [--unseen DIR] [--sigma 0.05,0.10] [--noise rician|gaussian]
                        [--train-minutes M] [--ablation-minutes M] [--methods a,b,...] [--seed N]
                        [--variant NAME:key=value,...]... [--set key=value]... [--out REPORT] [--work-dir DIR]
  mri-enhance --help | --version

A dataset is a folder with brain_tumor_info.csv (columns patient_id and image_path, others kept), or a
folder of images. enhance writes DIR/enhanced_images/ and DIR/brain_tumor_info_metrics.csv.
Exit status: 0 success, 1 failure, 2 usage error, 3 some rows failed, 130 interrupted.
)";

class UsageError final : public std::runtime_error
{
public:
    using std::runtime_error::runtime_error;
};

// "--name value" options and "--flag" switches of one command, checked
// against the names that command accepts.
class Arguments final
{
public:
    Arguments(const std::string &command, const std::vector<std::string> &arguments, std::size_t first,
              const std::set<std::string> &valueOptions, const std::set<std::string> &flags)
        : m_command(command)
    {
        for (std::size_t i = first; i < arguments.size(); ++i) {
            const auto &argument = arguments[i];
            if (argument.rfind("--", 0) != 0) {
                m_positional.push_back(argument);
                continue;
            }
            auto name = argument.substr(2);
            std::optional<std::string> inlineValue;
            if (const auto equals = name.find('='); equals != std::string::npos) {
                inlineValue = name.substr(equals + 1);
                name = name.substr(0, equals);
            }
            if (flags.count(name)) {
                m_flags.insert(name);
            } else if (valueOptions.count(name)) {
                if (!inlineValue && i + 1 >= arguments.size())
                    throw UsageError("Option '--" + name + "' of '" + command + "' needs a value.");
                m_values[name] = inlineValue ? *inlineValue : arguments[++i];
                m_allValues[name].push_back(m_values[name]);
            } else {
                throw UsageError("Unknown option '" + argument + "' for '" + command + "'; run 'mri-enhance --help'.");
            }
        }
    }

    bool has(const std::string &name) const { return m_values.count(name) || m_flags.count(name); }
    const std::vector<std::string> &positional() const { return m_positional; }

    std::string text(const std::string &name, const std::string &fallback = {}) const
    {
        const auto found = m_values.find(name);
        return found == m_values.end() ? fallback : found->second;
    }

    std::vector<std::string> all(const std::string &name) const
    {
        const auto found = m_allValues.find(name);
        return found == m_allValues.end() ? std::vector<std::string>() : found->second;
    }

    std::string required(const std::string &name) const
    {
        if (!m_values.count(name))
            throw UsageError("'" + m_command + "' needs --" + name + "; run 'mri-enhance --help'.");
        return m_values.at(name);
    }

    long long integer(const std::string &name, long long fallback, long long low, long long high) const
    {
        if (!m_values.count(name))
            return fallback;
        const auto &value = m_values.at(name);
        std::size_t used = 0;
        long long number = 0;
        try {
            number = std::stoll(value, &used);
        } catch (const std::exception &) {
            used = 0;
        }
        if (used != value.size() || value.empty() || number < low || number > high)
            throw UsageError("--" + name + " must be a whole number from " + std::to_string(low) + " to "
                             + std::to_string(high) + ", not '" + value + "'.");
        return number;
    }

    double real(const std::string &name, double fallback, double low, double high) const
    {
        if (!m_values.count(name))
            return fallback;
        const auto &value = m_values.at(name);
        std::size_t used = 0;
        double number = 0;
        try {
            number = std::stod(value, &used);
        } catch (const std::exception &) {
            used = 0;
        }
        if (used != value.size() || value.empty() || !std::isfinite(number) || number < low || number > high) {
            std::ostringstream range;
            range << low << " to " << high;
            throw UsageError("--" + name + " must be a number from " + range.str() + ", not '" + value + "'.");
        }
        return number;
    }

private:
    std::string m_command;
    std::map<std::string, std::string> m_values;      // last value of each option
    std::map<std::string, std::vector<std::string>> m_allValues;
    std::set<std::string> m_flags;
    std::vector<std::string> m_positional;
};

void expectNoPositional(const Arguments &arguments, const std::string &command)
{
    if (!arguments.positional().empty())
        throw UsageError("Unexpected argument '" + arguments.positional().front() + "' for '" + command + "'.");
}

NoiseModel noiseArgument(const Arguments &arguments, NoiseModel fallback)
{
    if (!arguments.has("noise"))
        return fallback;
    const auto model = parseNoiseModel(arguments.text("noise"));
    if (!model)
        throw UsageError("--noise must be rician or gaussian, not '" + arguments.text("noise") + "'.");
    return *model;
}

Dataset datasetArgument(const Arguments &arguments)
{
    return openDataset(arguments.required("dataset"), arguments.text("csv"));
}

std::string lossText(double loss)
{
    char text[32];
    std::snprintf(text, sizeof text, "loss %.5f", loss);
    return text;
}

int demoDatasetCommand(const std::vector<std::string> &all)
{
    const Arguments arguments("demo-dataset", all, 1, {"out", "slices", "sigma", "noise", "seed", "volume", "orientation"}, {});
    expectNoPositional(arguments, "demo-dataset");
    DemoDatasetOptions options;
    options.outputDir = arguments.required("out");
    options.sliceCount = static_cast<int>(arguments.integer("slices", options.sliceCount, 1, 1000));
    options.sigma = arguments.real("sigma", options.sigma, 0.0, 1.0);
    options.noise = noiseArgument(arguments, options.noise);
    options.seed = static_cast<std::uint64_t>(arguments.integer("seed", static_cast<long long>(options.seed), 0, 1LL << 62));
    if (arguments.has("volume"))
        options.volumeFile = arguments.text("volume");
    if (arguments.has("orientation")) {
        const auto orientation = parseOrientation(arguments.text("orientation"));
        if (!orientation)
            throw UsageError("--orientation must be axial, coronal or sagittal, not '" + arguments.text("orientation") + "'.");
        options.orientation = *orientation;
    }
    TerminalProgress progress;
    const auto start = std::chrono::steady_clock::now();
    const auto result = buildDemoDataset(options, [&](int done, int total) {
        const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        progress.update("Writing slices", done, total, done > 0 ? elapsed / done * (total - done) : NAN);
    });
    progress.finish();
    std::printf("Wrote %d slices and %s\n", result.sliceCount, result.csvFile.string().c_str());
    return kExitSuccess;
}

int trainCommand(const std::vector<std::string> &all, std::atomic_bool &cancel)
{
    const Arguments arguments("train", all, 1,
                              {"dataset", "csv", "model", "epochs", "objective", "lr", "batch", "patch",
                               "patches-per-image", "validation", "seed", "depth", "base-channels", "sigma", "noise",
                               "threads", "set"},
                              {"resume"});
    expectNoPositional(arguments, "train");
    TrainingOptions options;
    options.modelFile = arguments.required("model");
    arguments.required("dataset");
    options.epochs = static_cast<int>(arguments.integer("epochs", options.epochs, 1, 100000));
    if (arguments.has("objective")) {
        const auto objective = parseObjective(arguments.text("objective"));
        if (!objective)
            throw UsageError("--objective must be n2v, identity or synthetic, not '" + arguments.text("objective") + "'.");
        options.objective = *objective;
    }
    options.learningRate = arguments.real("lr", options.learningRate, 1e-8, 1.0);
    options.batchSize = static_cast<int>(arguments.integer("batch", options.batchSize, 1, 4096));
    options.patchSize = static_cast<int>(arguments.integer("patch", options.patchSize, 8, 4096));
    options.patchesPerImage = static_cast<int>(arguments.integer("patches-per-image", options.patchesPerImage, 1, 1000000));
    options.validationFraction = arguments.real("validation", options.validationFraction, 0.0, 0.9);
    options.seed = static_cast<std::uint64_t>(arguments.integer("seed", static_cast<long long>(options.seed), 0, 1LL << 62));
    options.network.depth = static_cast<int>(arguments.integer("depth", options.network.depth, 1, 6));
    options.network.baseChannels = static_cast<int>(arguments.integer("base-channels", options.network.baseChannels, 1, 256));
    options.syntheticSigma = arguments.real("sigma", options.syntheticSigma, 0.0, 1.0);
    options.syntheticNoise = noiseArgument(arguments, options.syntheticNoise);
    options.threads = static_cast<int>(arguments.integer("threads", options.threads, 0, 1024));
    options.resume = arguments.has("resume");
    for (const auto &setting : arguments.all("set"))
        applyTrainingSetting(options, setting);
    const auto dataset = datasetArgument(arguments);

    TerminalProgress progress;
    TrainingCallbacks callbacks;
    callbacks.onMessage = [&](const std::string &line) { progress.message(line); };
    callbacks.onStep = [&](const TrainingStep &step) {
        progress.update("Epoch " + std::to_string(step.epoch) + "/" + std::to_string(step.epochs), step.step,
                        step.stepsPerEpoch, step.etaSeconds, lossText(step.loss));
    };
    callbacks.onEpoch = [&](const EpochSummary &epoch) {
        char line[200];
        std::snprintf(line, sizeof line, "Epoch %d/%d: train loss %.6f, validation loss %.6f, validation PSNR %s dB, %s elapsed",
                      epoch.epoch, epoch.epochs, epoch.trainLoss, epoch.validationLoss,
                      formatMetric(epoch.validationPsnr, 2).c_str(),
                      TerminalProgress::formatDuration(epoch.elapsedSeconds).c_str());
        progress.message(line);
    };
    const auto result = trainModel(dataset, options, callbacks, cancel);
    progress.finish();
    if (result.cancelled) {
        std::fprintf(stderr, "Training interrupted after %d completed epochs; the model in '%s' can be resumed with --resume.\n",
                     result.epochsCompleted, options.modelFile.string().c_str());
        return kExitInterrupted;
    }
    std::printf("Trained %d epochs (seed %llu); model saved to %s\n", result.epochsCompleted,
                static_cast<unsigned long long>(result.seed), options.modelFile.string().c_str());
    return kExitSuccess;
}

std::vector<std::string> splitList(const std::string &text)
{
    std::vector<std::string> items;
    std::stringstream stream(text);
    for (std::string item; std::getline(stream, item, ',');) {
        const auto first = item.find_first_not_of(' ');
        const auto last = item.find_last_not_of(' ');
        if (first != std::string::npos)
            items.push_back(item.substr(first, last - first + 1));
    }
    return items;
}

int enhanceCommand(const std::vector<std::string> &all, std::atomic_bool &cancel)
{
    const Arguments arguments("enhance", all, 1, {"dataset", "csv", "model", "out-dir", "csv-out", "patients", "tile"}, {});
    expectNoPositional(arguments, "enhance");
    EnhanceOptions options;
    options.modelFile = arguments.required("model");
    arguments.required("dataset");
    options.outputDir = arguments.text("out-dir");
    options.metricsCsv = arguments.text("csv-out");
    options.patientIds = splitList(arguments.text("patients"));
    options.tileSize = static_cast<int>(arguments.integer("tile", 0, 64, 16384));
    if (arguments.has("patients") && options.patientIds.empty())
        throw UsageError("--patients needs at least one patient id.");
    const auto dataset = datasetArgument(arguments);

    TerminalProgress progress;
    EnhanceCallbacks callbacks;
    callbacks.onRow = [&](const EnhancedRow &row) {
        if (!row.error.empty())
            progress.message("Failed: " + dataset.describeRow(row.rowIndex) + ": " + row.error + ".");
    };
    callbacks.onProgress = [&](const EnhanceProgress &p) {
        progress.update("Enhancing", p.done, p.total, p.etaSeconds,
                        p.failed ? std::to_string(p.failed) + " failed" : std::string());
    };
    const auto result = enhanceDataset(dataset, options, callbacks, cancel);
    progress.finish();
    std::printf("Enhanced %d of %d slices; metrics written to %s\n", result.succeeded,
                result.succeeded + result.failed, result.metricsCsv.string().c_str());
    if (result.cancelled) {
        std::fprintf(stderr, "Enhancement interrupted; the rows done so far are in '%s'.\n",
                     result.metricsCsv.string().c_str());
        return kExitInterrupted;
    }
    return result.failed > 0 ? kExitSomeRowsFailed : kExitSuccess;
}

int compareCommand(const std::vector<std::string> &all)
{
    const Arguments arguments("compare", all, 1, {"dataset", "csv", "out", "count", "seed", "metrics-csv"}, {});
    expectNoPositional(arguments, "compare");
    const auto out = arguments.required("out");
    const int count = static_cast<int>(arguments.integer("count", 3, 1, 100));
    const auto seed = static_cast<std::uint64_t>(arguments.integer("seed", 0, 0, 1LL << 62));
    const auto dataset = datasetArgument(arguments);
    const auto metricsCsv = arguments.has("metrics-csv") ? std::filesystem::path(arguments.text("metrics-csv"))
                                                         : defaultMetricsCsv(dataset);
    if (!std::filesystem::exists(metricsCsv))
        throw EngineError("There are no enhanced slices yet: '" + metricsCsv.string()
                          + "' does not exist; run 'mri-enhance enhance' first.");
    const auto results = readMetricsCsv(dataset, metricsCsv);
    const auto rows = pickRandomPatients(dataset, results, count, seed ? seed : std::random_device{}());
    if (rows.empty())
        throw EngineError("No patient in '" + metricsCsv.string() + "' has an enhanced slice.");
    if (static_cast<int>(rows.size()) < count)
        std::fprintf(stderr, "Only %zu patients have enhanced slices; showing them all.\n", rows.size());
    const auto figure = renderComparisonFigure(loadComparisonEntries(dataset, results, rows));
    saveImageAtomically(out, figure);
    for (const auto row : rows)
        std::printf("%s\tPSNR=%s\tSSIM=%s\n", dataset.rows[row].patientId.c_str(),
                    formatMetric(results[row].psnr).c_str(), formatMetric(results[row].ssim).c_str());
    std::printf("Wrote %s\n", out.c_str());
    return kExitSuccess;
}

int metricsCommand(const std::vector<std::string> &all)
{
    const Arguments arguments("metrics", all, 1, {}, {});
    if (arguments.positional().size() != 2)
        throw UsageError("'metrics' needs exactly two image files: REFERENCE TEST.");
    const auto reference = loadGrayscaleImage(arguments.positional()[0]);
    const auto test = loadGrayscaleImage(arguments.positional()[1]);
    if (reference.size() != test.size())
        throw EngineError("'" + arguments.positional()[0] + "' is " + std::to_string(reference.cols) + "x"
                          + std::to_string(reference.rows) + " but '" + arguments.positional()[1] + "' is "
                          + std::to_string(test.cols) + "x" + std::to_string(test.rows) + ".");
    if (reference.depth() != test.depth())
        throw EngineError("'" + arguments.positional()[0] + "' and '" + arguments.positional()[1]
                          + "' have different bit depths.");
    const auto metrics = compareImages(reference, test);
    std::printf("PSNR=%s SSIM=%s\n", formatMetric(metrics.psnr, 4).c_str(), formatMetric(metrics.ssim, 6).c_str());
    return kExitSuccess;
}

int benchmarkCommand(const std::vector<std::string> &all, std::atomic_bool &cancel)
{
    const Arguments arguments("benchmark", all, 1,
                              {"clean", "unseen", "sigma", "noise", "train-minutes", "ablation-minutes", "methods",
                               "seed", "out", "work-dir", "variant", "set"},
                              {});
    expectNoPositional(arguments, "benchmark");
    QualityBenchmarkOptions options;
    options.cleanDir = arguments.required("clean");
    options.unseenDir = arguments.text("unseen");
    if (arguments.has("sigma")) {
        options.sigmas.clear();
        for (const auto &item : splitList(arguments.text("sigma"))) {
            char *end = nullptr;
            const double sigma = std::strtod(item.c_str(), &end);
            if (end == item.c_str() || *end != '\0' || !(sigma > 0.0 && sigma < 1.0))
                throw UsageError("--sigma takes fractions of the intensity range such as 0.05,0.10, not '" + item + "'.");
            options.sigmas.push_back(sigma);
        }
    }
    options.noise = noiseArgument(arguments, options.noise);
    options.trainMinutes = arguments.real("train-minutes", options.trainMinutes, 0.05, 600.0);
    options.ablationMinutes = arguments.real("ablation-minutes", 0.0, 0.0, 600.0);
    options.methods = splitList(arguments.text("methods"));
    for (const auto &variant : arguments.all("variant")) {
        const auto colon = variant.find(':');
        if (colon == std::string::npos || colon == 0)
            throw UsageError("--variant '" + variant + "' is not of the form name:key=value,key=value.");
        BenchmarkVariant typed{variant.substr(0, colon), {}};
        for (const auto &setting : splitList(variant.substr(colon + 1)))
            typed.settings.push_back(parseSettingOverride(setting));
        options.variants.push_back(typed);
    }
    for (const auto &setting : arguments.all("set"))
        options.settings.push_back(parseSettingOverride(setting));
    options.seed = static_cast<std::uint64_t>(arguments.integer("seed", static_cast<long long>(options.seed), 1, 1LL << 62));
    const std::filesystem::path out = arguments.text("out", "benchmark-report.md");
    options.workDir = arguments.has("work-dir") ? std::filesystem::path(arguments.text("work-dir"))
                                                : out.parent_path() / (out.stem().string() + "-models");
    TerminalProgress progress;
    QualityBenchmarkReport report;
    try {
        report = runQualityBenchmark(options, [&](const std::string &line) { progress.message(line); }, cancel);
    } catch (const EngineError &) {
        if (!cancel)
            throw;
        std::fprintf(stderr, "Benchmark interrupted; no report was written.\n");
        return kExitInterrupted;
    }
    writeBenchmarkReport(report, out);
    std::fputs(formatBenchmarkMarkdown(report).c_str(), stdout);
    auto base = out;
    base.replace_extension();
    std::printf("\nWrote %s.md, %s.csv and %s.png\n", base.c_str(), base.c_str(), base.c_str());
    return kExitSuccess;
}

} // namespace

int run(const std::vector<std::string> &arguments, std::atomic_bool &cancel)
{
    if (arguments.empty()) {
        std::fputs(kUsage, stderr);
        return kExitUsage;
    }
    const auto &command = arguments.front();
    try {
        if (command == "--help" || command == "-h" || command == "help") {
            std::fputs(kUsage, stdout);
            return kExitSuccess;
        }
        if (command == "--version") {
            std::printf("mri-enhance %s\n", programVersion());
            return kExitSuccess;
        }
        for (const auto &argument : arguments) {
            if (argument == "--help" || argument == "-h") {
                std::fputs(kUsage, stdout);
                return kExitSuccess;
            }
        }
        if (command == "demo-dataset")
            return demoDatasetCommand(arguments);
        if (command == "train")
            return trainCommand(arguments, cancel);
        if (command == "enhance")
            return enhanceCommand(arguments, cancel);
        if (command == "compare")
            return compareCommand(arguments);
        if (command == "metrics")
            return metricsCommand(arguments);
        if (command == "benchmark")
            return benchmarkCommand(arguments, cancel);
        throw UsageError("Unknown command '" + command + "'; run 'mri-enhance --help'.");
    } catch (const UsageError &error) {
        std::fprintf(stderr, "mri-enhance: %s\n", error.what());
        return kExitUsage;
    } catch (const EngineError &error) {
        std::fprintf(stderr, "mri-enhance: %s\n", error.what());
        return kExitFailure;
    } catch (const std::exception &error) {
        std::fprintf(stderr, "mri-enhance: unexpected failure: %s\n", error.what());
        return kExitFailure;
    }
}

} // namespace mri::cli
