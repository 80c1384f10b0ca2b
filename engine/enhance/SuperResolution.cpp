#include "enhance/SuperResolution.h"

#include "base/EngineError.h"
#include "enhance/Enhancer.h"
#include "image/Resampling.h"

#include <opencv2/core.hpp>

#include <algorithm>
#include <cmath>

namespace mri {

int superResolutionScale(const ModelInfo &info)
{
    return info.settings.objective == TrainingObjective::SuperResolution ? info.settings.superresScale : 1;
}

std::string describeUpsampling(int factor, int axis, bool volume)
{
    static const char *const kAxes[] = {"x", "y", "z"};
    const std::string times = std::to_string(factor) + "x";
    if (axis < 0)
        return "up-sampled " + times + " in-plane";
    return "up-sampled " + times + " along " + kAxes[axis] + (volume ? " (through-plane)" : "");
}

cv::Mat superResolveUnit(const Enhancer &model, const cv::Mat &unit, int axis, const std::atomic_bool *cancel)
{
    const int factor = superResolutionScale(model.info());
    if (factor < 2)
        throw EngineError("The model is not a super-resolution model (train one with the superres objective).");
    if (unit.empty() || unit.type() != CV_32FC1)
        throw EngineError("Super-resolution needs a non-empty single-channel float image.");
    const cv::Mat coarse = axis < 0 ? bsplineUpsampleInPlane(unit, factor, cv::Size(unit.cols * factor, unit.rows * factor))
                                    : bsplineUpsampleAlongAxis(unit, axis, factor,
                                                               (axis == 0 ? unit.cols : unit.rows) * factor);
    cv::Mat sharp = model.enhanceUnit(coarse, cancel);
    if (!sharp.empty())
        cv::min(cv::max(sharp, 0.0), 1.0, sharp);
    return sharp;
}

std::optional<ScanVolume> superResolveVolume(const Enhancer &model, const ScanVolume &volume, int axis,
                                             const ValueRange &range, const std::atomic_bool *cancel,
                                             const std::function<void(int, int)> &progress)
{
    const int factor = superResolutionScale(model.info());
    if (factor < 2)
        throw EngineError("The model is not a super-resolution model (train one with the superres objective).");
    if (axis < 0 || axis > 2)
        throw EngineError("A volume's slice axis is 0 (x), 1 (y) or 2 (z), not " + std::to_string(axis) + ".");
    // The network sees [0, 1]: scale once, interpolate once.
    ScanVolume unit = volume;
    const double span = range.high - range.low; // negative for MONOCHROME1
    const double scale = span != 0.0 ? 1.0 / span : 1.0;
    for (auto &voxel : unit.voxels)
        voxel = std::isfinite(voxel) ? static_cast<float>((voxel - range.low) * scale) : 0.0f;
    const int length = volume.size[static_cast<std::size_t>(axis)] * factor;
    const ScanVolume coarse = bsplineUpsampleVolumeAlongAxis(unit, axis, factor, length);
    ScanVolume sum = coarse;
    std::fill(sum.voxels.begin(), sum.voxels.end(), 0.0f);
    int across[2];
    int count = 0;
    for (int a = 0; a < 3; ++a) {
        if (a != axis)
            across[count++] = a;
    }
    int total = 0;
    for (const int a : across)
        total += coarse.size[static_cast<std::size_t>(a)] * coarse.size[3];
    int done = 0;
    for (const int a : across) {
        for (int frame = 0; frame < coarse.size[3]; ++frame) {
            for (int index = 0; index < coarse.size[static_cast<std::size_t>(a)]; ++index) {
                cv::Mat sharp = model.enhanceUnit(arraySlice(coarse, a, index, frame), cancel);
                if (sharp.empty())
                    return std::nullopt;
                const cv::Mat before = arraySlice(sum, a, index, frame);
                insertArraySlice(sum, a, index, frame, before + sharp);
                if (progress)
                    progress(++done, total);
            }
        }
    }
    ScanVolume result = coarse;
    result.source = volume.source;
    for (std::size_t i = 0; i < result.voxels.size(); ++i) {
        const double value = std::clamp(0.5 * static_cast<double>(sum.voxels[i]), 0.0, 1.0);
        result.voxels[i] = static_cast<float>(range.low + value * span);
    }
    return result;
}

} // namespace mri
