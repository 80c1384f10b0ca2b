#pragma once

#include "dataset/Dataset.h"
#include "model/EpochSummary.h"
#include "model/TrainingOptions.h"

#include <opencv2/core/mat.hpp>

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace mri {

struct TrainingStep
{
    int epoch = 0;            // 1-based
    int epochs = 0;
    int step = 0;             // 1-based within the epoch
    int stepsPerEpoch = 0;
    long long globalStep = 0; // 1-based across the whole run (resumes continue counting)
    double loss = 0.0;
    double elapsedSeconds = 0.0;
    double etaSeconds = 0.0;
    double fraction = 0.0;    // of the whole run done, 0..1 (steps, or the time budget when it ends sooner)
};

struct TrainingCallbacks
{
    std::function<void(const TrainingStep &)> onStep;
    std::function<void(const EpochSummary &)> onEpoch;
    std::function<void(const std::string &)> onMessage; // skipped images, device, resume point
};

struct TrainingResult
{
    bool cancelled = false;
    int epochsCompleted = 0;
    TrainingOptions settings;              // the settings actually used: a resumed run's come from its checkpoint
    std::uint64_t seed = 0;                // settings.seed: the random one when 0 was asked for
    std::string device;                    // "cpu" or "cuda"
    int trainingImages = 0;
    int validationImages = 0;
    std::vector<std::string> skippedImages; // one sentence per unreadable row
    std::vector<EpochSummary> history;
    bool timeBudgetReached = false;        // stopped early by options.maxTrainingSeconds
};

// One training image in memory: 8/16-bit, or CV_32F in [0, 1]. `clean` is
// optional ground truth, used only to report validation PSNR.
// `neighbours`: for a network with neighbour_slices = n (2.5-D), the noisy
// slices around this one in its volume, of noisy's size and type, ordered
// below..above: n below (farthest first), then n above (nearest first), e.g.
// {z-1, z+1} for n = 1, {z-2, z-1, z+1, z+2} for n = 2; at the volume's ends
// repeat the end slice. Empty (a picture): the slice is repeated in their place.
struct TrainingSlice
{
    std::string name;
    cv::Mat noisy;
    cv::Mat clean;
    std::vector<cv::Mat> neighbours;
};

// The slices of a row's scan (a picture, NIfTI, DICOM) along `plane`
// (slicePlaneFor(): a picture is its one slice), each volume scaled to [0, 1]
// by networkRangeOf() (ScanVolume.h); constant slices of a volume are left
// out. The slices of a scan with several carry their neighbours (up to
// kMostNeighbourSlices on each side) for a 2.5-D network. With a
// clean_image_path scan of the same size, its slices are the ground truth.
// Throws EngineError naming the file when the scan cannot be read.
std::vector<TrainingSlice> scanTrainingSlices(const Dataset &dataset, std::size_t rowIndex, SlicePlane plane);

// Trains a U-Net on the dataset's readable slices. Blocking: call it from a
// worker thread. `cancel` is polled every step and during validation; on
// cancellation the last completed epoch's checkpoint stays in
// options.modelFile untouched. Resuming continues the checkpoint's own
// settings (network, objective, learning rate); only epochs, threads and the
// time budget come from `options`. Throws EngineError when no usable image is
// left, the checkpoint to resume does not fit, or the loss diverges, and at
// once when another training (in this process or another) is writing
// options.modelFile: a lock beside it (FileLock.h) is held for the whole run.
TrainingResult trainModel(const Dataset &dataset, const TrainingOptions &options,
                          const TrainingCallbacks &callbacks, const std::atomic_bool &cancel);

// The same on slices already in memory (benchmarks), under the same lock.
// Throws EngineError when `slices` is empty.
TrainingResult trainOnSlices(const std::vector<TrainingSlice> &slices, const TrainingOptions &options,
                             const TrainingCallbacks &callbacks, const std::atomic_bool &cancel);

} // namespace mri
