#pragma once

// Private to the engine: includes LibTorch. Never include from a public header.

#include "nn/UNet.h"

#include <atomic>

namespace mri::nn {

// Runs the network on a [N, 1, H, W] batch of any H, W: reflect-pads to a
// multiple of the down-sampling factor and crops back.
torch::Tensor forwardPadded(UNet &net, const torch::Tensor &input);

// Whole-slice inference on a [H, W] float tensor with bounded memory: slices
// larger than `tileSize` are cut into tiles whose borders overlap by the
// network's receptive radius plus a blending band, so each output pixel comes
// from tiles that saw its full context. Returns an undefined tensor when
// `cancel` became true. The caller holds NoGradGuard and eval().
torch::Tensor inferSlice(UNet &net, const torch::Tensor &slice, int tileSize, const std::atomic_bool *cancel,
                         const torch::Device &device);

} // namespace mri::nn
