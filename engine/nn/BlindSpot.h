#pragma once

// Private to the engine: includes LibTorch. Never include from a public header.

#include "nn/UNet.h"

#include <atomic>
#include <cstdint>

namespace mri::nn {

// Structured blind spots (structN2V, Broaddus et al. 2020): a blind spot hides
// the (2 hidden + 1)^2 box around it, filled with a value of the ring of
// pixels right outside the box. Training draws the centres at random; the
// J-invariant inference below places them on grids.

// The largest share of the input that blind-spot boxes hide, in training and in
// each pass of the J-invariant inference, so that the network sees what it
// learnt on. Inferred with twice as much hidden (3x3 boxes 5 apart) a 2.5-D
// model darkened the tissue by 2.5 %; with as much, within 0.3 %.
constexpr double kMaxBlindSpotShare = 0.2;

// Pads [N, C, H, W] with NaN, so that windows at the edge hold only real pixels:
// replicated or reflected padding would copy a hidden pixel into its own window.
torch::Tensor padWithNothing(const torch::Tensor &batch, int64_t radius);

// The ring around each pixel's box of `hidden`: [N, ring pixels, H * W] of a
// [N, 1, H, W] batch, NaN where the ring leaves the batch.
torch::Tensor ringValuesAround(const torch::Tensor &batch, int64_t hidden);

// Every pixel of each centre's box (`centres` true, centres at least
// 2 hidden + 2 apart) takes the centre's `replacement`; the rest is `batch`.
torch::Tensor paintBoxes(const torch::Tensor &batch, const torch::Tensor &centres, const torch::Tensor &replacement,
                         int64_t hidden);

// The blind-spot radius with which a model of these settings is inferred
// J-invariantly, 0 for a plain pass. Measured (README, "Noise correlated
// between pixels"): with 5x5 boxes the plain pass darkened the tissue of
// correlated:1 slices by 17-20 % in two seeds of three; with 3x3 boxes it was
// better on single slices (zero-filled noise: 9 % less tissue error) and worse
// with neighbour slices, which still show the hidden pixels' anatomy with
// independent noise (a zero-filled volume: 1.9 dB).
int jInvariantRadiusOf(const TrainingOptions &settings);

// Network passes of the J-invariant inference of `radius` (one per grid offset).
int jInvariantPasses(int radius);

// Noise2Self's J-invariant prediction (Batson & Royer 2019) of a network
// trained with structured blind spots of `radius`: every pixel is predicted
// with its own box hidden (median of its ring), as in training, so that noise
// correlated within the box cannot pass through. The centres of one pass lie
// on a grid far enough apart that about as little of the input is hidden as in
// training; every grid offset is one pass, so every pixel is a centre exactly
// once, and each pixel sees the same hidden boxes around it in any tile.
// input [1, C, H, W] (H, W multiples of the down-sampling factor), the blind
// spots in its centre channel; returns [1, 1, H, W], or an undefined tensor
// when `cancel` became true (checked between batches of passes). The caller
// holds NoGradGuard and eval().
torch::Tensor inferJInvariant(UNet &net, const torch::Tensor &input, int radius,
                              const std::atomic_bool *cancel = nullptr);

} // namespace mri::nn
