#pragma once

// Super-resolution with a model trained by the superres objective
// (TrainingOptions.h): the coarse input is interpolated by cubic B-spline
// (Resampling.h) to the finer grid and the network restores what the
// interpolation blurs.

#include "io/ScanVolume.h"
#include "model/ModelInfo.h"

#include <opencv2/core/mat.hpp>

#include <atomic>
#include <functional>
#include <optional>
#include <string>

namespace mri {

class Enhancer;

// The factor of a super-resolution model; 1 for a denoising one.
int superResolutionScale(const ModelInfo &info);

// "up-sampled 4x along z (through-plane)": what a result's grid is, for messages and the CSV.
std::string describeUpsampling(int factor, int axis, bool volume);

// A unit float slice (CV_32FC1) up-sampled by the model's factor along image
// axis `axis` (0 = x, 1 = y) or, with -1, both (in-plane). Empty when cancelled.
cv::Mat superResolveUnit(const Enhancer &model, const cv::Mat &unit, int axis = -1,
                         const std::atomic_bool *cancel = nullptr);

// A volume up-sampled by the model's factor along array axis `axis` (its
// slice axis), every frame: interpolated along it, then every array slice
// across each of the two other axes sharpened by the network (whose training
// degraded one axis of in-plane slices, SMORE) and the two results averaged.
// `range` maps the voxels to the network's [0, 1] (networkRangeOf()). Spacing
// and voxelToPatient follow the new grid. `progress` gets slices done and
// their total. Empty when cancelled.
std::optional<ScanVolume> superResolveVolume(const Enhancer &model, const ScanVolume &volume, int axis,
                                             const ValueRange &range, const std::atomic_bool *cancel = nullptr,
                                             const std::function<void(int done, int total)> &progress = {});

} // namespace mri
