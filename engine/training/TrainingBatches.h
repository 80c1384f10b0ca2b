#pragma once

// Private to the engine: includes LibTorch (through nn/). The batches a
// training step learns from, for each objective (TrainingOptions::objective):
// Noise2Void's blind spots, synthetic noise, coarser sampling for super-
// resolution, and the loss over a batch's loss pixels.

#include "model/TrainingOptions.h"
#include "nn/UNet.h"

#include <utility>

namespace mri::training {

// Noise2Void's blind spots for spatially correlated noise (after structN2V,
// Broaddus et al. 2020): the (2 radius + 1)^2 box around each blind spot is
// hidden too, filled with the median (or a random pixel) of the ring right
// outside it, and centres lie at least 2 radius + 2 apart, so no input pixel within
// `radius` of a blind spot carries its value or its neighbours'. Returns the
// input [N, 1, H, W] and the mask of blind spots (the loss pixels).
std::pair<torch::Tensor, torch::Tensor> structuredBlindSpotInput(const torch::Tensor &batch, double fraction,
                                                                 int radius, bool median);

// The input Noise2Void trains on and its blind spots (the loss pixels), of a
// [N, 1, H, W] batch (a multi-channel batch is masked in its centre channel
// only, by the training steps):
// single pixels replaced by a random neighbour or (N2V2) their window's
// median, or with n2v_blind_radius > 0 the structured blind spots above.
// Windows at the patch's edge use only pixels of the patch.
std::pair<torch::Tensor, torch::Tensor> noise2VoidInput(const torch::Tensor &batch, const TrainingOptions &options);

// A training step's batch: what the network sees, what it learns, and where.
struct Batch
{
    torch::Tensor input;
    torch::Tensor target;
    torch::Tensor mask; // undefined: loss over all pixels
};

// What the network sees and learns for the objective: [N, C, H, W] clean in
// (C = 1 + 2 neighbour slices), the target is the centre channel. Noise2Void
// hides pixels of the centre channel only: the neighbours' noise is
// independent of the centre's, so they cannot give its noise away. Synthetic
// noise is drawn independently for every channel.
Batch makeBatch(const torch::Tensor &clean, const TrainingOptions &options);

// Whether the network of the objective sees a degraded input (synthetic noise,
// coarser sampling) rather than the slice itself.
bool seesDegradedInput(const TrainingOptions &options);

// Mean squared error of `output` against the batch's target, over its loss pixels.
torch::Tensor lossOf(const torch::Tensor &output, const Batch &batch);

} // namespace mri::training
