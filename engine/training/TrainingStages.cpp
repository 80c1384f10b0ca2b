#include "training/TrainingStages.h"

#include "base/EngineError.h"
#include "base/MemoryPolicy.h"
#include "image/NeighbourSlices.h"
#include "io/AtomicFile.h"
#include "io/ImageIO.h"
#include "model/TrainingSettings.h"
#include "nn/ThreadPolicy.h"
#include "quality/NoiseFloor.h"

#include <opencv2/core.hpp>

#include <omp.h>

#include <algorithm>
#include <condition_variable>
#include <cstdio>
#include <cmath>
#include <exception>
#include <limits>
#include <mutex>
#include <numeric>
#include <optional>
#include <thread>

namespace mri::training {

namespace {

// Validation slices are inferred whole up to this size, in tiles beyond.
constexpr int kValidationTileSize = 1024;

void say(const MessageCallback &onMessage, const std::string &message)
{
    if (onMessage)
        onMessage(message);
}

torch::Tensor matToTensor(const cv::Mat &unit)
{
    return torch::from_blob(const_cast<float *>(unit.ptr<float>()), {unit.rows, unit.cols}, torch::kFloat32).clone();
}

// Reflect-pads a slice smaller than the patch so that patches can be cut from it.
torch::Tensor padToAtLeast(const torch::Tensor &image, int64_t size)
{
    const auto padHeight = std::max<int64_t>(0, size - image.size(0));
    const auto padWidth = std::max<int64_t>(0, size - image.size(1));
    if (padHeight == 0 && padWidth == 0)
        return image;
    namespace F = torch::nn::functional;
    return F::pad(image.view({1, 1, image.size(0), image.size(1)}),
                  F::PadFuncOptions({0, padWidth, 0, padHeight}).mode(torch::kReplicate))
        .view({image.size(0) + padHeight, image.size(1) + padWidth});
}

TrainingImage toTrainingImage(const TrainingSlice &slice, int patchSize, int neighbourSlices)
{
    const auto unit = [](const cv::Mat &image) {
        return image.depth() == CV_32F ? image : toUnitFloat(image);
    };
    TrainingImage image;
    image.name = slice.name;
    if (neighbourSlices == 0) {
        image.pixels = padToAtLeast(matToTensor(unit(slice.noisy)), patchSize);
    } else {
        std::vector<torch::Tensor> channels;
        for (const auto &channel : inputChannelsOf(slice.noisy, slice.neighbours, neighbourSlices, slice.name))
            channels.push_back(padToAtLeast(matToTensor(unit(channel)), patchSize));
        image.channels = torch::stack(channels);
        image.pixels = image.channels[neighbourSlices]; // a view: no second copy
    }
    if (!slice.clean.empty() && slice.clean.size() == slice.noisy.size())
        image.clean = padToAtLeast(matToTensor(unit(slice.clean)), patchSize);
    return image;
}

// Validation scores what enhancement delivers, noise-floor removal included.
torch::Tensor withoutNoiseFloor(const torch::Tensor &output, const torch::Tensor &input, const TrainingOptions &options)
{
    const auto toMat = [](const torch::Tensor &tensor) {
        const auto cpu = tensor.to(torch::kCPU).contiguous();
        return cv::Mat(static_cast<int>(cpu.size(0)), static_cast<int>(cpu.size(1)), CV_32FC1, cpu.data_ptr<float>()).clone();
    };
    const cv::Mat corrected = removeNoiseFloorOf(toMat(output), toMat(input), options.noiseCoils, kSmoothFloorRemoval).signal;
    return matToTensor(corrected).to(output.device());
}

// Prepares the batches of one epoch (patches, blind spots or synthetic noise)
// on a thread of its own, one batch ahead of the step that trains on them, so
// that the step need not wait for them. It draws exactly what the steps drew
// when they prepared their own batches, in the same order, from the same
// generators (the sampler's and LibTorch's default one, which the network's
// steps do not draw from), so a seed repeats the run. A run stopped early
// (cancelled, time budget) has drawn one batch more than it trained on.
class BatchProducer
{
public:
    BatchProducer(PatchSampler &sampler, const TrainingOptions &options, const RunPlan &plan, const torch::Device &device)
        : m_sampler(sampler)
        , m_options(options)
        , m_plan(plan)
        , m_device(device)
        , m_thread([this] { produce(); })
    {
    }
    ~BatchProducer()
    {
        {
            std::lock_guard<std::mutex> lock(m_mutex);
            m_stop = true;
        }
        m_changed.notify_all();
        m_thread.join();
    }
    BatchProducer(const BatchProducer &) = delete;
    BatchProducer &operator=(const BatchProducer &) = delete;

    // The next step's batch; rethrows what preparing it threw.
    Batch take()
    {
        std::unique_lock<std::mutex> lock(m_mutex);
        m_changed.wait(lock, [this] { return m_ready.has_value() || m_error; });
        if (!m_ready)
            std::rethrow_exception(m_error);
        Batch batch = std::move(*m_ready);
        m_ready.reset();
        m_changed.notify_all();
        return batch;
    }

private:
    void produce()
    {
        try {
            // One thread: the step's OpenMP team has the cores; this thread
            // only fills the time the step leaves them idle.
            torch::get_num_threads(); // LibTorch's per-thread set-up first, which would undo the next line
            omp_set_num_threads(1);
            for (int step = 1; step <= m_plan.stepsPerEpoch; ++step) {
                {
                    // One ahead: the next batch is made while the step before it runs.
                    std::unique_lock<std::mutex> lock(m_mutex);
                    m_changed.wait(lock, [this] { return !m_ready || m_stop; });
                    if (m_stop)
                        return;
                }
                auto batch = makeBatch(m_sampler.draw(m_plan.batchOfStep(step)).to(m_device), m_options);
                std::lock_guard<std::mutex> lock(m_mutex);
                m_ready = std::move(batch);
                m_changed.notify_all();
            }
        } catch (...) {
            std::lock_guard<std::mutex> lock(m_mutex);
            m_error = std::current_exception();
            m_changed.notify_all();
        }
    }

    PatchSampler &m_sampler;
    const TrainingOptions &m_options;
    const RunPlan &m_plan;
    torch::Device m_device;
    std::mutex m_mutex;
    std::condition_variable m_changed;
    std::optional<Batch> m_ready;
    std::exception_ptr m_error;
    bool m_stop = false;
    std::thread m_thread; // last: starts once the members above exist
};

nn::UNet newNetUnlessGiven(nn::UNet net, const NetworkConfig &config, const torch::Device &device)
{
    if (!net) {
        net = nn::UNet(config);
        net->to(device);
    }
    return net;
}

} // namespace

// --- (a) ---------------------------------------------------------------------

TrainingOptions resolveRunSettings(const TrainingOptions &requested, const TrainingOptions *checkpoint)
{
    // A checkpoint continues as it was trained; the table of settings says
    // which settings come from the request instead (length, machine).
    TrainingOptions options = checkpoint ? resolveResumedOptions(requested, *checkpoint) : requested;
    if (options.seed == 0)
        options.seed = std::random_device{}() | 1ULL;
    return options;
}

RunStart startRun(const TrainingOptions &requested, const MessageCallback &onMessage)
{
    validateTrainingOptions(requested);
    if (requested.modelFile.empty())
        throw EngineError("No model file was given to save the training to.");
    // Found now, not after the first epoch: a model folder that cannot be written.
    ensureWritableFolder(requested.modelFile.parent_path(), "model folder");
    removeStaleTemporaryFiles(requested.modelFile.parent_path().empty() ? std::filesystem::path(".")
                                                                        : requested.modelFile.parent_path());
    RunStart start;
    keepTensorMemoryForReuse();
    start.threads = useThreads(requested.threads);
    start.device = torch::cuda::is_available() ? torch::Device(torch::kCUDA) : torch::Device(torch::kCPU);
    if (!requested.resume) {
        start.options = resolveRunSettings(requested, nullptr);
        return start;
    }
    auto loaded = nn::loadCheckpoint(requested.modelFile, start.device);
    start.meta = loaded.meta;
    start.net = loaded.net;
    start.optimizerState = loaded.optimizerState;
    start.options = resolveRunSettings(requested, &start.meta.options);
    say(onMessage, "Resuming from '" + start.options.modelFile.string() + "' after epoch "
                       + std::to_string(start.meta.epochsCompleted) + ".");
    return start;
}

TrainingResult initialResult(const RunStart &start)
{
    TrainingResult result;
    result.settings = start.options;
    result.seed = start.options.seed;
    result.device = start.device.is_cuda() ? "cuda" : "cpu";
    result.epochsCompleted = start.meta.epochsCompleted;
    result.history = start.meta.history;
    return result;
}

std::mt19937_64 seedRun(std::uint64_t seed, int epochsCompleted)
{
    torch::manual_seed(seed + static_cast<std::uint64_t>(epochsCompleted));
    return std::mt19937_64(seed * 6364136223846793005ULL + static_cast<std::uint64_t>(epochsCompleted));
}

// --- (b) ---------------------------------------------------------------------

SliceSplit splitSlices(std::size_t count, std::uint64_t seed, double validationFraction)
{
    std::vector<std::size_t> order(count);
    std::iota(order.begin(), order.end(), 0);
    std::shuffle(order.begin(), order.end(), std::mt19937_64(seed));
    std::size_t validationCount = static_cast<std::size_t>(std::lround(validationFraction * count));
    if (validationFraction > 0.0 && count >= 2)
        validationCount = std::clamp<std::size_t>(validationCount, 1, count - 1);
    else
        validationCount = 0;
    SliceSplit split;
    split.validation.assign(order.begin(), order.begin() + validationCount);
    split.training.assign(order.begin() + validationCount, order.end());
    return split;
}

ImageSets prepareImages(const std::vector<TrainingSlice> &slices, const TrainingOptions &options)
{
    if (slices.empty())
        throw EngineError("No usable image to train on.");
    const auto split = splitSlices(slices.size(), options.seed, options.validationFraction);
    // The network's channels as built (an automatic choice not yet made builds single slices).
    const int neighbours = std::max(0, options.network.neighbourSlices);
    ImageSets sets;
    for (const auto index : split.validation)
        sets.validation.push_back(toTrainingImage(slices[index], options.patchSize, neighbours));
    for (const auto index : split.training)
        sets.training.push_back(toTrainingImage(slices[index], options.patchSize, neighbours));
    return sets;
}

IntensityStatistics intensityStatistics(const std::vector<TrainingImage> &images)
{
    double sum = 0.0;
    double squares = 0.0;
    double count = 0.0;
    for (const auto &image : images) {
        const auto pixels = image.pixels.to(torch::kFloat64);
        sum += pixels.sum().item<double>();
        squares += pixels.pow(2).sum().item<double>();
        count += static_cast<double>(pixels.numel());
    }
    IntensityStatistics statistics;
    if (count > 0) {
        statistics.mean = sum / count;
        statistics.deviation = std::sqrt(std::max(0.0, squares / count - statistics.mean * statistics.mean));
    }
    return statistics;
}

// --- (c) ---------------------------------------------------------------------

Learner::Learner(const TrainingOptions &options, const torch::Device &device, nn::UNet net,
                 const std::shared_ptr<torch::serialize::InputArchive> &optimizerState)
    : device(device)
    , net(newNetUnlessGiven(std::move(net), options.network, device))
    , optimizer(this->net->parameters(), torch::optim::AdamOptions(options.learningRate))
{
    if (optimizerState) {
        optimizer.load(*optimizerState);
        // saveCheckpoint() refuses such a state; a file written otherwise would resume into NaN.
        const std::string bad = nn::firstNonFiniteOptimizerState(this->net, optimizer);
        if (!bad.empty())
            throw EngineError("'" + options.modelFile.string() + "' cannot be resumed: its optimiser state for '" + bad
                              + "' is not a finite number; train without --resume to start afresh.");
    }
    setLearningRate(options.learningRate);
}

void Learner::setLearningRate(double rate)
{
    for (auto &group : optimizer.param_groups())
        static_cast<torch::optim::AdamOptions &>(group.options()).lr(rate);
}

int RunPlan::batchOfStep(int step) const
{
    return static_cast<int>(std::min<long long>(batchSize, patchesPerEpoch - static_cast<long long>(step - 1) * batchSize));
}

RunPlan planRun(const TrainingOptions &options, std::size_t trainingImages, int epochsCompleted)
{
    RunPlan plan;
    plan.firstEpoch = epochsCompleted + 1;
    plan.epochs = options.epochs;
    plan.batchSize = options.batchSize;
    plan.patchesPerEpoch = static_cast<long long>(trainingImages) * options.patchesPerImage;
    plan.stepsPerEpoch = static_cast<int>((plan.patchesPerEpoch + options.batchSize - 1) / options.batchSize);
    plan.plannedSteps = static_cast<long long>(options.epochs) * plan.stepsPerEpoch;
    plan.stepsThisRun = static_cast<long long>(options.epochs - plan.firstEpoch + 1) * plan.stepsPerEpoch;
    plan.maxSeconds = options.maxTrainingSeconds;
    return plan;
}

RunProgress::RunProgress(const RunPlan &plan, long long globalStep)
    : m_plan(plan)
    , m_start(Clock::now())
    , m_globalStep(globalStep)
{
}

double RunProgress::elapsedSeconds() const
{
    return std::chrono::duration<double>(Clock::now() - m_start).count();
}

bool RunProgress::budgetSpent() const
{
    return m_plan.maxSeconds > 0 && elapsedSeconds() >= m_plan.maxSeconds;
}

double RunProgress::fraction() const
{
    double progress = static_cast<double>(m_globalStep) / std::max(1LL, m_plan.plannedSteps);
    if (m_plan.maxSeconds > 0)
        progress = std::max(progress, elapsedSeconds() / m_plan.maxSeconds);
    return std::min(progress, 1.0);
}

double RunProgress::etaSeconds() const
{
    const double elapsed = elapsedSeconds();
    double eta = elapsed / std::max(1LL, m_stepsDone) * (m_plan.stepsThisRun - m_stepsDone);
    if (m_plan.maxSeconds > 0)
        eta = std::min(eta, m_plan.maxSeconds - elapsed);
    return eta;
}

void RunProgress::countStep()
{
    ++m_globalStep;
    ++m_stepsDone;
}

PatchSampler::PatchSampler(const std::vector<TrainingImage> &images, int patchSize, std::mt19937_64 random)
    : m_images(images)
    , m_patchSize(patchSize)
    , m_random(std::move(random))
    , m_pickImage(0, images.empty() ? 0 : images.size() - 1)
{
}

torch::Tensor PatchSampler::draw(int count)
{
    std::vector<torch::Tensor> patches;
    patches.reserve(count);
    for (int b = 0; b < count; ++b) {
        const auto image = m_images[m_pickImage(m_random)].networkInput(); // [C, H, W]
        const int y = std::uniform_int_distribution<int>(0, static_cast<int>(image.size(1)) - m_patchSize)(m_random);
        const int x = std::uniform_int_distribution<int>(0, static_cast<int>(image.size(2)) - m_patchSize)(m_random);
        auto cut = image.slice(1, y, y + m_patchSize).slice(2, x, x + m_patchSize);
        const int transform = m_pickTransform(m_random); // 4 rotations x optional flip
        cut = torch::rot90(cut, transform % 4, {1, 2});
        if (transform >= 4)
            cut = torch::flip(cut, {2});
        patches.push_back(cut);
    }
    return torch::stack(patches);
}

// Constant, or cosine decay to 2 % of the start (Loshchilov & Hutter 2017)
// after a short warm-up.
double learningRateAt(const TrainingOptions &options, double progress)
{
    if (!options.cosineSchedule)
        return options.learningRate;
    constexpr double kWarmup = 0.03;
    if (progress < kWarmup)
        return options.learningRate * (0.1 + 0.9 * progress / kWarmup);
    const double t = std::clamp((progress - kWarmup) / (1.0 - kWarmup), 0.0, 1.0);
    return options.learningRate * (0.02 + 0.98 * 0.5 * (1.0 + std::cos(M_PI * t)));
}

EpochSummary trainEpoch(Learner &learner, PatchSampler &sampler, const TrainingOptions &options, int epoch,
                        RunProgress &progress, const std::function<void(const TrainingStep &)> &onStep,
                        const std::atomic_bool &cancel)
{
    const RunPlan &plan = progress.plan();
    learner.net->train();
    double lossSum = 0.0;
    int stepsInEpoch = 0;
    BatchProducer batches(sampler, options, plan, learner.device);
    for (int step = 1; step <= plan.stepsPerEpoch; ++step) {
        if (cancel || progress.budgetSpent())
            break;
        learner.setLearningRate(learningRateAt(options, progress.fraction()));
        const auto batch = batches.take();
        learner.optimizer.zero_grad();
        const auto loss = lossOf(learner.net->forward(batch.input), batch);
        loss.backward();
        learner.optimizer.step();

        const double lossValue = loss.item<double>();
        if (!std::isfinite(lossValue))
            throw EngineError("Training diverged at epoch " + std::to_string(epoch) + ", step " + std::to_string(step)
                              + " (the loss is not finite); lower the learning rate. The last checkpoint is kept.");
        lossSum += lossValue;
        ++stepsInEpoch;
        progress.countStep();
        if (onStep) {
            TrainingStep report;
            report.epoch = epoch;
            report.epochs = plan.epochs;
            report.step = step;
            report.stepsPerEpoch = plan.stepsPerEpoch;
            report.globalStep = progress.globalStep();
            report.loss = lossValue;
            report.elapsedSeconds = progress.elapsedSeconds();
            report.etaSeconds = progress.etaSeconds();
            report.fraction = progress.fraction();
            onStep(report);
        }
    }
    EpochSummary summary;
    summary.epoch = epoch;
    summary.epochs = plan.epochs;
    summary.globalStep = progress.globalStep();
    summary.trainLoss = lossSum / std::max(1, stepsInEpoch);
    summary.learningRate = learningRateAt(options, progress.fraction());
    summary.validationLoss = std::nan("");
    summary.validationPsnr = std::nan("");
    return summary;
}

void recalibrateBatchNorm(Learner &learner, PatchSampler &sampler, const TrainingOptions &options, int batches)
{
    std::vector<torch::nn::BatchNorm2dImpl *> norms;
    for (const auto &module : learner.net->modules(false)) {
        if (auto *norm = module->as<torch::nn::BatchNorm2dImpl>())
            norms.push_back(norm);
    }
    if (norms.empty() || batches <= 0)
        return;
    torch::NoGradGuard noGrad;
    for (auto *norm : norms) {
        norm->reset_running_stats();
        norm->options.momentum(c10::nullopt); // cumulative: every batch counts the same
    }
    learner.net->train();
    for (int i = 0; i < batches; ++i) {
        const auto patches = sampler.draw(options.batchSize).to(learner.device);
        // The synthetic and superres objectives' network sees degraded input, the others the slice itself.
        learner.net->forward(seesDegradedInput(options) ? makeBatch(patches, options).input : patches);
    }
    for (auto *norm : norms)
        norm->options.momentum(0.1);
}

int chooseBlindSpotRadius(const std::vector<TrainingImage> &images, const TrainingOptions &options,
                          std::string *summary)
{
    std::vector<int> radii;
    std::vector<double> nearest;
    for (const auto &image : images) {
        const auto pixels = image.pixels.to(torch::kCPU).contiguous();
        const cv::Mat view(static_cast<int>(pixels.size(0)), static_cast<int>(pixels.size(1)), CV_32FC1,
                           pixels.data_ptr<float>());
        const auto noise = estimateNoise(view, options.noiseCoils);
        if (noise.backgroundPixels == 0 || noise.correlation.empty())
            continue;
        radii.push_back(noise.blindSpotRadius);
        nearest.push_back(noise.correlation.front());
    }
    if (radii.empty()) {
        if (summary)
            *summary = "No background to measure the noise's correlation in: single-pixel blind spots.";
        return 0;
    }
    const auto middle = radii.size() / 2;
    std::nth_element(radii.begin(), radii.begin() + middle, radii.end());
    std::nth_element(nearest.begin(), nearest.begin() + middle, nearest.end());
    const int radius = radii[middle];
    if (summary) {
        char correlation[32];
        std::snprintf(correlation, sizeof correlation, "%.2f", nearest[middle]);
        *summary = std::string("Noise correlation between neighbouring pixels ") + correlation
            + " (median of the training slices' background): blind-spot radius " + std::to_string(radius) + ".";
    }
    return radius;
}

// --- (d) ---------------------------------------------------------------------

ValidationSet drawValidationSet(const std::vector<TrainingImage> &validation, const TrainingOptions &options)
{
    ValidationSet set;
    set.groundTruth = !validation.empty()
        && std::all_of(validation.begin(), validation.end(), [](const TrainingImage &i) { return i.clean.defined(); });
    torch::manual_seed(options.seed ^ 0x5eedULL);
    for (const auto &image : validation) {
        // [H, W] for a single-slice network, [C, H, W] with neighbour slices.
        const auto squeezed = [](const torch::Tensor &channels) {
            return channels.size(0) == 1 ? channels[0] : channels;
        };
        const auto batch = makeBatch(image.networkInput().unsqueeze(0), options);
        ValidationSample sample{squeezed(batch.input[0]), batch.target[0][0],
                                batch.mask.defined() ? batch.mask[0][0] : torch::Tensor(), squeezed(image.networkInput()),
                                set.groundTruth ? image.clean : image.pixels};
        // The synthetic objective's noisy input (superres: the coarse one) is what enhancement would see.
        if (seesDegradedInput(options))
            sample.enhanceInput = sample.input;
        set.samples.push_back(std::move(sample));
    }
    return set;
}

bool validationDue(const TrainingOptions &options, int epoch, int lastEpoch, bool budgetSpent)
{
    return epoch % options.validationInterval == 0 || epoch >= lastEpoch || budgetSpent;
}

ValidationScore validate(Learner &learner, const ValidationSet &set, const TrainingOptions &options,
                         const std::atomic_bool &cancel)
{
    ValidationScore score;
    score.loss = std::nan("");
    score.psnr = std::nan("");
    score.cancelled = cancel;
    if (set.samples.empty() || score.cancelled)
        return score;
    torch::NoGradGuard noGrad;
    learner.net->eval();
    double lossTotal = 0.0;
    double psnrTotal = 0.0;
    const auto infer = [&](const torch::Tensor &input) {
        return nn::inferSlice(learner.net, input, kValidationTileSize, &cancel, learner.device);
    };
    for (const auto &sample : set.samples) {
        if (cancel)
            break;
        const auto output = infer(sample.input);
        if (!output.defined())
            break;
        lossTotal += lossOf(output, Batch{sample.input, sample.target, sample.mask}).item<double>();
        const auto enhanced = sample.enhanceInput.is_same(sample.input) ? output : infer(sample.enhanceInput);
        if (!enhanced.defined())
            break;
        // The noise floor is measured in the centre slice (the one enhanced).
        const auto enhancedSlice = sample.enhanceInput.dim() == 3
            ? sample.enhanceInput[sample.enhanceInput.size(0) / 2]
            : sample.enhanceInput;
        psnrTotal += psnrOfUnit(options.ricianCorrection ? withoutNoiseFloor(enhanced, enhancedSlice, options) : enhanced,
                                sample.reference);
    }
    score.cancelled = cancel;
    if (!score.cancelled) {
        score.loss = lossTotal / set.samples.size();
        score.psnr = psnrTotal / set.samples.size();
    }
    return score;
}

double psnrOfUnit(const torch::Tensor &output, const torch::Tensor &reference)
{
    const double mse = (output.clamp(0.0, 1.0) - reference).pow(2).mean().item<double>();
    return mse > 0.0 ? 10.0 * std::log10(1.0 / mse) : INFINITY;
}

// --- (e) ---------------------------------------------------------------------

void saveEpoch(Learner &learner, nn::CheckpointMeta &meta, const EpochSummary &summary, const TrainingOptions &options)
{
    meta.network = options.network;
    meta.options = options;
    meta.epochsCompleted = summary.epoch;
    meta.globalStep = summary.globalStep;
    meta.history.push_back(summary);
    nn::saveCheckpoint(options.modelFile, learner.net, learner.optimizer, meta);
}

} // namespace mri::training
