#pragma once

// Private to the engine: includes LibTorch. Never include from a public header.

#include "nn/UNet.h"

#include <atomic>
#include <cstdint>
#include <functional>
#include <vector>

namespace mri::nn {

// Runs the network on a [N, C, H, W] batch of any H, W: reflect-pads to a
// multiple of the down-sampling factor and crops back.
torch::Tensor forwardPadded(UNet &net, const torch::Tensor &input);

// Writes `count` float values of row `row` of the slice, from column `column`,
// to `out` (coordinates always inside the slice). Lets a caller convert an 8-
// or 16-bit image tile by tile instead of keeping a float copy of it.
using SliceReader = std::function<void(float *out, int64_t row, int64_t column, int64_t count)>;
// Called after each tile with the tiles done and their total for this slice.
using TileProgress = std::function<void(int done, int total)>;

// How each tile goes through the network.
struct TilePass
{
    // Above 0: inferJInvariant() with this blind-spot radius (BlindSpot.h)
    // instead of one plain pass.
    int jInvariantRadius = 0;
    // The mean over the tile and its three mirror images (left-right, up-down,
    // both), each passed through the network and mirrored back: the network's
    // errors differ between the mirror images and partly cancel.
    bool mirrorAverage = false;

    int networkPasses() const;
};

// The tile's prediction [1, 1, H, W] of a [1, C, H, W] tile; undefined when
// `cancel` became true during a J-invariant pass. The caller holds NoGradGuard and eval().
torch::Tensor forwardTile(UNet &net, const torch::Tensor &tile, const TilePass &pass, const std::atomic_bool *cancel);

// Whole-slice inference with bounded memory: slices larger than `tileSize`
// are cut into tiles whose borders overlap by the network's receptive radius
// plus a blending band, so each output pixel comes from tiles that saw its
// full context. The slice is padded to a multiple of the down-sampling factor
// virtually, per tile (reflect where it is large enough, replicate
// otherwise), so no padded copy exists. The result is accumulated straight
// into `output` (height x width floats, rows `outputStride` floats apart);
// besides it only one tile's data is held. Returns false when `cancel`
// became true (checked before each tile). The caller holds NoGradGuard and
// eval().
bool inferSlice(UNet &net, int64_t height, int64_t width, const SliceReader &reader, float *output,
                int64_t outputStride, int tileSize, const std::atomic_bool *cancel, const torch::Device &device,
                const TileProgress &progress = {});
// The same with one reader per input channel of the network (2.5-D:
// NetworkConfig::inputChannels() readers, the slices below, the slice, the
// slices above, all height x width); every tile is cut at the same place
// from all of them. Throws std::invalid_argument on a wrong reader count.
// Every tile goes through the network as `pass` says.
bool inferSlice(UNet &net, int64_t height, int64_t width, const std::vector<SliceReader> &channelReaders,
                float *output, int64_t outputStride, int tileSize, const std::atomic_bool *cancel,
                const torch::Device &device, const TileProgress &progress = {}, const TilePass &pass = {});

// The same on a [H, W] float tensor, or [C, H, W] for a network of C input
// channels; returns an undefined [H, W] tensor when cancelled.
torch::Tensor inferSlice(UNet &net, const torch::Tensor &slice, int tileSize, const std::atomic_bool *cancel,
                         const torch::Device &device, const TileProgress &progress = {}, const TilePass &pass = {});

} // namespace mri::nn
