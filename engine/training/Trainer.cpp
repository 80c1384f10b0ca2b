#include "training/Trainer.h"

#include "base/EngineError.h"
#include "dataset/OutputPolicy.h"
#include "image/NeighbourSlices.h"
#include "io/AtomicFile.h"
#include "io/FileLock.h"
#include "io/ScanVolume.h"
#include "training/TrainingStages.h"

#include <opencv2/core.hpp>

#include <algorithm>
#include <iterator>
#include <memory>

namespace mri {

namespace {

// Batches that set batch normalisation's statistics after each epoch: ~500 patches.
constexpr int kRecalibrationBatches = 32;

void tell(const TrainingCallbacks &callbacks, const std::string &message)
{
    if (callbacks.onMessage && !message.empty())
        callbacks.onMessage(message);
}

std::string describeRun(const TrainingResult &result, const training::ValidationSet &validation,
                        const training::RunPlan &plan, int threads)
{
    return "Training on " + std::to_string(result.trainingImages) + " images, validating on "
        + std::to_string(result.validationImages)
        + (validation.groundTruth ? " (PSNR against ground truth)" : " (PSNR against the input)") + ", "
        + std::to_string(plan.stepsPerEpoch) + " steps per epoch, " + std::to_string(threads) + " threads on "
        + result.device + ", seed " + std::to_string(result.seed) + ".";
}

// One training per model file at a time: a second would overwrite the
// first's epochs with its own, and a second --resume would start from the
// first's mid-run checkpoint. Held for the whole run, refused at once when
// taken. Null without a model file (startRun() says so).
std::unique_ptr<FileLock> lockModelFile(const std::filesystem::path &modelFile)
{
    if (modelFile.empty())
        return nullptr;
    // The lock lies beside the model: a folder that cannot be written is said as startRun() says it.
    ensureWritableFolder(modelFile.parent_path(), "model folder");
    auto lock = std::make_unique<FileLock>(modelFile, FileLock::NoWait{});
    if (!lock->owns()) {
        const long holder = lock->holderProcess();
        throw EngineError("'" + modelFile.string() + "' is being written by another training"
                          + (holder > 0 ? " (process " + std::to_string(holder) + ")" : std::string())
                          + "; wait for it or choose another model file.");
    }
    return lock;
}

TrainingResult trainLockedOnSlices(const std::vector<TrainingSlice> &slices, const TrainingOptions &options,
                                   const TrainingCallbacks &callbacks, const std::atomic_bool &cancel);

} // namespace

namespace {

// A ground-truth scan of the same size scores validation; any other is ignored.
ScanVolume cleanScanOf(const Dataset &dataset, std::size_t rowIndex, const ScanVolume &noisy)
{
    const auto cleanPath = cleanImagePathOf(dataset, rowIndex);
    if (cleanPath.empty())
        return {};
    try {
        ScanVolume clean = readScan(cleanPath);
        if (clean.size == noisy.size)
            return clean;
    } catch (const EngineError &) {
        // Ground truth is optional: validation then scores against the input.
    }
    return {};
}

} // namespace

std::vector<TrainingSlice> scanTrainingSlices(const Dataset &dataset, std::size_t rowIndex, SlicePlane requested)
{
    const auto &row = dataset.rows.at(rowIndex);
    const ScanVolume volume = readScan(row.imagePath, row.seriesUid);
    const ScanVolume clean = cleanScanOf(dataset, rowIndex, volume);
    const SlicePlane plane = slicePlaneFor(volume, requested);
    // One scale for the volume (and its ground truth), as enhancement uses.
    const auto range = networkRangeOf(volume);
    const int count = sliceCountOf(volume, plane);
    std::vector<TrainingSlice> slices;
    for (int frame = 0; frame < volume.size[3]; ++frame) {
        std::vector<cv::Mat> unit(static_cast<std::size_t>(count));
        for (int index = 0; index < count; ++index)
            unit[static_cast<std::size_t>(index)] = toNetworkUnit(extractSlice(volume, plane, index, frame), range);
        for (int index = 0; index < count; ++index) {
            TrainingSlice slice;
            slice.noisy = unit[static_cast<std::size_t>(index)];
            // A constant slice (padding outside the field of view, a blank
            // picture) teaches nothing as a centre; it still serves as a neighbour.
            double lowest = 0.0, highest = 0.0;
            cv::minMaxLoc(slice.noisy, &lowest, &highest);
            if (highest - lowest < 1e-6)
                continue;
            slice.name = row.patientId;
            if (count > 1 || volume.size[3] > 1)
                slice.name += " " + slicePlaneName(plane) + " slice " + std::to_string(index + 1)
                    + (volume.size[3] > 1 ? " of volume " + std::to_string(frame + 1) : std::string());
            // Shared Mats: as many neighbours as any network takes; each uses the nearest it wants.
            if (count > 1)
                slice.neighbours = neighboursOf(unit, index, kMostNeighbourSlices);
            if (!clean.voxels.empty())
                slice.clean = toNetworkUnit(extractSlice(clean, plane, index, frame), range);
            slices.push_back(std::move(slice));
        }
    }
    if (slices.empty())
        throw EngineError("every " + slicePlaneName(plane) + " slice of '" + row.imagePathText + "' is constant.");
    return slices;
}

TrainingResult trainModel(const Dataset &dataset, const TrainingOptions &options, const TrainingCallbacks &callbacks,
                          const std::atomic_bool &cancel)
{
    OutputPolicy outputs; // the model file may not be anything the dataset holds
    outputs.protectDataset(dataset);
    outputs.addOutput(options.modelFile, "the model file");
    outputs.check();
    const auto lock = lockModelFile(options.modelFile); // before the dataset is read: refused at once
    std::vector<TrainingSlice> slices;
    std::vector<std::string> skipped;
    for (std::size_t i = 0; i < dataset.rows.size() && !cancel; ++i) {
        try {
            auto rowSlices = scanTrainingSlices(dataset, i, options.slicePlane);
            std::move(rowSlices.begin(), rowSlices.end(), std::back_inserter(slices));
        } catch (const EngineError &error) {
            skipped.push_back("Skipping " + dataset.describeRow(i) + ": " + error.what());
            tell(callbacks, skipped.back());
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
    auto result = trainLockedOnSlices(slices, options, callbacks, cancel);
    result.skippedImages = skipped;
    return result;
}

TrainingResult trainOnSlices(const std::vector<TrainingSlice> &slices, const TrainingOptions &options,
                             const TrainingCallbacks &callbacks, const std::atomic_bool &cancel)
{
    const auto lock = lockModelFile(options.modelFile);
    return trainLockedOnSlices(slices, options, callbacks, cancel);
}

namespace {

TrainingResult trainLockedOnSlices(const std::vector<TrainingSlice> &slices, const TrainingOptions &requested,
                                   const TrainingCallbacks &callbacks, const std::atomic_bool &cancel)
{
    using namespace training;
    // The automatic 2.5-D choice is made here, once, and saved as made.
    const TrainingOptions concrete = concreteOptions(
        requested, std::any_of(slices.begin(), slices.end(),
                               [](const TrainingSlice &slice) { return !slice.neighbours.empty(); }));
    auto start = startRun(concrete, callbacks.onMessage);
    TrainingOptions &options = start.options;
    auto result = initialResult(start);
    if (start.meta.epochsCompleted >= options.epochs) {
        tell(callbacks, "The model has already been trained for " + std::to_string(start.meta.epochsCompleted)
            + " epochs; nothing to do.");
        return result;
    }
    const auto images = prepareImages(slices, options);
    if (options.n2vBlindRadius < 0) {
        std::string summary;
        options.n2vBlindRadius = options.objective == TrainingObjective::Noise2Void
            ? chooseBlindSpotRadius(images.training, options, &summary)
            : 0;
        tell(callbacks, summary);
        result.settings = options;
    }
    const auto validation = drawValidationSet(images.validation, options);
    PatchSampler sampler(images.training, options.patchSize, seedRun(options.seed, start.meta.epochsCompleted));
    Learner learner(options, start.device, start.net, start.optimizerState);
    if (!start.net) {
        const auto statistics = intensityStatistics(images.training);
        learner.net->setDataStatistics(statistics.mean, statistics.deviation);
    }
    const auto plan = planRun(options, images.training.size(), start.meta.epochsCompleted);
    result.trainingImages = static_cast<int>(images.training.size());
    result.validationImages = static_cast<int>(images.validation.size());
    tell(callbacks, describeRun(result, validation, plan, start.threads));

    RunProgress progress(plan, start.meta.globalStep);
    for (int epoch = plan.firstEpoch; epoch <= plan.epochs; ++epoch) {
        auto summary = trainEpoch(learner, sampler, options, epoch, progress, callbacks.onStep, cancel);
        if (!cancel)
            recalibrateBatchNorm(learner, sampler, options, kRecalibrationBatches);
        // An epoch between validations is scored as one without validation images (NaN).
        static const ValidationSet kNotThisEpoch;
        const bool due = validationDue(options, epoch, plan.epochs, progress.budgetSpent());
        const auto score = validate(learner, due ? validation : kNotThisEpoch, options, cancel);
        // Stopping, in the steps or the validation, leaves the last completed epoch's checkpoint as it is.
        if (score.cancelled) {
            result.cancelled = true;
            break;
        }
        summary.validationLoss = score.loss;
        summary.validationPsnr = score.psnr;
        summary.elapsedSeconds = progress.elapsedSeconds();
        saveEpoch(learner, start.meta, summary, options);
        if (callbacks.onEpoch)
            callbacks.onEpoch(summary);
        if (progress.budgetSpent()) {
            result.timeBudgetReached = epoch < options.epochs;
            if (result.timeBudgetReached)
                tell(callbacks, "Training time budget reached after epoch " + std::to_string(epoch) + ".");
            break;
        }
    }
    result.epochsCompleted = start.meta.epochsCompleted;
    result.history = start.meta.history;
    return result;
}

} // namespace

} // namespace mri
