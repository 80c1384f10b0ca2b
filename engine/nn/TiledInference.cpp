#include "nn/TiledInference.h"

#include "nn/BlindSpot.h"

#include <algorithm>
#include <stdexcept>
#include <string>
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

// How a slice is cut into tiles: the virtually padded slice (bottom/right
// up to a multiple of the network's down-sampling factor), the tiles' size
// and starts, and the separable blending weights.
struct TileGrid
{
    int64_t height = 0; // the slice's
    int64_t width = 0;
    int64_t paddedHeight = 0;
    int64_t paddedWidth = 0;
    bool canReflect = false; // as padBottomRight() on the whole slice
    int64_t tileHeight = 0;
    int64_t tileWidth = 0;
    std::vector<int64_t> rowStarts;
    std::vector<int64_t> columnStarts;
    int total = 0;
    bool single = false; // one tile: copied, not blended
    // Weights are separable, so their sum over all tiles is the outer product
    // of the per-axis sums: no full-size weight image is needed.
    std::vector<torch::Tensor> rowWeights;
    std::vector<torch::Tensor> columnWeights;
    torch::Tensor rowWeightSum;
    torch::Tensor columnWeightSum;

    // Where a pixel of the padded slice comes from along an axis of `length`.
    int64_t source(int64_t position, int64_t length) const
    {
        if (position < length)
            return position;
        return canReflect ? 2 * (length - 1) - position : length - 1;
    }
};

TileGrid planTiles(int64_t height, int64_t width, int64_t factor, int64_t receptiveRadius, int tileSize)
{
    TileGrid grid;
    grid.height = height;
    grid.width = width;
    grid.paddedHeight = roundUp(height, factor);
    grid.paddedWidth = roundUp(width, factor);
    // As padBottomRight() on the whole slice: reflect when both pads allow it.
    grid.canReflect = grid.paddedHeight - height < height && grid.paddedWidth - width < width;

    const int64_t margin = roundUp(receptiveRadius, factor);
    const int64_t band = 2 * factor;
    const int64_t tile = std::max<int64_t>(roundUp(tileSize, factor), 2 * margin + band + 4 * factor);
    // Along each axis, as few tiles as the largest tile allows, all of one
    // length just long enough to cover it: a 1024-pixel axis in tiles of at
    // most 768 becomes two tiles of 544, not two of 768 that mostly overlap.
    const int64_t overlap = 2 * margin + band;
    const auto axisTile = [&](int64_t length) {
        if (length <= tile)
            return length;
        const int64_t count = (length - overlap + (tile - overlap) - 1) / (tile - overlap);
        return std::min(tile, roundUp((length + (count - 1) * overlap + count - 1) / count, factor));
    };
    grid.tileHeight = axisTile(grid.paddedHeight);
    grid.tileWidth = axisTile(grid.paddedWidth);
    grid.rowStarts = tileStarts(grid.paddedHeight, grid.tileHeight, grid.tileHeight - overlap);
    grid.columnStarts = tileStarts(grid.paddedWidth, grid.tileWidth, grid.tileWidth - overlap);
    grid.total = static_cast<int>(grid.rowStarts.size() * grid.columnStarts.size());
    grid.single = grid.total == 1;

    grid.rowWeightSum = torch::zeros({grid.paddedHeight});
    grid.columnWeightSum = torch::zeros({grid.paddedWidth});
    for (const auto start : grid.rowStarts) {
        grid.rowWeights.push_back(tileWeights(start, grid.tileHeight, grid.paddedHeight, margin, band));
        grid.rowWeightSum.slice(0, start, start + grid.tileHeight) += grid.rowWeights.back();
    }
    for (const auto start : grid.columnStarts) {
        grid.columnWeights.push_back(tileWeights(start, grid.tileWidth, grid.paddedWidth, margin, band));
        grid.columnWeightSum.slice(0, start, start + grid.tileWidth) += grid.columnWeights.back();
    }
    return grid;
}

// Columns of the tile at `x0` inside the slice (the rest is padding).
int64_t insideWidth(const TileGrid &grid, int64_t x0)
{
    return std::min(grid.tileWidth, grid.width - x0);
}

// The tile of the virtually padded slice into `pixels` [C, H, W]: the part
// inside read in one go per row, the padded columns pixel by pixel.
void readTile(const TileGrid &grid, const std::vector<SliceReader> &channelReaders, std::size_t row,
              std::size_t column, float *pixels)
{
    const auto y0 = grid.rowStarts[row];
    const auto x0 = grid.columnStarts[column];
    const int64_t inside = insideWidth(grid, x0);
    for (std::size_t c = 0; c < channelReaders.size(); ++c) {
        const SliceReader &reader = channelReaders[c];
        float *tilePixels = pixels + static_cast<int64_t>(c) * grid.tileHeight * grid.tileWidth;
        for (int64_t ty = 0; ty < grid.tileHeight; ++ty) {
            float *line = tilePixels + ty * grid.tileWidth;
            const int64_t sourceRow = grid.source(y0 + ty, grid.height);
            if (inside > 0)
                reader(line, sourceRow, x0, inside);
            for (int64_t tx = std::max<int64_t>(inside, 0); tx < grid.tileWidth; ++tx)
                reader(line + tx, sourceRow, grid.source(x0 + tx, grid.width), 1);
        }
    }
}

// The tile's prediction [.., H, W] (CPU, contiguous) added to the output with
// its weights, or copied when it is the only tile.
void addTile(const TileGrid &grid, const torch::Tensor &result, std::size_t row, std::size_t column, float *output,
             int64_t outputStride)
{
    const auto y0 = grid.rowStarts[row];
    const auto x0 = grid.columnStarts[column];
    const int64_t inside = insideWidth(grid, x0);
    const float *values = result.data_ptr<float>();
    const float *rowWeight = grid.rowWeights[row].data_ptr<float>();
    const float *columnWeight = grid.columnWeights[column].data_ptr<float>();
    for (int64_t ty = 0; ty < grid.tileHeight && y0 + ty < grid.height; ++ty) {
        float *target = output + (y0 + ty) * outputStride + x0;
        const float *from = values + ty * grid.tileWidth;
        if (grid.single) {
            std::copy_n(from, inside, target);
            continue;
        }
        // Multiplied in the order of (result * rowWeight) * columnWeight.
        const float weight = rowWeight[ty];
        for (int64_t tx = 0; tx < inside; ++tx)
            target[tx] += from[tx] * weight * columnWeight[tx];
    }
}

void divideByWeightSums(const TileGrid &grid, float *output, int64_t outputStride)
{
    const float *rowSum = grid.rowWeightSum.data_ptr<float>();
    const float *columnSum = grid.columnWeightSum.data_ptr<float>();
    for (int64_t y = 0; y < grid.height; ++y) {
        float *target = output + y * outputStride;
        for (int64_t x = 0; x < grid.width; ++x)
            target[x] /= rowSum[y] * columnSum[x];
    }
}

} // namespace

int TilePass::networkPasses() const
{
    return (jInvariantRadius > 0 ? jInvariantPasses(jInvariantRadius) : 1) * (mirrorAverage ? 4 : 1);
}

torch::Tensor forwardTile(UNet &net, const torch::Tensor &tile, const TilePass &pass, const std::atomic_bool *cancel)
{
    const auto once = [&](const torch::Tensor &input) {
        return pass.jInvariantRadius > 0 ? inferJInvariant(net, input, pass.jInvariantRadius, cancel) : net->infer(input);
    };
    if (!pass.mirrorAverage)
        return once(tile);
    // Dimensions 3 and 2 of [N, C, H, W]: left-right, up-down, both.
    static const std::vector<std::vector<int64_t>> kMirrors{{3}, {2}, {2, 3}};
    auto sum = once(tile);
    for (const auto &axes : kMirrors) {
        if (!sum.defined())
            return sum;
        const auto mirrored = once(tile.flip(axes));
        if (!mirrored.defined())
            return mirrored;
        sum += mirrored.flip(axes);
    }
    return sum / 4.0;
}

torch::Tensor forwardPadded(UNet &net, const torch::Tensor &input)
{
    const int64_t factor = net->downsamplingFactor();
    const auto height = input.size(-2);
    const auto width = input.size(-1);
    const auto padded = padBottomRight(input, roundUp(height, factor) - height, roundUp(width, factor) - width);
    return net->forward(padded).slice(-2, 0, height).slice(-1, 0, width);
}

bool inferSlice(UNet &net, int64_t height, int64_t width, const SliceReader &reader, float *output,
                int64_t outputStride, int tileSize, const std::atomic_bool *cancel, const torch::Device &device,
                const TileProgress &progress)
{
    return inferSlice(net, height, width, std::vector<SliceReader>{reader}, output, outputStride, tileSize, cancel,
                      device, progress);
}

bool inferSlice(UNet &net, int64_t height, int64_t width, const std::vector<SliceReader> &channelReaders,
                float *output, int64_t outputStride, int tileSize, const std::atomic_bool *cancel,
                const torch::Device &device, const TileProgress &progress, const TilePass &pass)
{
    const int64_t channels = net->config().inputChannels();
    if (static_cast<int64_t>(channelReaders.size()) != channels)
        throw std::invalid_argument("inferSlice: " + std::to_string(channelReaders.size()) + " channel readers for a "
                                    + std::to_string(channels) + "-channel network");
    const TileGrid grid = planTiles(height, width, net->downsamplingFactor(), net->receptiveRadius(), tileSize);

    for (int64_t y = 0; y < height; ++y)
        std::fill_n(output + y * outputStride, width, 0.0f);
    auto input = torch::empty({1, channels, grid.tileHeight, grid.tileWidth}, torch::kFloat32);
    int done = 0;
    for (std::size_t row = 0; row < grid.rowStarts.size(); ++row) {
        for (std::size_t column = 0; column < grid.columnStarts.size(); ++column) {
            if (cancel && cancel->load())
                return false;
            readTile(grid, channelReaders, row, column, input.data_ptr<float>());
            const auto predicted = forwardTile(net, input.to(device), pass, cancel);
            if (!predicted.defined())
                return false;
            addTile(grid, predicted.to(torch::kCPU).contiguous(), row, column, output, outputStride);
            if (progress)
                progress(++done, grid.total);
        }
    }
    if (!grid.single)
        divideByWeightSums(grid, output, outputStride);
    return true;
}

torch::Tensor inferSlice(UNet &net, const torch::Tensor &slice, int tileSize, const std::atomic_bool *cancel,
                         const torch::Device &device, const TileProgress &progress, const TilePass &pass)
{
    const auto height = slice.size(-2);
    const auto width = slice.size(-1);
    const auto input = slice.to(torch::kCPU, torch::kFloat32).contiguous();
    const int64_t channels = slice.dim() == 3 ? slice.size(0) : 1;
    std::vector<SliceReader> readers;
    for (int64_t c = 0; c < channels; ++c) {
        const float *pixels = input.data_ptr<float>() + c * height * width;
        readers.push_back([pixels, width](float *out, int64_t row, int64_t column, int64_t count) {
            std::copy_n(pixels + row * width + column, count, out);
        });
    }
    auto output = torch::empty({height, width}, torch::kFloat32);
    if (!inferSlice(net, height, width, readers, output.data_ptr<float>(), width, tileSize, cancel, device, progress,
                    pass))
        return {};
    return output;
}

} // namespace mri::nn
