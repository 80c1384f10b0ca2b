#include "nn/BlindSpot.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

namespace F = torch::nn::functional;

namespace mri::nn {

namespace {

// Passes stacked into one network batch: bounds memory to this many tiles.
constexpr int64_t kPassesPerBatch = 8;

int64_t gridStep(int radius)
{
    const double box = std::pow(2.0 * radius + 1.0, 2.0);
    return std::max<int64_t>(2 * radius + 2, static_cast<int64_t>(std::ceil(std::sqrt(box / kMaxBlindSpotShare))));
}

} // namespace

torch::Tensor padWithNothing(const torch::Tensor &batch, int64_t radius)
{
    return F::pad(batch, F::PadFuncOptions({radius, radius, radius, radius})
                             .mode(torch::kConstant)
                             .value(std::numeric_limits<double>::quiet_NaN()));
}

torch::Tensor ringValuesAround(const torch::Tensor &batch, int64_t hidden)
{
    // The ring right outside the box: a wider one would reach into another centre's box.
    const int64_t outer = hidden + 1;
    const int64_t window = 2 * outer + 1;
    const auto neighbours = F::unfold(padWithNothing(batch, outer), F::UnfoldFuncOptions({window, window})); // [B, window^2, H*W]
    std::vector<int64_t> ring;
    for (int64_t dy = -outer; dy <= outer; ++dy) {
        for (int64_t dx = -outer; dx <= outer; ++dx) {
            if (std::max(std::abs(dy), std::abs(dx)) > hidden)
                ring.push_back((dy + outer) * window + dx + outer);
        }
    }
    return neighbours.index_select(1, torch::tensor(ring, torch::kLong).to(batch.device()));
}

torch::Tensor paintBoxes(const torch::Tensor &batch, const torch::Tensor &centres, const torch::Tensor &replacement,
                         int64_t hidden)
{
    // Boxes do not overlap, so the one centre of a box is its maximum.
    const auto pool = F::MaxPool2dFuncOptions(2 * hidden + 1).stride(1).padding(hidden);
    const auto negativeInfinity = torch::full({}, -std::numeric_limits<float>::infinity(), batch.options());
    const auto painted = F::max_pool2d(torch::where(centres, replacement, negativeInfinity), pool);
    const auto hiddenBox = F::max_pool2d(centres.to(batch.dtype()), pool) > 0;
    return torch::where(hiddenBox, painted, batch);
}

int jInvariantRadiusOf(const TrainingOptions &settings)
{
    if (settings.objective != TrainingObjective::Noise2Void)
        return 0;
    const int radius = settings.n2vBlindRadius;
    const bool neighbours = settings.network.neighbourSlices > 0;
    return radius >= 2 || (radius == 1 && neighbours) ? radius : 0;
}

int jInvariantPasses(int radius)
{
    const auto step = gridStep(radius);
    return static_cast<int>(step * step);
}

torch::Tensor inferJInvariant(UNet &net, const torch::Tensor &input, int radius, const std::atomic_bool *cancel)
{
    const int64_t step = gridStep(radius);
    const int64_t channels = input.size(1);
    const int64_t height = input.size(2);
    const int64_t width = input.size(3);
    const int64_t centreChannel = channels / 2;
    const auto centre = input.narrow(1, centreChannel, 1);
    const auto replacement = std::get<0>(ringValuesAround(centre, radius).nanmedian(1)).view(centre.sizes());
    auto output = torch::zeros_like(centre);
    const int64_t passes = step * step;
    for (int64_t first = 0; first < passes; first += kPassesPerBatch) {
        if (cancel && cancel->load())
            return {};
        const int64_t count = std::min(kPassesPerBatch, passes - first);
        auto centres = torch::zeros({count, 1, height, width}, input.options().dtype(torch::kBool));
        for (int64_t i = 0; i < count; ++i) {
            const int64_t offset = first + i;
            centres[i][0].slice(0, offset / step, height, step).slice(1, offset % step, width, step).fill_(true);
        }
        const auto shape = std::vector<int64_t>{count, 1, height, width};
        const auto hidden = paintBoxes(centre.expand(shape), centres, replacement.expand(shape), radius);
        auto batch = input.expand({count, channels, height, width}).clone();
        batch.narrow(1, centreChannel, 1).copy_(hidden);
        const auto predicted = net->infer(batch);
        output += torch::where(centres, predicted, torch::zeros({}, predicted.options())).sum(0, true);
    }
    return output;
}

} // namespace mri::nn
