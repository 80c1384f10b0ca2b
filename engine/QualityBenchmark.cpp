#include "QualityBenchmark.h"

#include "AtomicFile.h"
#include "ComparisonFigure.h"
#include "Dataset.h"
#include "EngineError.h"
#include "Enhancer.h"
#include "ImageIO.h"
#include "Metrics.h"
#include "Trainer.h"
#include "TrainingSettings.h"

#include <opencv2/imgproc.hpp>
#include <opencv2/photo.hpp>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <fstream>
#include <sstream>
#include <thread>

namespace mri {

namespace {

using Clock = std::chrono::steady_clock;

constexpr std::size_t kFigureColumns = 5;

struct Slice
{
    std::string name;
    cv::Mat clean;
};

struct NoisySet
{
    std::vector<cv::Mat> clean;
    std::vector<cv::Mat> noisy;
};

using Denoiser = std::function<cv::Mat(const cv::Mat &noisy)>;

std::vector<Slice> loadSlices(const std::filesystem::path &folder)
{
    const Dataset dataset = openDataset(folder);
    std::vector<Slice> slices;
    for (const auto &row : dataset.rows)
        slices.push_back({row.imagePath.filename().string(), loadGrayscaleImage(row.imagePath)});
    return slices;
}

NoisySet makeNoisy(const std::vector<Slice> &slices, NoiseModel model, double sigma, std::uint64_t seed)
{
    NoisySet set;
    for (std::size_t i = 0; i < slices.size(); ++i) {
        set.clean.push_back(slices[i].clean);
        set.noisy.push_back(addNoise(slices[i].clean, model, sigma, seed + i));
    }
    return set;
}

struct Evaluation
{
    BenchmarkScore score;
    double seconds = 0.0;
    double megapixels = 0.0;
};

Evaluation evaluate(const NoisySet &set, const Denoiser &denoise, const std::atomic_bool &cancel)
{
    Evaluation result;
    for (std::size_t i = 0; i < set.noisy.size() && !cancel; ++i) {
        const auto start = Clock::now();
        const cv::Mat output = denoise(set.noisy[i]);
        result.seconds += std::chrono::duration<double>(Clock::now() - start).count();
        result.megapixels += set.noisy[i].total() / 1e6;
        const auto metrics = compareImages(set.clean[i], output);
        result.score.psnr += metrics.psnr / set.noisy.size();
        result.score.ssim += metrics.ssim / set.noisy.size();
    }
    return result;
}

double msPerMegapixel(const Evaluation &evaluation)
{
    return evaluation.megapixels > 0 ? 1000.0 * evaluation.seconds / evaluation.megapixels : 0.0;
}

Denoiser gaussianBlur(double sigmaPixels)
{
    return [sigmaPixels](const cv::Mat &noisy) {
        cv::Mat output;
        cv::GaussianBlur(noisy, output, cv::Size(0, 0), sigmaPixels, sigmaPixels, cv::BORDER_REFLECT);
        return output;
    };
}

Denoiser nonLocalMeans(float h)
{
    return [h](const cv::Mat &noisy) {
        cv::Mat output;
        if (noisy.depth() == CV_8U)
            cv::fastNlMeansDenoising(noisy, output, h, 7, 21);
        else
            cv::fastNlMeansDenoising(noisy, output, std::vector<float>{h}, 7, 21, cv::NORM_L1);
        return output;
    };
}

std::string fixed(double value, int decimals)
{
    std::ostringstream out;
    out.setf(std::ios::fixed);
    out.precision(decimals);
    out << value;
    return out.str();
}

std::string percent(double sigma)
{
    return fixed(sigma * 100.0, sigma * 100.0 == std::round(sigma * 100.0) ? 0 : 1) + " %";
}

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

// The U-Net and settings of the foundation issue: the reference the default
// pipeline is measured against.
TrainingOptions originalUNetOptions(TrainingObjective objective)
{
    TrainingOptions options;
    options.objective = objective;
    options.network = NetworkConfig{4, 32, false, true, false, false};
    options.learningRate = 1e-4;
    options.cosineSchedule = false;
    options.n2vMedianReplacement = false;
    options.n2vMaskFraction = 0.02;
    options.ricianCorrection = false;
    return options;
}

struct TrainedMethod
{
    std::string name;
    std::string description;
    TrainingOptions options;
    bool trainsOnClean = false; // supervised: noise is added to clean slices during training
    double minutes = 0.0;
};

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
    const auto say = [&](const std::string &line) {
        if (onMessage)
            onMessage(line);
    };
    const auto wanted = [&](const std::string &method) {
        return options.methods.empty()
            || std::find(options.methods.begin(), options.methods.end(), method) != options.methods.end();
    };
    for (const auto &method : options.methods) {
        if (std::find(benchmarkMethodNames().begin(), benchmarkMethodNames().end(), method) == benchmarkMethodNames().end())
            throw EngineError("Unknown benchmark method '" + method + "'.");
    }
    if (options.sigmas.empty())
        throw EngineError("The benchmark needs at least one noise level.");
    if (!(options.trainMinutes > 0.0) || options.ablationMinutes < 0.0)
        throw EngineError("The benchmark's training budgets must be positive.");
    if (options.heldOutEvery < 2)
        throw EngineError("The benchmark needs at least two slices per held-out slice.");

    QualityBenchmarkReport report;
    report.options = options;
    report.machine = machineDescription();
    report.date = utcNow();

    const auto slices = loadSlices(options.cleanDir);
    std::vector<Slice> training;
    std::vector<Slice> heldOut;
    for (std::size_t i = 0; i < slices.size(); ++i)
        (static_cast<int>(i % options.heldOutEvery) == options.heldOutEvery / 2 ? heldOut : training).push_back(slices[i]);
    if (training.empty() || heldOut.empty())
        throw EngineError("'" + options.cleanDir.string() + "' needs at least " + std::to_string(options.heldOutEvery)
                          + " slices to split into training and held-out slices.");
    const auto unseen = options.unseenDir.empty() ? std::vector<Slice>() : loadSlices(options.unseenDir);
    report.trainingSlices = static_cast<int>(training.size());
    report.heldOutSlices = static_cast<int>(heldOut.size());
    report.unseenSlices = static_cast<int>(unseen.size());
    say("Benchmark: " + std::to_string(training.size()) + " training, " + std::to_string(heldOut.size())
        + " held-out and " + std::to_string(unseen.size()) + " unseen slices; " + report.machine + ".");

    const double ablationMinutes = options.ablationMinutes > 0 ? options.ablationMinutes : options.trainMinutes;
    std::vector<TrainedMethod> trainedMethods;
    if (wanted("n2v"))
        trainedMethods.push_back({"n2v", "Noise2Void, original U-Net (depth 4, 32 channels, Sigmoid), Adam 1e-4",
                                  originalUNetOptions(TrainingObjective::Noise2Void), false, ablationMinutes});
    if (wanted("identity"))
        trainedMethods.push_back({"identity", "input = target, original U-Net: learns to copy",
                                  originalUNetOptions(TrainingObjective::Identity), false, ablationMinutes});
    if (wanted("synthetic")) {
        TrainingOptions supervised;
        supervised.objective = TrainingObjective::Synthetic;
        supervised.syntheticNoise = options.noise;
        supervised.ricianCorrection = false;
        trainedMethods.push_back({"synthetic", "supervised upper bound: clean slices + the true noise, default network",
                                  supervised, true, ablationMinutes});
    }
    if (wanted("default"))
        trainedMethods.push_back({"default", "the default pipeline (mri-enhance train with no options)",
                                  TrainingOptions{}, false, options.trainMinutes});

    for (const auto &variant : options.variants) {
        if (variant.name.empty())
            throw EngineError("A benchmark variant needs a name.");
        TrainedMethod method{variant.name, "default pipeline with " + describeOverrides(variant.settings),
                             TrainingOptions{}, false, ablationMinutes};
        const auto taken = [&](const std::string &name) {
            return std::find(benchmarkMethodNames().begin(), benchmarkMethodNames().end(), name) != benchmarkMethodNames().end()
                || std::any_of(trainedMethods.begin(), trainedMethods.end(), [&](const TrainedMethod &m) { return m.name == name; });
        };
        if (taken(method.name))
            throw EngineError("The variant name '" + method.name + "' is already used by another row.");
        for (const auto &setting : variant.settings)
            applySettingOverride(method.options, setting);
        method.trainsOnClean = method.options.objective == TrainingObjective::Synthetic;
        trainedMethods.push_back(method);
    }

    std::vector<QualityBenchmarkRow> rows;
    const auto rowFor = [&](const std::string &method, const std::string &description) -> QualityBenchmarkRow & {
        for (auto &row : rows) {
            if (row.method == method)
                return row;
        }
        rows.push_back({method, description, {}, {}, {}, 0.0, 0.0});
        return rows.back();
    };
    std::vector<FigurePanel> figurePanels;
    const std::size_t figureSlice = heldOut.size() / 2;
    const double figureSigma = *std::max_element(options.sigmas.begin(), options.sigmas.end());

    for (std::size_t s = 0; s < options.sigmas.size() && !cancel; ++s) {
        const double sigma = options.sigmas[s];
        const std::uint64_t noiseSeed = options.seed * 1000003ULL + s * 7919ULL;
        const auto trainingSet = makeNoisy(training, options.noise, sigma, noiseSeed);
        const auto heldOutSet = makeNoisy(heldOut, options.noise, sigma, noiseSeed + 100000);
        const auto unseenSet = makeNoisy(unseen, options.noise, sigma, noiseSeed + 200000);
        const bool forFigure = sigma == figureSigma;
        if (forFigure) {
            figurePanels.push_back({"clean", heldOutSet.clean[figureSlice], 0, dataRangeOf(heldOutSet.clean[figureSlice])});
        }
        const auto record = [&](const std::string &method, const std::string &description, const Denoiser &denoise,
                                const std::string &parameter, double trainSeconds) {
            auto &row = rowFor(method, description);
            const auto held = evaluate(heldOutSet, denoise, cancel);
            row.heldOut.push_back(held.score);
            row.parameter.push_back(parameter);
            if (!unseen.empty())
                row.unseen.push_back(evaluate(unseenSet, denoise, cancel).score);
            row.msPerMegapixel += msPerMegapixel(held) / options.sigmas.size();
            row.trainSeconds += trainSeconds / options.sigmas.size();
            if (forFigure) {
                const cv::Mat output = denoise(heldOutSet.noisy[figureSlice]);
                const auto metrics = compareImages(heldOutSet.clean[figureSlice], output);
                figurePanels.push_back({method + "  " + fixed(metrics.psnr, 2) + " dB", output, 0, dataRangeOf(output)});
            }
            say("sigma " + percent(sigma) + ", " + method + (parameter.empty() ? "" : " (" + parameter + ")")
                + ": PSNR " + fixed(row.heldOut.back().psnr, 2) + " dB, SSIM " + fixed(row.heldOut.back().ssim, 4));
        };
        // Classical methods choose their parameter on the held-out set itself,
        // which favours them.
        const auto bestOf = [&](const std::vector<double> &settings, const std::function<Denoiser(double)> &make) {
            double best = settings.front();
            double bestPsnr = -1.0;
            for (const double setting : settings) {
                const double psnr = evaluate(heldOutSet, make(setting), cancel).score.psnr;
                if (psnr > bestPsnr) {
                    bestPsnr = psnr;
                    best = setting;
                }
            }
            return best;
        };

        if (wanted("noisy"))
            record("noisy", "the noisy input itself", [](const cv::Mat &noisy) { return noisy.clone(); }, "", 0.0);
        if (wanted("gaussian-blur")) {
            const double best = bestOf({0.5, 0.75, 1.0, 1.25, 1.5, 2.0, 2.5},
                                       [](double setting) { return gaussianBlur(setting); });
            record("gaussian-blur", "Gaussian blur, best sigma of a sweep on the held-out set", gaussianBlur(best),
                   "sigma " + fixed(best, 2) + " px", 0.0);
        }
        if (wanted("nlm")) {
            const double levels = dataRangeOf(heldOutSet.noisy.front()) * sigma;
            std::vector<double> hs;
            for (double factor = 0.4; factor <= 1.61; factor += 0.1)
                hs.push_back(factor * levels);
            const double best = bestOf(hs, [](double h) { return nonLocalMeans(static_cast<float>(h)); });
            record("nlm", "OpenCV fastNlMeansDenoising (7x7 template, 21x21 search), best h of a sweep on the held-out set",
                   nonLocalMeans(static_cast<float>(best)), "h " + fixed(best, 1), 0.0);
        }

        for (const auto &method : trainedMethods) {
            if (cancel)
                break;
            std::vector<TrainingSlice> trainingSlices;
            for (std::size_t i = 0; i < trainingSet.noisy.size(); ++i) {
                trainingSlices.push_back({training[i].name, method.trainsOnClean ? trainingSet.clean[i] : trainingSet.noisy[i],
                                          cv::Mat()});
            }
            auto trainingOptions = method.options;
            trainingOptions.epochs = 100000; // the time budget ends training, unless a setting limits epochs
            for (const auto &setting : options.settings)
                applySettingOverride(trainingOptions, setting);
            trainingOptions.modelFile = options.workDir / (method.name + "_sigma" + fixed(sigma, 3) + ".pt");
            trainingOptions.maxTrainingSeconds = method.minutes * 60.0;
            trainingOptions.validationFraction = 0.0;
            trainingOptions.seed = options.seed;
            if (method.trainsOnClean)
                trainingOptions.syntheticSigma = sigma;
            say("sigma " + percent(sigma) + ", " + method.name + ": training for " + fixed(method.minutes, 1)
                + " minutes.");
            const auto start = Clock::now();
            const auto result = trainOnSlices(trainingSlices, trainingOptions, {}, cancel);
            const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
            if (result.cancelled)
                break;
            auto enhancer = Enhancer::load(trainingOptions.modelFile);
            record(method.name, method.description,
                   [&enhancer](const cv::Mat &noisy) { return enhancer.enhance(noisy); }, "", seconds);
            if (method.name == "default" && enhancer.ricianCorrection()) {
                // The same model without noise-floor removal: what that step adds.
                enhancer.setRicianCorrection(false);
                record("default-no-floor-removal", "the default model without Rician noise-floor removal",
                       [&enhancer](const cv::Mat &noisy) { return enhancer.enhance(noisy); }, "", seconds);
            }
        }
    }
    if (cancel)
        throw EngineError("The benchmark was cancelled.");

    report.rows = rows;
    // Five panels a row keep the figure readable on a page.
    std::vector<FigureRow> figureRows;
    for (std::size_t first = 0; first < figurePanels.size(); first += kFigureColumns) {
        const auto last = std::min(figurePanels.size(), first + kFigureColumns);
        figureRows.push_back({first == 0 ? "Held-out slice, " + noiseModelName(options.noise) + " noise sigma "
                                               + percent(figureSigma) + " (PSNR against the clean slice)"
                                         : std::string(),
                              std::vector<FigurePanel>(figurePanels.begin() + first, figurePanels.begin() + last)});
    }
    report.figure = renderFigure(figureRows);
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
        out << " PSNR " << percent(sigma) << " | SSIM " << percent(sigma) << " |";
    if (report.unseenSlices > 0) {
        for (const double sigma : o.sigmas)
            out << " unseen PSNR " << percent(sigma) << " | unseen SSIM " << percent(sigma) << " |";
    }
    out << " training s | ms/MP | setting |\n|---|";
    const std::size_t columns = o.sigmas.size() * (report.unseenSlices > 0 ? 4 : 2) + 3;
    for (std::size_t i = 0; i < columns; ++i)
        out << "---:|";
    out << "\n";
    for (const auto &row : report.rows) {
        out << "| " << row.method << " |";
        for (const auto &score : row.heldOut)
            out << " " << fixed(score.psnr, 2) << " | " << fixed(score.ssim, 4) << " |";
        for (const auto &score : row.unseen)
            out << " " << fixed(score.psnr, 2) << " | " << fixed(score.ssim, 4) << " |";
        std::string settings;
        for (std::size_t s = 0; s < row.parameter.size(); ++s) {
            if (!row.parameter[s].empty())
                settings += (settings.empty() ? "" : ", ") + row.parameter[s];
        }
        out << " " << (row.trainSeconds > 0 ? fixed(row.trainSeconds, 0) : "-") << " | "
            << fixed(row.msPerMegapixel, 1) << " | " << settings << " |\n";
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
                                      fixed(report.options.sigmas[s], 4), set, formatMetric(score.psnr, 4),
                                      formatMetric(score.ssim, 6), fixed(row.trainSeconds, 1),
                                      fixed(row.msPerMegapixel, 2), row.parameter[s]});
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
