#pragma once

#include "model/TrainingOptions.h"

namespace mri::bench {

// Multiply-accumulates (MAC) of one forward pass of the engine's U-Net
// (engine/nn/UNet.cpp) with `config` on one width x height image (multiples of
// 2^depth): the 3x3 convolutions, the 2x2 stride-2 transposed convolutions,
// the depthwise 3x3 blur of max-blur-pool and the 1x1 output convolution.
// Batch normalisation, ReLU, max-pool, concatenation, biases and the
// standardisation are a few operations per value, not counted (< 1 %).
// 1 MAC = 2 FLOP (a multiply and an add).
double unetMultiplyAccumulates(const NetworkConfig &config, int width, int height);

// FLOP of one training step on `batch` patches of patch x patch: forward plus
// backward, the backward counted as twice the forward (gradients of the
// inputs and of the weights), so 3 x forward x 2 FLOP per MAC.
double unetTrainingStepFlop(const NetworkConfig &config, int batch, int patch);

// Trainable parameters of the engine's own module built from `config`.
long long unetParameterCount(const NetworkConfig &config);

} // namespace mri::bench
