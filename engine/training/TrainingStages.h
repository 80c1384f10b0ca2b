#pragma once

// Private to the engine: includes LibTorch. The stages of a training run, in
// the order trainOnSlices() (Trainer.cpp) runs them, each usable and testable
// alone: (a) the settings of the run, (b) the split into training and
// validation images, (c) one epoch of training steps, (d) validation, (e) the
// checkpoint of a completed epoch.

#include "model/TrainingOptions.h"
#include "nn/Checkpoint.h"
#include "nn/TiledInference.h"
#include "training/Trainer.h"
#include "training/TrainingBatches.h"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <vector>

namespace mri::training {

using MessageCallback = std::function<void(const std::string &)>;

// --- (a) The settings of the run ---------------------------------------------

// The settings a run uses: the request's, or for a resumed run the
// checkpoint's as the table's resume rules say (`checkpoint` null: a new run);
// seed 0 becomes a random seed. Does not check ranges.
TrainingOptions resolveRunSettings(const TrainingOptions &requested, const TrainingOptions *checkpoint);

// Where a run starts: its settings and, when resuming, the checkpoint.
struct RunStart
{
    TrainingOptions options;       // the settings actually used
    torch::Device device{torch::kCPU};
    int threads = 0;               // CPU threads in use
    nn::CheckpointMeta meta;       // the checkpoint's when resuming; empty for a new run
    nn::UNet net{nullptr};         // the checkpoint's network; null for a new run
    std::shared_ptr<torch::serialize::InputArchive> optimizerState; // null for a new run
};

// Checks the request, sets the thread count, picks the device and, when
// resuming, loads the checkpoint (and says so). Throws EngineError naming the
// setting or file.
RunStart startRun(const TrainingOptions &requested, const MessageCallback &onMessage);

// The result of a run that has not trained yet: settings, device and the
// checkpoint's history.
TrainingResult initialResult(const RunStart &start);

// Seeds LibTorch's draws (network weights, blind spots, synthetic noise) and
// returns the generator of the patch draws. A resumed run draws afresh.
std::mt19937_64 seedRun(std::uint64_t seed, int epochsCompleted);

// --- (b) Training and validation images --------------------------------------

struct TrainingImage
{
    std::string name;
    torch::Tensor pixels; // [H, W] float in [0, 1], at least patch x patch
    torch::Tensor clean;  // same size, or undefined when the slice has no ground truth
    // A network with neighbour slices: its [C, H, W] input channels (see
    // inputChannelsOf(), NeighbourSlices.h), `pixels` the centre one; undefined otherwise.
    torch::Tensor channels;

    // [C, H, W] what the network sees of this image ([1, H, W] without neighbours).
    torch::Tensor networkInput() const { return channels.defined() ? channels : pixels.unsqueeze(0); }
};

// Indices into the slices. The split depends on the seed only, so a resumed
// run validates on the same images; at least one image trains.
struct SliceSplit
{
    std::vector<std::size_t> training;
    std::vector<std::size_t> validation;
};
SliceSplit splitSlices(std::size_t count, std::uint64_t seed, double validationFraction);

struct ImageSets
{
    std::vector<TrainingImage> training;
    std::vector<TrainingImage> validation;
};
// The slices as tensors (padded to the patch size), split by splitSlices().
// With options.network.neighbourSlices > 0 each image carries its input
// channels (a slice without neighbours repeats itself). Throws EngineError
// when neighbours do not match their slice.
ImageSets prepareImages(const std::vector<TrainingSlice> &slices, const TrainingOptions &options);

// Mean and standard deviation of the pixels of `images`, which set a new
// network's intensity scale (UNetImpl::setDataStatistics).
struct IntensityStatistics
{
    double mean = 0.0;
    double deviation = 1.0;
};
IntensityStatistics intensityStatistics(const std::vector<TrainingImage> &images);

// --- (c) Training steps ------------------------------------------------------

// The network and its optimiser on the run's device.
struct Learner
{
    // A new network of options.network when `net` is null; the optimiser's
    // state is restored from `optimizerState` when given.
    Learner(const TrainingOptions &options, const torch::Device &device, nn::UNet net = nullptr,
            const std::shared_ptr<torch::serialize::InputArchive> &optimizerState = nullptr);
    void setLearningRate(double rate);

    torch::Device device;
    nn::UNet net;
    torch::optim::Adam optimizer;
};

// The length of a run, fixed at its start.
struct RunPlan
{
    int firstEpoch = 1;
    int epochs = 0;               // the last epoch
    long long patchesPerEpoch = 0;
    int stepsPerEpoch = 0;
    int batchSize = 0;
    long long plannedSteps = 0;   // of the whole run, resumed epochs included
    long long stepsThisRun = 0;   // from firstEpoch on
    double maxSeconds = 0.0;      // the time budget; 0: none

    int batchOfStep(int step) const; // the last step of an epoch may take fewer patches
};
RunPlan planRun(const TrainingOptions &options, std::size_t trainingImages, int epochsCompleted);

// The clock and step count of a run: elapsed time, the time budget and the
// fraction of the run done, which the learning rate schedule follows.
class RunProgress
{
public:
    RunProgress(const RunPlan &plan, long long globalStep);

    const RunPlan &plan() const { return m_plan; }
    long long globalStep() const { return m_globalStep; }
    long long stepsDone() const { return m_stepsDone; } // in this run
    double elapsedSeconds() const;
    bool budgetSpent() const;
    // Of the whole run, by steps or by the time budget, whichever is further; at most 1.
    double fraction() const;
    // Seconds left of this run, estimated from its steps so far; at most what is left of the budget.
    double etaSeconds() const;
    void countStep();

private:
    using Clock = std::chrono::steady_clock;
    RunPlan m_plan;
    Clock::time_point m_start;
    long long m_globalStep = 0;
    long long m_stepsDone = 0;
};

// Draws training patches: each from a random image at a random position, in
// one of the 8 rotations and flips, cut at the same place from all its
// input channels.
class PatchSampler
{
public:
    PatchSampler(const std::vector<TrainingImage> &images, int patchSize, std::mt19937_64 random);
    torch::Tensor draw(int count); // [count, C, patch, patch]

private:
    const std::vector<TrainingImage> &m_images;
    int m_patchSize = 0;
    std::mt19937_64 m_random;
    std::uniform_int_distribution<std::size_t> m_pickImage;
    std::uniform_int_distribution<int> m_pickTransform{0, 7};
};

// Learning rate at `progress` in [0, 1] of the run.
double learningRateAt(const TrainingOptions &options, double progress);

// One epoch of optimiser steps, each reported to `onStep`. Stops before a step
// when `cancel` is set or the time budget is spent. Returns the epoch's summary
// without validation (NaN there). Throws EngineError when the loss diverges.
EpochSummary trainEpoch(Learner &learner, PatchSampler &sampler, const TrainingOptions &options, int epoch,
                        RunProgress &progress, const std::function<void(const TrainingStep &)> &onStep,
                        const std::atomic_bool &cancel);

// Batch normalisation's running statistics, an average over the last few
// dozen batches, make the evaluated network differ from epoch to epoch; this
// replaces them by an equal-weight average over `batches` fresh batches of
// what enhancement feeds the network. Draws from `sampler`. No-op without
// batch normalisation.
void recalibrateBatchNorm(Learner &learner, PatchSampler &sampler, const TrainingOptions &options, int batches);

// The blind-spot radius for n2v_blind_radius = -1: the median over the images
// of the radius that the noise's autocorrelation in their background asks for
// (NoiseEstimate::blindSpotRadius); 0 when no image has background. `summary`
// receives a sentence saying what was measured.
int chooseBlindSpotRadius(const std::vector<TrainingImage> &images, const TrainingOptions &options,
                          std::string *summary);

// --- (d) Validation ----------------------------------------------------------

struct ValidationSample
{
    // Network inputs are [H, W], or [C, H, W] for a network with neighbour slices.
    torch::Tensor input;        // what the network sees for the loss
    torch::Tensor target;       // [H, W]
    torch::Tensor mask;         // loss pixels (n2v); undefined: all pixels
    torch::Tensor enhanceInput; // what enhancement would see
    torch::Tensor reference;    // what the enhanced output is scored against
};

struct ValidationSet
{
    std::vector<ValidationSample> samples;
    bool groundTruth = false;   // scored against clean slices rather than the input
};

// Draws the validation inputs once, from a seed of their own, so that the loss
// is comparable across epochs and resumed runs. Leaves LibTorch seeded with
// that seed: seedRun() comes after.
ValidationSet drawValidationSet(const std::vector<TrainingImage> &validation, const TrainingOptions &options);

struct ValidationScore
{
    double loss = 0.0;          // NaN without validation images
    double psnr = 0.0;          // dB, after noise-floor removal when the settings ask for it
    bool cancelled = false;
};
// Whether `epoch` is validated: every options.validationInterval-th epoch, the
// run's last one, and the one at which the time budget ends it.
bool validationDue(const TrainingOptions &options, int epoch, int lastEpoch, bool budgetSpent);

// Loss and PSNR of the validation set; cancelled, without a score, when
// `cancel` is set before or during validation.
ValidationScore validate(Learner &learner, const ValidationSet &set, const TrainingOptions &options,
                         const std::atomic_bool &cancel);

// PSNR in dB of an output (clamped to [0, 1]) against a reference in [0, 1].
double psnrOfUnit(const torch::Tensor &output, const torch::Tensor &reference);

// --- (e) Checkpoint ----------------------------------------------------------

// Adds the completed epoch to the history and saves network, optimiser and
// history to options.modelFile.
void saveEpoch(Learner &learner, nn::CheckpointMeta &meta, const EpochSummary &summary, const TrainingOptions &options);

} // namespace mri::training
