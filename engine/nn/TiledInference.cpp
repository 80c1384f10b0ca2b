#include "nn/TiledInference.h"

#include <algorithm>
#include <vector>

namespace F = torch::nn::functional;

namespace mri::nn {

namespace {

// Pads the last two dimensions at bottom/right; reflect where the image is
// large enough, replicate otherwise (reflect needs pad < size).
torch::Tensor padBottomRight(const torch::Tensor &input, int64_t padHeight, int64_t padWidth)
{
    if (padHeight == 0 && padWidth == 0)
        return input;
    const auto height = input.size(-2);
    const auto width = input.size(-1);
    const bool canReflect = padHeight < height && padWidth < width;
    auto batched = input.dim() == 2 ? input.view({1, 1, height, width}) : input;
    auto options = F::PadFuncOptions({0, padWidth, 0, padHeight});
    if (canReflect)
        options.mode(torch::kReflect);
    else
        options.mode(torch::kReplicate);
    auto padded = F::pad(batched, options);
    return input.dim() == 2 ? padded.view({height + padHeight, width + padWidth}) : padded;
}

int64_t roundUp(int64_t value, int64_t multiple)
{
    return (value + multiple - 1) / multiple * multiple;
}

// Tile start positions along one axis of `length` for tiles of `tile` pixels
// advancing by `stride`; the last tile ends at the border.
std::vector<int64_t> tileStarts(int64_t length, int64_t tile, int64_t stride)
{
    if (length <= tile)
        return {0};
    std::vector<int64_t> starts;
    for (int64_t start = 0; start + tile < length; start += stride)
        starts.push_back(start);
    starts.push_back(length - tile);
    return starts;
}

// Blending weight of a tile along one axis: zero over the `margin` pixels whose
// context was cut by the tile border, then a linear ramp over `band` pixels.
// Sides on the slice border keep full weight.
torch::Tensor tileWeights(int64_t start, int64_t tileLength, int64_t length, int64_t margin, int64_t band)
{
    const auto position = torch::arange(tileLength, torch::kFloat32) + 0.5f;
    auto weight = torch::ones({tileLength});
    if (start > 0)
        weight = torch::minimum(weight, ((position - margin) / band).clamp(0.0, 1.0));
    if (start + tileLength < length)
        weight = torch::minimum(weight, ((tileLength - position - margin) / band).clamp(0.0, 1.0));
    return weight;
}

} // namespace

torch::Tensor forwardPadded(UNet &net, const torch::Tensor &input)
{
    const int64_t factor = net->downsamplingFactor();
    const auto height = input.size(-2);
    const auto width = input.size(-1);
    const auto padded = padBottomRight(input, roundUp(height, factor) - height, roundUp(width, factor) - width);
    return net->forward(padded).slice(-2, 0, height).slice(-1, 0, width);
}

torch::Tensor inferSlice(UNet &net, const torch::Tensor &slice, int tileSize, const std::atomic_bool *cancel,
                         const torch::Device &device)
{
    const int64_t factor = net->downsamplingFactor();
    const auto height = slice.size(0);
    const auto width = slice.size(1);
    const auto padded = padBottomRight(slice, roundUp(height, factor) - height, roundUp(width, factor) - width);
    const auto paddedHeight = padded.size(0);
    const auto paddedWidth = padded.size(1);

    const int64_t margin = roundUp(net->receptiveRadius(), factor);
    const int64_t band = 2 * factor;
    const int64_t tile = std::max<int64_t>(roundUp(tileSize, factor), 2 * margin + band + 4 * factor);
    const auto runTile = [&](const torch::Tensor &part) {
        const auto batch = part.contiguous().view({1, 1, part.size(0), part.size(1)}).to(device);
        return net->infer(batch).view({part.size(0), part.size(1)}).to(torch::kCPU);
    };

    if (cancel && cancel->load())
        return {};
    if (paddedHeight <= tile && paddedWidth <= tile)
        return runTile(padded).slice(0, 0, height).slice(1, 0, width);

    const int64_t stride = tile - 2 * margin - band;
    const auto rowStarts = tileStarts(paddedHeight, tile, stride);
    const auto columnStarts = tileStarts(paddedWidth, tile, stride);
    const int64_t tileHeight = std::min(tile, paddedHeight);
    const int64_t tileWidth = std::min(tile, paddedWidth);

    // Weights are separable, so their sum over all tiles is the outer product
    // of the per-axis sums: no full-size weight image is needed.
    auto output = torch::zeros({paddedHeight, paddedWidth});
    auto rowWeightSum = torch::zeros({paddedHeight});
    auto columnWeightSum = torch::zeros({paddedWidth});
    std::vector<torch::Tensor> rowWeights;
    std::vector<torch::Tensor> columnWeights;
    for (const auto start : rowStarts) {
        rowWeights.push_back(tileWeights(start, tileHeight, paddedHeight, margin, band));
        rowWeightSum.slice(0, start, start + tileHeight) += rowWeights.back();
    }
    for (const auto start : columnStarts) {
        columnWeights.push_back(tileWeights(start, tileWidth, paddedWidth, margin, band));
        columnWeightSum.slice(0, start, start + tileWidth) += columnWeights.back();
    }

    for (std::size_t row = 0; row < rowStarts.size(); ++row) {
        for (std::size_t column = 0; column < columnStarts.size(); ++column) {
            if (cancel && cancel->load())
                return {};
            const auto y = rowStarts[row];
            const auto x = columnStarts[column];
            const auto result = runTile(padded.slice(0, y, y + tileHeight).slice(1, x, x + tileWidth));
            output.slice(0, y, y + tileHeight).slice(1, x, x + tileWidth)
                += result * rowWeights[row].unsqueeze(1) * columnWeights[column].unsqueeze(0);
        }
    }
    output /= rowWeightSum.unsqueeze(1) * columnWeightSum.unsqueeze(0);
    return output.slice(0, 0, height).slice(1, 0, width);
}

} // namespace mri::nn
