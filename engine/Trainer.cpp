#include "Trainer.h"

#include "EngineError.h"
#include "ImageIO.h"
#include "NoiseFloor.h"
#include "ThreadPolicy.h"
#include "TrainingSettings.h"
#include "nn/Checkpoint.h"
#include "nn/UNet.h"

#include <opencv2/core.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>
#include <random>

namespace mri {

namespace {

using Clock = std::chrono::steady_clock;

// Validation slices are inferred whole up to this size, in tiles beyond.
constexpr int kValidationTileSize = 1024;

struct TrainingImage
{
    std::string name;
    torch::Tensor pixels; // [H, W] float in [0, 1], at least patch x patch
    torch::Tensor clean;  // same size, or undefined when the dataset has no ground truth
};

struct ValidationSample
{
    torch::Tensor input;  // what the network sees for the loss
    torch::Tensor target;
    torch::Tensor mask;   // loss pixels (n2v), undefined: all pixels
    torch::Tensor enhanceInput; // what enhancement would see
    torch::Tensor reference;    // what the enhanced output is scored against
};

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

torch::Tensor addTensorNoise(const torch::Tensor &clean, NoiseModel model, double sigma)
{
    const auto first = clean + sigma * torch::randn_like(clean);
    if (model == NoiseModel::Gaussian)
        return first;
    const auto second = sigma * torch::randn_like(clean);
    return torch::sqrt(first * first + second * second);
}

// Noise2Void blind spot: replaces a random `fraction` of pixels by a random
// neighbour within a (2r+1)^2 window (never the pixel itself); returns the
// corrupted input and the mask of replaced pixels.
std::pair<torch::Tensor, torch::Tensor> blindSpotInput(const torch::Tensor &batch, double fraction, int neighbourhood)
{
    const auto height = batch.size(-2);
    const auto width = batch.size(-1);
    const auto shape = batch.sizes();
    const int64_t radius = std::max(1, neighbourhood / 2);
    const auto indexOptions = batch.options().dtype(torch::kLong);
    auto mask = torch::rand(shape, batch.options()) < fraction;
    auto dy = torch::randint(-radius, radius + 1, shape, indexOptions);
    auto dx = torch::randint(-radius, radius + 1, shape, indexOptions);
    const auto centre = (dy == 0).logical_and(dx == 0);
    dx = torch::where(centre, torch::randint(0, 2, shape, indexOptions) * 2 - 1, dx);
    const auto rows = (torch::arange(height, indexOptions).view({height, 1}) + dy).clamp(0, height - 1);
    const auto columns = (torch::arange(width, indexOptions).view({1, width}) + dx).clamp(0, width - 1);
    const auto flatIndex = (rows * width + columns).flatten(-2);
    const auto replaced = batch.flatten(-2).gather(-1, flatIndex).view(shape);
    return {torch::where(mask, replaced, batch), mask};
}

// N2V2 (Hoeck et al. 2022): the blind spot gets the median of its neighbourhood
// without the pixel itself, which removes the checkerboard artefacts of
// random-neighbour replacement.
std::pair<torch::Tensor, torch::Tensor> medianBlindSpotInput(const torch::Tensor &batch, double fraction,
                                                             int neighbourhood)
{
    namespace F = torch::nn::functional;
    const int64_t radius = std::max(1, neighbourhood / 2);
    const int64_t window = 2 * radius + 1;
    const auto shape = batch.sizes();
    const auto mask = torch::rand(shape, batch.options()) < fraction;
    const auto padded = F::pad(batch, F::PadFuncOptions({radius, radius, radius, radius}).mode(torch::kReplicate));
    auto neighbours = F::unfold(padded, F::UnfoldFuncOptions({window, window})); // [B, window^2, H*W]
    const int64_t centre = window * window / 2;
    neighbours = torch::cat({neighbours.slice(1, 0, centre), neighbours.slice(1, centre + 1)}, 1);
    const auto median = std::get<0>(neighbours.median(1)).view(shape);
    return {torch::where(mask, median, batch), mask};
}

struct Batch
{
    torch::Tensor input;
    torch::Tensor target;
    torch::Tensor mask; // undefined: loss over all pixels
};

Batch makeBatch(const torch::Tensor &clean, const TrainingOptions &options)
{
    switch (options.objective) {
    case TrainingObjective::Noise2Void: {
        auto [input, mask] = options.n2vMedianReplacement
            ? medianBlindSpotInput(clean, options.n2vMaskFraction, options.n2vNeighbourhood)
            : blindSpotInput(clean, options.n2vMaskFraction, options.n2vNeighbourhood);
        return {input, clean, mask};
    }
    case TrainingObjective::Identity:
        return {clean, clean, {}};
    case TrainingObjective::Synthetic:
        return {addTensorNoise(clean, options.syntheticNoise, options.syntheticSigma), clean, {}};
    }
    return {clean, clean, {}};
}

torch::Tensor lossOf(const torch::Tensor &output, const Batch &batch)
{
    const auto squared = (output - batch.target).pow(2);
    if (!batch.mask.defined())
        return squared.mean();
    const auto mask = batch.mask.to(squared.dtype());
    return (squared * mask).sum() / mask.sum().clamp_min(1.0);
}

// Validation scores what enhancement delivers, noise-floor removal included.
torch::Tensor withoutNoiseFloor(const torch::Tensor &output, const torch::Tensor &input)
{
    const auto toMat = [](const torch::Tensor &tensor) {
        const auto cpu = tensor.to(torch::kCPU).contiguous();
        return cv::Mat(static_cast<int>(cpu.size(0)), static_cast<int>(cpu.size(1)), CV_32FC1, cpu.data_ptr<float>()).clone();
    };
    const cv::Mat corrected = removeRicianBias(toMat(output), estimateRicianSigma(toMat(input)));
    return matToTensor(corrected).to(output.device());
}

double psnrOfUnit(const torch::Tensor &output, const torch::Tensor &reference)
{
    const double mse = (output.clamp(0.0, 1.0) - reference).pow(2).mean().item<double>();
    return mse > 0.0 ? 10.0 * std::log10(1.0 / mse) : INFINITY;
}

TrainingImage toTrainingImage(const TrainingSlice &slice, int patchSize)
{
    const auto unit = [](const cv::Mat &image) {
        return image.depth() == CV_32F ? image : toUnitFloat(image);
    };
    TrainingImage image;
    image.name = slice.name;
    const auto pixels = matToTensor(unit(slice.noisy));
    image.pixels = padToAtLeast(pixels, patchSize);
    if (!slice.clean.empty() && slice.clean.size() == slice.noisy.size())
        image.clean = padToAtLeast(matToTensor(unit(slice.clean)), patchSize);
    return image;
}

// Learning rate at `progress` in [0, 1] of the run: constant, or cosine decay
// to 2 % of the start (Loshchilov & Hutter 2017) after a short warm-up.
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

} // namespace

TrainingResult trainModel(const Dataset &dataset, const TrainingOptions &options, const TrainingCallbacks &callbacks,
                          const std::atomic_bool &cancel)
{
    std::vector<TrainingSlice> slices;
    std::vector<std::string> skipped;
    for (std::size_t i = 0; i < dataset.rows.size() && !cancel; ++i) {
        const auto &row = dataset.rows[i];
        try {
            TrainingSlice slice;
            slice.name = row.patientId;
            slice.noisy = loadGrayscaleImage(row.imagePath);
            if (const auto cleanPath = cleanImagePathOf(dataset, i); !cleanPath.empty()) {
                try {
                    slice.clean = loadGrayscaleImage(cleanPath);
                } catch (const EngineError &) {
                    // Ground truth is optional: validation then scores against the input.
                }
            }
            slices.push_back(std::move(slice));
        } catch (const EngineError &error) {
            skipped.push_back("Skipping " + dataset.describeRow(i) + ": " + error.what());
            if (callbacks.onMessage)
                callbacks.onMessage(skipped.back());
        }
    }
    if (cancel) {
        TrainingResult result;
        result.cancelled = true;
        result.skippedImages = skipped;
        return result;
    }
    if (slices.empty())
        throw EngineError("No usable image to train on in '" + dataset.folder.string() + "': every row failed to load.");
    auto result = trainOnSlices(slices, options, callbacks, cancel);
    result.skippedImages = skipped;
    return result;
}

TrainingResult trainOnSlices(const std::vector<TrainingSlice> &slices, const TrainingOptions &requested,
                             const TrainingCallbacks &callbacks, const std::atomic_bool &cancel)
{
    TrainingOptions options = requested;
    const auto say = [&](const std::string &message) {
        if (callbacks.onMessage)
            callbacks.onMessage(message);
    };
    validateTrainingOptions(options);
    if (options.modelFile.empty())
        throw EngineError("No model file was given to save the training to.");

    const int threads = useThreads(options.threads);
    const torch::Device device = torch::cuda::is_available() ? torch::Device(torch::kCUDA) : torch::Device(torch::kCPU);

    TrainingResult result;
    result.device = device.is_cuda() ? "cuda" : "cpu";

    // Resume: the network shape and history come from the checkpoint.
    nn::CheckpointMeta meta;
    nn::UNet net{nullptr};
    std::shared_ptr<torch::serialize::InputArchive> optimizerState;
    if (options.resume) {
        auto loaded = nn::loadCheckpoint(options.modelFile, device);
        meta = loaded.meta;
        net = loaded.net;
        optimizerState = loaded.optimizerState;
        // A checkpoint continues as it was trained; the table of settings says
        // which settings come from the request instead (length, machine).
        options = resolveResumedOptions(requested, meta.options);
        say("Resuming from '" + options.modelFile.string() + "' after epoch " + std::to_string(meta.epochsCompleted)
            + ".");
        if (meta.epochsCompleted >= options.epochs) {
            say("The model has already been trained for " + std::to_string(meta.epochsCompleted)
                + " epochs; nothing to do.");
            result.epochsCompleted = meta.epochsCompleted;
            result.history = meta.history;
            result.seed = options.seed;
            return result;
        }
    }
    if (options.seed == 0)
        options.seed = std::random_device{}() | 1ULL;
    result.seed = options.seed;
    torch::manual_seed(options.seed + static_cast<std::uint64_t>(meta.epochsCompleted));
    std::mt19937_64 random(options.seed * 6364136223846793005ULL + static_cast<std::uint64_t>(meta.epochsCompleted));

    if (slices.empty())
        throw EngineError("No usable image to train on.");
    std::vector<TrainingImage> images;
    images.reserve(slices.size());
    for (const auto &slice : slices)
        images.push_back(toTrainingImage(slice, options.patchSize));

    // Split once, by the seed, so a resumed run validates on the same images.
    std::vector<std::size_t> order(images.size());
    std::iota(order.begin(), order.end(), 0);
    std::shuffle(order.begin(), order.end(), std::mt19937_64(options.seed));
    std::size_t validationCount = static_cast<std::size_t>(std::lround(options.validationFraction * images.size()));
    if (options.validationFraction > 0.0 && images.size() >= 2)
        validationCount = std::clamp<std::size_t>(validationCount, 1, images.size() - 1);
    else
        validationCount = 0;
    std::vector<TrainingImage> training;
    std::vector<TrainingImage> validation;
    for (std::size_t i = 0; i < order.size(); ++i)
        (i < validationCount ? validation : training).push_back(std::move(images[order[i]]));
    result.trainingImages = static_cast<int>(training.size());
    result.validationImages = static_cast<int>(validation.size());
    const bool cleanReference = !validation.empty()
        && std::all_of(validation.begin(), validation.end(), [](const TrainingImage &i) { return i.clean.defined(); });

    // Validation inputs are drawn once so the loss is comparable across epochs.
    std::vector<ValidationSample> validationSamples;
    {
        torch::manual_seed(options.seed ^ 0x5eedULL);
        for (const auto &image : validation) {
            const auto batch = makeBatch(image.pixels.view({1, 1, image.pixels.size(0), image.pixels.size(1)}), options);
            ValidationSample sample{batch.input[0][0], batch.target[0][0],
                                    batch.mask.defined() ? batch.mask[0][0] : torch::Tensor(), image.pixels,
                                    cleanReference ? image.clean : image.pixels};
            if (options.objective == TrainingObjective::Synthetic) {
                sample.enhanceInput = sample.input;
                sample.reference = cleanReference ? image.clean : image.pixels;
            }
            validationSamples.push_back(std::move(sample));
        }
        torch::manual_seed(options.seed + static_cast<std::uint64_t>(meta.epochsCompleted));
    }

    if (!net) {
        net = nn::UNet(options.network);
        net->to(device);
    }
    torch::optim::Adam optimizer(net->parameters(), torch::optim::AdamOptions(options.learningRate));
    if (optimizerState)
        optimizer.load(*optimizerState);
    for (auto &group : optimizer.param_groups())
        static_cast<torch::optim::AdamOptions &>(group.options()).lr(options.learningRate);

    meta.network = options.network;
    meta.options = options;
    const int patch = options.patchSize;
    const long long patchesPerEpoch = static_cast<long long>(training.size()) * options.patchesPerImage;
    const int stepsPerEpoch = static_cast<int>((patchesPerEpoch + options.batchSize - 1) / options.batchSize);
    const int firstEpoch = meta.epochsCompleted + 1;
    const long long stepsThisRun = static_cast<long long>(options.epochs - firstEpoch + 1) * stepsPerEpoch;
    say("Training on " + std::to_string(training.size()) + " images, validating on " + std::to_string(validation.size())
        + (cleanReference ? " (PSNR against ground truth)" : " (PSNR against the input)") + ", "
        + std::to_string(stepsPerEpoch) + " steps per epoch, " + std::to_string(threads) + " threads on "
        + result.device + ", seed " + std::to_string(options.seed) + ".");

    const auto start = Clock::now();
    const auto elapsed = [&] { return std::chrono::duration<double>(Clock::now() - start).count(); };
    long long stepsDone = 0;
    const long long plannedSteps = static_cast<long long>(options.epochs) * stepsPerEpoch;
    const auto budgetSpent = [&] { return options.maxTrainingSeconds > 0 && elapsed() >= options.maxTrainingSeconds; };
    // Fraction of the run done, by steps or by the time budget, whichever is further.
    const auto scheduleProgress = [&] {
        double progress = static_cast<double>(meta.globalStep) / std::max(1LL, plannedSteps);
        if (options.maxTrainingSeconds > 0)
            progress = std::max(progress, elapsed() / options.maxTrainingSeconds);
        return std::min(progress, 1.0);
    };
    std::uniform_int_distribution<std::size_t> pickImage(0, training.size() - 1);
    std::uniform_int_distribution<int> pickTransform(0, 7);

    for (int epoch = firstEpoch; epoch <= options.epochs; ++epoch) {
        net->train();
        double lossSum = 0.0;
        int stepsInEpoch = 0;
        for (int step = 1; step <= stepsPerEpoch; ++step) {
            if (cancel || budgetSpent())
                break;
            for (auto &group : optimizer.param_groups()) {
                static_cast<torch::optim::AdamOptions &>(group.options())
                    .lr(learningRateAt(options, scheduleProgress()));
            }
            const int batchSize = static_cast<int>(
                std::min<long long>(options.batchSize, patchesPerEpoch - static_cast<long long>(step - 1) * options.batchSize));
            std::vector<torch::Tensor> patches;
            patches.reserve(batchSize);
            for (int b = 0; b < batchSize; ++b) {
                const auto &image = training[pickImage(random)].pixels;
                const int y = std::uniform_int_distribution<int>(0, static_cast<int>(image.size(0)) - patch)(random);
                const int x = std::uniform_int_distribution<int>(0, static_cast<int>(image.size(1)) - patch)(random);
                auto cut = image.slice(0, y, y + patch).slice(1, x, x + patch);
                const int transform = pickTransform(random); // 4 rotations x optional flip
                cut = torch::rot90(cut, transform % 4, {0, 1});
                if (transform >= 4)
                    cut = torch::flip(cut, {1});
                patches.push_back(cut.unsqueeze(0));
            }
            const auto batch = makeBatch(torch::stack(patches).to(device), options);
            optimizer.zero_grad();
            const auto loss = lossOf(net->forward(batch.input), batch);
            loss.backward();
            optimizer.step();

            const double lossValue = loss.item<double>();
            if (!std::isfinite(lossValue))
                throw EngineError("Training diverged at epoch " + std::to_string(epoch) + ", step " + std::to_string(step)
                                  + " (the loss is not finite); lower the learning rate. The last checkpoint is kept.");
            lossSum += lossValue;
            ++stepsInEpoch;
            ++stepsDone;
            ++meta.globalStep;
            if (callbacks.onStep) {
                TrainingStep progress;
                progress.epoch = epoch;
                progress.epochs = options.epochs;
                progress.step = step;
                progress.stepsPerEpoch = stepsPerEpoch;
                progress.globalStep = meta.globalStep;
                progress.loss = lossValue;
                progress.elapsedSeconds = elapsed();
                progress.etaSeconds = progress.elapsedSeconds / stepsDone * (stepsThisRun - stepsDone);
                if (options.maxTrainingSeconds > 0)
                    progress.etaSeconds = std::min(progress.etaSeconds, options.maxTrainingSeconds - progress.elapsedSeconds);
                progress.fraction = scheduleProgress();
                callbacks.onStep(progress);
            }
        }
        // Stopping leaves the checkpoint of the last completed epoch as it is.
        if (cancel) {
            result.cancelled = true;
            break;
        }

        EpochSummary summary;
        summary.epoch = epoch;
        summary.epochs = options.epochs;
        summary.globalStep = meta.globalStep;
        summary.trainLoss = lossSum / std::max(1, stepsInEpoch);
        summary.learningRate = learningRateAt(options, scheduleProgress());
        summary.validationLoss = std::nan("");
        summary.validationPsnr = std::nan("");
        if (!validationSamples.empty()) {
            torch::NoGradGuard noGrad;
            net->eval();
            double lossTotal = 0.0;
            double psnrTotal = 0.0;
            for (const auto &sample : validationSamples) {
                if (cancel)
                    break;
                const auto output = nn::inferSlice(net, sample.input, kValidationTileSize, &cancel, device);
                if (!output.defined())
                    break;
                lossTotal += lossOf(output, Batch{sample.input, sample.target, sample.mask}).item<double>();
                const auto enhanced = sample.enhanceInput.is_same(sample.input)
                    ? output
                    : nn::inferSlice(net, sample.enhanceInput, kValidationTileSize, &cancel, device);
                if (!enhanced.defined())
                    break;
                psnrTotal += psnrOfUnit(options.ricianCorrection ? withoutNoiseFloor(enhanced, sample.enhanceInput) : enhanced,
                                        sample.reference);
            }
            if (cancel) {
                result.cancelled = true;
                break;
            }
            summary.validationLoss = lossTotal / validationSamples.size();
            summary.validationPsnr = psnrTotal / validationSamples.size();
        }
        summary.elapsedSeconds = elapsed();
        meta.epochsCompleted = epoch;
        meta.history.push_back(summary);
        nn::saveCheckpoint(options.modelFile, net, optimizer, meta);
        result.epochsCompleted = epoch;
        if (callbacks.onEpoch)
            callbacks.onEpoch(summary);
        if (budgetSpent()) {
            result.timeBudgetReached = epoch < options.epochs;
            if (result.timeBudgetReached)
                say("Training time budget reached after epoch " + std::to_string(epoch) + ".");
            break;
        }
    }
    result.epochsCompleted = meta.epochsCompleted;
    result.history = meta.history;
    return result;
}

} // namespace mri
