#include "training/TrainingBatches.h"

#include "image/Resampling.h"
#include "nn/BlindSpot.h"
#include "quality/Noise.h"

#include <opencv2/core.hpp>

#include <algorithm>
#include <functional>

namespace mri::training {

namespace {


// The noise the synthetic objective adds, as the benchmark and the demo data set make it.
NoiseSpec syntheticNoiseSpec(const TrainingOptions &options)
{
    NoiseSpec spec;
    spec.model = options.syntheticNoise;
    spec.coils = options.syntheticNoise == NoiseModel::Rician ? options.syntheticCoils : 1;
    spec.correlationPixels = options.syntheticCorrelation;
    spec.jpegQuality = options.syntheticJpegQuality;
    spec.zeroFillFactor = options.syntheticZeroFill;
    spec.senseAcceleration = options.syntheticSenseAcceleration;
    return spec;
}

// Runs `change` on every [H, W] patch of `batch` (whatever its leading
// dimensions), in order, as a float image on the CPU, and returns the changed
// patches as a tensor like `batch`; `change` gets the patch's index too.
torch::Tensor changeEachPatch(const torch::Tensor &batch,
                              const std::function<cv::Mat(int64_t, const cv::Mat &)> &change)
{
    const auto source = batch.to(torch::kCPU).to(torch::kFloat).contiguous();
    auto result = torch::empty_like(source);
    const auto height = static_cast<int>(source.size(-2));
    const auto width = static_cast<int>(source.size(-1));
    const auto patches = source.numel() / (static_cast<int64_t>(height) * width);
    const auto flatSource = source.view({patches, height, width});
    auto flatResult = result.view({patches, height, width});
    for (int64_t p = 0; p < patches; ++p) {
        const cv::Mat patch(height, width, CV_32F, flatSource[p].data_ptr<float>());
        const cv::Mat changed = change(p, patch);
        cv::Mat target(height, width, CV_32F, flatResult[p].data_ptr<float>());
        changed.copyTo(target);
    }
    return result.to(batch.device()).to(batch.dtype());
}


torch::Tensor addTensorNoise(const torch::Tensor &clean, const NoiseSpec &spec, double sigma)
{
    if (spec.coils == 1 && spec.correlationPixels == 0.0 && spec.zeroFillFactor == 1 && spec.senseAcceleration == 1
        && spec.jpegQuality == 0) {
        // Plain Rician or Gaussian: the fast tensor path.
        const auto first = clean + sigma * torch::randn_like(clean);
        if (spec.model == NoiseModel::Gaussian)
            return first;
        const auto second = sigma * torch::randn_like(clean);
        return torch::sqrt(first * first + second * second);
    }
    // Multi-coil, correlated, zero-filled, SENSE or JPEG noise: each patch through mri::addNoise,
    // seeded from torch's generator so that a training run stays repeatable.
    return changeEachPatch(clean, [&](int64_t, const cv::Mat &patch) {
        const auto seed = static_cast<std::uint64_t>(torch::randint(0, int64_t(1) << 62, {1}, torch::kLong).item<int64_t>());
        return addNoise(patch, spec, sigma, seed);
    });
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
    const auto mask = torch::rand(shape, batch.options()) < fraction;
    auto dy = torch::randint(-radius, radius + 1, shape, indexOptions);
    auto dx = torch::randint(-radius, radius + 1, shape, indexOptions);
    const auto centre = (dy == 0).logical_and(dx == 0);
    dx = torch::where(centre, torch::randint(0, 2, shape, indexOptions) * 2 - 1, dx);
    // An offset that leaves the patch is mirrored: the neighbour on the other
    // side, never the pixel itself (patches are wider than the window).
    const auto inside = [](const torch::Tensor &position, const torch::Tensor &offset, int64_t length) {
        const auto moved = position + offset;
        return torch::where(moved.lt(0).logical_or(moved.ge(length)), position - offset, moved);
    };
    const auto rows = inside(torch::arange(height, indexOptions).view({height, 1}), dy, height).clamp(0, height - 1);
    const auto columns = inside(torch::arange(width, indexOptions).view({1, width}), dx, width).clamp(0, width - 1);
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
    auto neighbours = F::unfold(nn::padWithNothing(batch, radius), F::UnfoldFuncOptions({window, window})); // [B, window^2, H*W]
    const int64_t centre = window * window / 2;
    neighbours = torch::cat({neighbours.slice(1, 0, centre), neighbours.slice(1, centre + 1)}, 1);
    const auto median = std::get<0>(neighbours.nanmedian(1)).view(shape);
    return {torch::where(mask, median, batch), mask};
}

// The superres objective's input: each [H, W] patch degraded along one axis
// (x or y at random: the network then serves either orientation of a
// through-plane slice) or both, and interpolated back to its size, as
// enhancement interpolates a coarse scan before the network sharpens it.
torch::Tensor coarserSampled(const torch::Tensor &batch, const TrainingOptions &options)
{
    const int factor = options.superresScale;
    // Drawn from LibTorch's generator, so that a seed repeats the run.
    const auto patches = batch.numel() / (batch.size(-2) * batch.size(-1));
    const auto axes = torch::randint(0, 2, {patches}, torch::kLong);
    return changeEachPatch(batch, [&](int64_t p, const cv::Mat &patch) -> cv::Mat {
        if (options.superresAxes == 2)
            return bsplineUpsampleInPlane(degradeInPlane(patch, factor, options.superresProfile), factor, patch.size());
        const int axis = static_cast<int>(axes[p].item<int64_t>());
        return bsplineUpsampleAlongAxis(degradeAlongAxis(patch, axis, factor, options.superresProfile), axis, factor,
                                        axis == 0 ? patch.cols : patch.rows);
    });
}

} // namespace

std::pair<torch::Tensor, torch::Tensor> structuredBlindSpotInput(const torch::Tensor &batch, double fraction,
                                                                 int radius, bool median)
{
    const int64_t hidden = std::max(1, radius);
    const int64_t spacing = 2 * hidden + 2;
    const auto height = batch.size(-2);
    const auto width = batch.size(-1);
    const auto shape = batch.sizes();

    // Centres on a grid of `spacing` with a random offset per patch, so that no
    // centre's hidden box or replacement ring comes within `hidden` of another
    // centre; each grid point is a centre with the probability that gives `fraction`.
    // At most kMaxBlindSpotShare of the input hidden, so that it still looks like what enhancement sees.
    const double box = static_cast<double>((2 * hidden + 1) * (2 * hidden + 1));
    const double chance = std::min({1.0, fraction * static_cast<double>(spacing * spacing),
                                    nn::kMaxBlindSpotShare * static_cast<double>(spacing * spacing) / box});
    auto mask = torch::zeros(shape, batch.options().dtype(torch::kBool));
    const auto offsets = torch::randint(0, spacing, {batch.size(0), 2}, batch.options().dtype(torch::kLong)).to(torch::kCPU);
    for (int64_t b = 0; b < batch.size(0); ++b) {
        const auto y0 = offsets[b][0].item<int64_t>();
        const auto x0 = offsets[b][1].item<int64_t>();
        if (y0 >= height || x0 >= width)
            continue;
        auto grid = mask[b][0].slice(0, y0, height, spacing).slice(1, x0, width, spacing);
        grid.copy_(torch::rand(grid.sizes(), batch.options()) < chance);
    }

    // Replacement values from the ring of the window outside the hidden box.
    const auto ringValues = nn::ringValuesAround(batch, hidden);
    torch::Tensor replacement = std::get<0>(ringValues.nanmedian(1));
    if (!median) {
        const auto pick = torch::randint(0, ringValues.size(1), {batch.size(0), 1, height * width},
                                         batch.options().dtype(torch::kLong));
        const auto picked = ringValues.gather(1, pick).squeeze(1);
        replacement = torch::where(torch::isnan(picked), replacement, picked); // off the patch: the median instead
    }
    // Every pixel of a centre's box gets the centre's replacement value.
    return {nn::paintBoxes(batch, mask, replacement.view(shape), hidden), mask};
}

std::pair<torch::Tensor, torch::Tensor> noise2VoidInput(const torch::Tensor &batch, const TrainingOptions &options)
{
    if (options.n2vBlindRadius > 0)
        return structuredBlindSpotInput(batch, options.n2vMaskFraction, options.n2vBlindRadius,
                                        options.n2vMedianReplacement);
    return options.n2vMedianReplacement ? medianBlindSpotInput(batch, options.n2vMaskFraction, options.n2vNeighbourhood)
                                        : blindSpotInput(batch, options.n2vMaskFraction, options.n2vNeighbourhood);
}

// What the network sees and learns for the objective: [N, C, H, W] clean in
// (C = 1 + 2 neighbour slices), the target is the centre channel. Noise2Void
// hides pixels of the centre channel only: the neighbours' noise is
// independent of the centre's, so they cannot give its noise away. Synthetic
// noise is drawn independently for every channel.
Batch makeBatch(const torch::Tensor &clean, const TrainingOptions &options)
{
    const int64_t centreIndex = clean.size(1) / 2;
    const auto centre = clean.size(1) == 1 ? clean : clean.narrow(1, centreIndex, 1);
    switch (options.objective) {
    case TrainingObjective::Noise2Void: {
        auto [input, mask] = noise2VoidInput(centre, options);
        if (clean.size(1) > 1)
            input = torch::cat({clean.narrow(1, 0, centreIndex), input, clean.narrow(1, centreIndex + 1, centreIndex)}, 1);
        return {input, centre, mask};
    }
    case TrainingObjective::Identity:
        return {clean, centre, {}};
    case TrainingObjective::Synthetic:
        return {addTensorNoise(clean, syntheticNoiseSpec(options), options.syntheticSigma), centre, {}};
    case TrainingObjective::SuperResolution:
        return {coarserSampled(centre, options), centre, {}};
    }
    return {clean, centre, {}};
}

bool seesDegradedInput(const TrainingOptions &options)
{
    return options.objective == TrainingObjective::Synthetic || options.objective == TrainingObjective::SuperResolution;
}

torch::Tensor lossOf(const torch::Tensor &output, const Batch &batch)
{
    const auto squared = (output - batch.target).pow(2);
    if (!batch.mask.defined())
        return squared.mean();
    const auto mask = batch.mask.to(squared.dtype());
    return (squared * mask).sum() / mask.sum().clamp_min(1.0);
}

} // namespace mri::training
