#include "benchmark/BenchmarkStages.h"

#include "base/EngineError.h"
#include "dataset/Dataset.h"
#include "enhance/Enhancer.h"
#include "io/ImageIO.h"
#include "model/TrainingSettings.h"
#include "quality/Metrics.h"
#include "training/Trainer.h"

#include <opencv2/imgproc.hpp>
#include <opencv2/photo.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <sstream>

namespace mri::benchmark {

namespace {

using Clock = std::chrono::steady_clock;

constexpr std::size_t kFigureColumns = 5;

void say(const MessageCallback &onMessage, const std::string &line)
{
    if (onMessage)
        onMessage(line);
}

double secondsSince(Clock::time_point start)
{
    return std::chrono::duration<double>(Clock::now() - start).count();
}

bool isMethodName(const std::string &name)
{
    const auto &names = benchmarkMethodNames();
    return std::find(names.begin(), names.end(), name) != names.end();
}

std::vector<BenchmarkSlice> loadSlices(const std::filesystem::path &folder)
{
    const Dataset dataset = openDataset(folder);
    std::vector<BenchmarkSlice> slices;
    for (const auto &row : dataset.rows)
        slices.push_back({row.imagePath.filename().string(), loadGrayscaleImage(row.imagePath)});
    return slices;
}

NoisySet makeNoisy(const std::string &name, const std::vector<BenchmarkSlice> &slices, const NoiseSpec &noise,
                   double sigma, std::uint64_t seed)
{
    NoisySet set;
    set.set = name;
    for (std::size_t i = 0; i < slices.size(); ++i) {
        set.names.push_back(slices[i].name);
        set.clean.push_back(slices[i].clean);
        set.noisy.push_back(addNoise(slices[i].clean, noise, sigma, seed + i));
    }
    return set;
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

} // namespace

std::string formatFixed(double value, int decimals)
{
    std::ostringstream out;
    out.setf(std::ios::fixed);
    out.precision(decimals);
    out << value;
    return out.str();
}

std::string formatPercent(double sigma)
{
    return formatFixed(sigma * 100.0, sigma * 100.0 == std::round(sigma * 100.0) ? 0 : 1) + " %";
}

void checkBenchmarkOptions(const QualityBenchmarkOptions &options)
{
    for (const auto &method : options.methods) {
        if (!isMethodName(method))
            throw EngineError("Unknown benchmark method '" + method + "'.");
    }
    if (options.sigmas.empty())
        throw EngineError("The benchmark needs at least one noise level.");
    if (!(options.trainMinutes > 0.0) || options.ablationMinutes < 0.0)
        throw EngineError("The benchmark's training budgets must be positive.");
    if (options.heldOutEvery < 2)
        throw EngineError("The benchmark needs at least two slices per held-out slice.");
    if (options.repeats < 1 || options.repeats > 20)
        throw EngineError("The benchmark's repeats must be from 1 to 20, not " + std::to_string(options.repeats) + ".");
}

bool wantsMethod(const QualityBenchmarkOptions &options, const std::string &method)
{
    return options.methods.empty()
        || std::find(options.methods.begin(), options.methods.end(), method) != options.methods.end();
}

// --- Slices ------------------------------------------------------------------

HeldOutSplit splitHeldOut(std::size_t count, int heldOutEvery)
{
    HeldOutSplit split;
    for (std::size_t i = 0; i < count; ++i)
        (static_cast<int>(i % heldOutEvery) == heldOutEvery / 2 ? split.heldOut : split.training).push_back(i);
    return split;
}

std::string setNameOf(const std::filesystem::path &folder)
{
    auto path = folder.lexically_normal();
    if (path.filename().empty() || path.filename() == ".")
        path = path.parent_path();
    if (path.filename().empty() || path.filename() == "." || path.filename() == "..")
        path = std::filesystem::absolute(folder).lexically_normal();
    if (path.filename().empty())
        path = path.parent_path();
    // A demo data set's clean/ folder is known by the data set's folder.
    if (path.filename() == "clean" && !path.parent_path().filename().empty())
        path = path.parent_path();
    const auto name = path.filename().string();
    return name.empty() ? folder.string() : name;
}

BenchmarkSlices loadBenchmarkSlices(const QualityBenchmarkOptions &options)
{
    const auto all = loadSlices(options.cleanDir);
    BenchmarkSlices slices;
    if (options.trainOnTest) {
        if (all.empty())
            throw EngineError("'" + options.cleanDir.string() + "' has no slices to train on and score.");
        slices.scored.push_back({setNameOf(options.cleanDir), all});
    } else {
        const auto split = splitHeldOut(all.size(), options.heldOutEvery);
        if (split.training.empty() || split.heldOut.empty())
            throw EngineError("'" + options.cleanDir.string() + "' needs at least "
                              + std::to_string(options.heldOutEvery)
                              + " slices to split into training and held-out slices.");
        for (const auto i : split.training)
            slices.training.push_back(all[i]);
        ScoredSlices heldOut{"held-out", {}};
        for (const auto i : split.heldOut)
            heldOut.slices.push_back(all[i]);
        slices.scored.push_back(std::move(heldOut));
    }
    for (const auto &folder : options.unseenDirs) {
        const std::string base = setNameOf(folder);
        std::string name = base;
        for (int n = 2; std::any_of(slices.scored.begin(), slices.scored.end(),
                                    [&](const ScoredSlices &set) { return set.name == name; });
             ++n)
            name = base + "-" + std::to_string(n);
        auto unseen = loadSlices(folder);
        if (unseen.empty())
            throw EngineError("'" + folder.string() + "' has no slices to score.");
        slices.scored.push_back({name, std::move(unseen)});
    }
    return slices;
}

NoisySets makeNoisySets(const BenchmarkSlices &slices, const QualityBenchmarkOptions &options, std::size_t sigmaIndex)
{
    NoisySets sets;
    sets.sigma = options.sigmas.at(sigmaIndex);
    const std::uint64_t seed = options.seed * 1000003ULL + sigmaIndex * 7919ULL;
    sets.training = makeNoisy("training", slices.training, options.noise, sets.sigma, seed);
    for (std::size_t g = 0; g < slices.scored.size(); ++g)
        sets.scored.push_back(makeNoisy(slices.scored[g].name, slices.scored[g].slices, options.noise, sets.sigma,
                                        seed + 100000 * (g + 1)));
    return sets;
}

// --- Scores ------------------------------------------------------------------

Evaluation evaluate(const NoisySet &set, const Denoiser &denoise, const std::atomic_bool &cancel)
{
    Evaluation result;
    for (std::size_t i = 0; i < set.noisy.size() && !cancel; ++i) {
        const auto start = Clock::now();
        const cv::Mat output = denoise(set.noisy[i]);
        result.seconds += secondsSince(start);
        result.megapixels += set.noisy[i].total() / 1e6;
        const auto metrics = compareImages(set.clean[i], output);
        result.score.psnr += metrics.psnr / set.noisy.size();
        result.score.ssim += metrics.ssim / set.noisy.size();
    }
    return result;
}

ScoreSheet::ScoreSheet(const QualityBenchmarkOptions &options, MessageCallback onMessage, const std::atomic_bool &cancel)
    : m_options(options)
    , m_onMessage(std::move(onMessage))
    , m_cancel(cancel)
    , m_figureSigma(options.sigmas.empty() ? 0.0 : *std::max_element(options.sigmas.begin(), options.sigmas.end()))
{
}

void ScoreSheet::beginNoiseLevel(const NoisySets &sets)
{
    m_sets = &sets;
    if (sets.sigma == m_figureSigma && !sets.scored.empty() && !sets.scored.front().clean.empty()) {
        const auto &first = sets.scored.front();
        const auto &clean = first.clean[first.clean.size() / 2];
        m_figureSet = first.set;
        m_panels.push_back({"clean", clean, 0, dataRangeOf(clean)});
    }
}

QualityBenchmarkRow &ScoreSheet::rowFor(const std::string &method, const std::string &description)
{
    for (auto &row : m_rows) {
        if (row.method == method)
            return row;
    }
    m_rows.push_back({method, description, {}, {}, 0.0, 0.0});
    return m_rows.back();
}

void ScoreSheet::record(const std::string &method, const std::string &description, const Denoiser &denoise,
                        const std::string &parameter, double trainSeconds, std::optional<std::size_t> onlySet)
{
    const auto &sets = *m_sets;
    const double levels = static_cast<double>(m_options.sigmas.size());
    const double setCount = static_cast<double>(sets.scored.size());
    auto &row = rowFor(method, description);
    row.scores.resize(sets.scored.size());
    for (std::size_t g = 0; g < sets.scored.size(); ++g) {
        if (onlySet && *onlySet != g)
            continue;
        const auto &set = sets.scored[g];
        const auto evaluation = evaluate(set, denoise, m_cancel);
        row.scores[g].push_back(evaluation.score);
        if (onlySet)
            row.trainSeconds += trainSeconds / levels / setCount;
        if (g != 0)
            continue;
        // The first set times the method, holds its setting and gives the figure.
        row.parameter.push_back(parameter);
        row.msPerMegapixel += msPerMegapixel(evaluation) / levels;
        if (sets.sigma == m_figureSigma && !set.noisy.empty()) {
            const std::size_t figureSlice = set.noisy.size() / 2;
            const cv::Mat output = denoise(set.noisy[figureSlice]);
            const auto metrics = compareImages(set.clean[figureSlice], output);
            m_panels.push_back({method + "  " + formatFixed(metrics.psnr, 2) + " dB", output, 0, dataRangeOf(output)});
        }
    }
    if (!onlySet)
        row.trainSeconds += trainSeconds / levels;
    const std::size_t said = onlySet ? *onlySet : 0;
    if (said < row.scores.size() && !row.scores[said].empty()) {
        const auto &score = row.scores[said].back();
        say(m_onMessage, "sigma " + formatPercent(sets.sigma) + ", " + method
                             + (onlySet ? " on " + sets.scored[said].set : "") + (parameter.empty() ? "" : " (" + parameter + ")") + ": PSNR "
                             + formatFixed(score.psnr, 2) + " dB, SSIM " + formatFixed(score.ssim, 4));
    }
}

cv::Mat ScoreSheet::renderFigure() const
{
    std::vector<FigureRow> figureRows;
    for (std::size_t first = 0; first < m_panels.size(); first += kFigureColumns) {
        const auto last = std::min(m_panels.size(), first + kFigureColumns);
        figureRows.push_back({first == 0 ? "A slice of " + m_figureSet + ", " + noiseSpecName(m_options.noise) + " noise sigma "
                                               + formatPercent(m_figureSigma) + " (PSNR against the clean slice)"
                                         : std::string(),
                              std::vector<FigurePanel>(m_panels.begin() + first, m_panels.begin() + last)});
    }
    return mri::renderFigure(figureRows);
}

// --- Classical rows ----------------------------------------------------------

std::vector<ClassicalMethod> classicalMethods(const QualityBenchmarkOptions &options, double sigma, double dataRange)
{
    std::vector<ClassicalMethod> methods;
    // The sweep chooses on the first scored set (recordClassicalRows).
    const std::string sweptOn = options.trainOnTest ? "the first set" : "the held-out set";
    if (wantsMethod(options, "noisy")) {
        methods.push_back({"noisy", "the noisy input itself", {0.0},
                           [](double) -> Denoiser { return [](const cv::Mat &noisy) { return noisy.clone(); }; },
                           [](double) { return std::string(); }});
    }
    if (wantsMethod(options, "gaussian-blur")) {
        methods.push_back({"gaussian-blur", "Gaussian blur, best sigma of a sweep on " + sweptOn,
                           {0.5, 0.75, 1.0, 1.25, 1.5, 2.0, 2.5}, gaussianBlur,
                           [](double setting) { return "sigma " + formatFixed(setting, 2) + " px"; }});
    }
    if (wantsMethod(options, "nlm")) {
        const double levels = dataRange * sigma;
        std::vector<double> hs;
        for (double factor = 0.4; factor <= 1.61; factor += 0.1)
            hs.push_back(factor * levels);
        methods.push_back({"nlm",
                           "OpenCV fastNlMeansDenoising (7x7 template, 21x21 search), best h of a sweep on " + sweptOn,
                           hs, [](double h) { return nonLocalMeans(static_cast<float>(h)); },
                           [](double h) { return "h " + formatFixed(h, 1); }});
    }
    return methods;
}

double bestSetting(const NoisySet &set, const std::vector<double> &sweep, const std::function<Denoiser(double)> &make,
                   const std::atomic_bool &cancel)
{
    if (sweep.size() == 1)
        return sweep.front();
    double best = sweep.front();
    double bestPsnr = -1.0;
    for (const double setting : sweep) {
        const double psnr = evaluate(set, make(setting), cancel).score.psnr;
        if (psnr > bestPsnr) {
            bestPsnr = psnr;
            best = setting;
        }
    }
    return best;
}

void recordClassicalRows(ScoreSheet &sheet, const QualityBenchmarkOptions &options, const NoisySets &sets,
                         const std::atomic_bool &cancel)
{
    if (sets.scored.empty())
        return;
    const auto &first = sets.scored.front();
    const double dataRange = first.noisy.empty() ? 0.0 : dataRangeOf(first.noisy.front());
    for (const auto &method : classicalMethods(options, sets.sigma, dataRange)) {
        const double best = bestSetting(first, method.sweep, method.make, cancel);
        sheet.record(method.name, method.description, method.make(best), method.describe(best), 0.0);
    }
}

// --- Trained rows ------------------------------------------------------------

std::vector<TrainedMethod> trainedMethods(const QualityBenchmarkOptions &options)
{
    const double ablationMinutes = options.ablationMinutes > 0 ? options.ablationMinutes : options.trainMinutes;
    std::vector<TrainedMethod> methods;
    if (wantsMethod(options, "n2v"))
        methods.push_back({"n2v", "Noise2Void, original U-Net (depth 4, 32 channels, Sigmoid), Adam 1e-4",
                           originalUNetOptions(TrainingObjective::Noise2Void), false, ablationMinutes});
    if (wantsMethod(options, "identity"))
        methods.push_back({"identity", "input = target, original U-Net: learns to copy",
                           originalUNetOptions(TrainingObjective::Identity), false, ablationMinutes});
    if (wantsMethod(options, "synthetic")) {
        // The fair bound: the default network and settings, the default
        // pipeline's time, the benchmark's own noise at the true sigma.
        TrainingOptions supervised;
        supervised.objective = TrainingObjective::Synthetic;
        supervised.syntheticNoise = options.noise.model;
        supervised.syntheticCoils = options.noise.coils;
        supervised.syntheticCorrelation = options.noise.correlationPixels;
        supervised.syntheticJpegQuality = options.noise.jpegQuality;
        supervised.syntheticZeroFill = options.noise.zeroFillFactor;
        supervised.syntheticSenseAcceleration = options.noise.senseAcceleration;
        supervised.ricianCorrection = false;
        const std::string noise = "the benchmark's noise (" + noiseSpecName(options.noise) + ")";
        methods.push_back({"synthetic",
                           "supervised upper bound: the default network and settings, trained for the default "
                           "pipeline's time on the clean slices with "
                               + noise
                               + " at the true sigma; no noise-floor removal, since it learns the clean signal "
                                 "itself",
                           supervised, true, options.trainMinutes});
    }
    if (wantsMethod(options, "default"))
        methods.push_back({"default", "the default pipeline (mri-enhance train with no options)", TrainingOptions{},
                           false, options.trainMinutes});

    for (const auto &variant : options.variants) {
        if (variant.name.empty())
            throw EngineError("A benchmark variant needs a name.");
        const auto taken = isMethodName(variant.name)
            || std::any_of(methods.begin(), methods.end(), [&](const TrainedMethod &m) { return m.name == variant.name; });
        if (taken)
            throw EngineError("The variant name '" + variant.name + "' is already used by another row.");
        TrainedMethod method{variant.name, "default pipeline with " + describeOverrides(variant.settings),
                             TrainingOptions{}, false, ablationMinutes};
        for (const auto &setting : variant.settings)
            applySettingOverride(method.options, setting);
        method.trainsOnClean = method.options.objective == TrainingObjective::Synthetic;
        methods.push_back(method);
    }
    return methods;
}

TrainingOptions trainingOptionsFor(const TrainedMethod &method, const QualityBenchmarkOptions &options, double sigma,
                                   const std::string &set)
{
    auto trainingOptions = method.options;
    // As many epochs as the table allows: the time budget ends training, unless a setting limits epochs.
    trainingOptions.epochs = static_cast<int>(trainingSetting("epochs").maximum);
    for (const auto &setting : options.settings)
        applySettingOverride(trainingOptions, setting);
    trainingOptions.modelFile
        = options.workDir
        / (method.name + (set.empty() ? "" : "_" + set) + "_sigma" + formatFixed(sigma, 3)
           + (options.repeats > 1 ? "_seed" + std::to_string(options.seed) : "") + ".pt");
    trainingOptions.maxTrainingSeconds = method.minutes * 60.0;
    trainingOptions.validationFraction = 0.0;
    trainingOptions.seed = options.seed;
    if (method.trainsOnClean)
        trainingOptions.syntheticSigma = sigma;
    return trainingOptions;
}

TrainedModel trainMethod(const TrainedMethod &method, const QualityBenchmarkOptions &options, const NoisySet &set,
                         double sigma, const MessageCallback &onMessage, const std::atomic_bool &cancel)
{
    const auto &source = method.trainsOnClean ? set.clean : set.noisy;
    std::vector<TrainingSlice> slices;
    for (std::size_t i = 0; i < source.size(); ++i)
        slices.push_back({set.names[i], source[i], cv::Mat(), {}});
    const auto trainingOptions = trainingOptionsFor(method, options, sigma, options.trainOnTest ? set.set : "");
    say(onMessage, "sigma " + formatPercent(sigma) + ", " + method.name + ": training"
                       + (options.trainOnTest ? " on " + set.set : std::string()) + " for "
                       + formatFixed(method.minutes, 1) + " minutes.");
    const auto start = Clock::now();
    const auto result = trainOnSlices(slices, trainingOptions, {}, cancel);
    return {trainingOptions.modelFile, secondsSince(start), result.cancelled};
}

void recordTrainedRow(ScoreSheet &sheet, const TrainedMethod &method, const TrainedModel &model,
                      std::optional<std::size_t> onlySet)
{
    auto enhancer = Enhancer::load(model.file);
    const auto enhance = [&enhancer](const cv::Mat &noisy) { return enhancer.enhance(noisy); };
    sheet.record(method.name, method.description, enhance, "", model.seconds, onlySet);
    if (method.name == "default" && enhancer.ricianCorrection()) {
        enhancer.setSmoothFloorRemoval(!kSmoothFloorRemoval);
        sheet.record(kSmoothFloorRemoval ? "default-point-floor" : "default-posterior-floor",
                     kSmoothFloorRemoval ? "the default model with the point inversion of the noise floor"
                                         : "the default model with the posterior-mean inversion of the noise floor "
                                           "(half the prior at A = 0, the prediction's background spread as its error)",
                     enhance, "", model.seconds, onlySet);
        enhancer.setSmoothFloorRemoval(kSmoothFloorRemoval);
        enhancer.setRicianCorrection(false);
        sheet.record("default-no-floor-removal", "the default model without noise-floor removal", enhance, "",
                     model.seconds, onlySet);
    }
}

// --- Repeats -----------------------------------------------------------------

std::vector<QualityBenchmarkRow> combineRepeats(const std::vector<std::vector<QualityBenchmarkRow>> &repeats)
{
    if (repeats.empty())
        return {};
    if (repeats.size() == 1)
        return repeats.front();
    const double count = static_cast<double>(repeats.size());
    std::vector<QualityBenchmarkRow> rows = repeats.front();
    for (std::size_t i = 0; i < rows.size(); ++i) {
        auto &row = rows[i];
        row.trainSeconds = 0.0;
        row.msPerMegapixel = 0.0;
        for (const auto &repeat : repeats) {
            if (i >= repeat.size() || repeat[i].method != row.method)
                throw EngineError("The benchmark's repeats produced different rows.");
            row.trainSeconds += repeat[i].trainSeconds / count;
            row.msPerMegapixel += repeat[i].msPerMegapixel / count;
        }
        for (std::size_t g = 0; g < row.scores.size(); ++g) {
            for (std::size_t s = 0; s < row.scores[g].size(); ++s) {
                BenchmarkScore combined;
                double psnrLow = 0, psnrHigh = 0, ssimLow = 0, ssimHigh = 0;
                for (std::size_t r = 0; r < repeats.size(); ++r) {
                    const auto &score = repeats[r][i].scores.at(g).at(s);
                    combined.psnr += score.psnr / count;
                    combined.ssim += score.ssim / count;
                    psnrLow = r == 0 ? score.psnr : std::min(psnrLow, score.psnr);
                    psnrHigh = r == 0 ? score.psnr : std::max(psnrHigh, score.psnr);
                    ssimLow = r == 0 ? score.ssim : std::min(ssimLow, score.ssim);
                    ssimHigh = r == 0 ? score.ssim : std::max(ssimHigh, score.ssim);
                }
                combined.psnrSpread = psnrHigh - psnrLow;
                combined.ssimSpread = ssimHigh - ssimLow;
                row.scores[g][s] = combined;
            }
        }
        for (std::size_t s = 0; s < row.parameter.size(); ++s) {
            std::vector<std::string> settings;
            for (const auto &repeat : repeats) {
                const auto &setting = repeat[i].parameter.at(s);
                if (std::find(settings.begin(), settings.end(), setting) == settings.end())
                    settings.push_back(setting);
            }
            std::string joined;
            for (const auto &setting : settings)
                joined += (joined.empty() ? "" : " / ") + setting;
            row.parameter[s] = joined;
        }
    }
    return rows;
}

} // namespace mri::benchmark
