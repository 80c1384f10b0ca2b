#pragma once

// Private to the engine: includes LibTorch. Never include from a public header.

#include "model/TrainingOptions.h"

#include <torch/torch.h>

#include <vector>

namespace mri::nn {

class UNetImpl;

// A trained U-Net prepared for inference: the same function as UNetImpl's
// forward() in eval mode, computed faster on CPU (measured in bench_speed):
// - batch normalisation folded into the convolution weights,
// - every activation in channels-last layout, which oneDNN's convolutions
//   read and write without reordering,
// - the 2x2 stride-2 transposed convolutions as a 1x1 convolution to 4x the
//   channels followed by a pixel shuffle (ATen runs transposed convolutions
//   on its slow reference kernel),
// - max-blur-pool as one pass over memory instead of four,
// - ReLU in place.
// A snapshot: built from the weights at construction, independent of later
// training. Thread-compatible.
class FoldedUNet final
{
public:
    explicit FoldedUNet(const UNetImpl &net);

    // [N, C, H, W] float, C = NetworkConfig::inputChannels() (neighbour
    // slices below, the slice, neighbours above), H and W multiples of
    // 2^depth; returns [N, 1, H, W], the centre slice enhanced.
    torch::Tensor forward(const torch::Tensor &input) const;

private:
    struct Convolution
    {
        torch::Tensor weight; // channels-last
        torch::Tensor bias;
    };
    struct Level
    {
        Convolution first;
        Convolution second;
    };

    // Takes the input by value: moved in, it is freed after the first convolution.
    torch::Tensor doubleConvolution(torch::Tensor input, const Level &level) const;
    torch::Tensor downsample(const torch::Tensor &input) const;

    NetworkConfig m_config;
    std::vector<Level> m_encoders;
    Level m_bottleneck;
    std::vector<Convolution> m_upsamplers; // 1x1 convolutions to 4x the channels
    std::vector<Level> m_decoders;
    Convolution m_output;
    double m_dataMean = 0.0;
    double m_dataDeviation = 1.0;
};

// Max-blur-pool of a channels-last [N, C, H, W] float tensor with even H and
// W: 2x2 max with stride 1, replicate padding of 1, binomial [1 2 1] x
// [1 2 1] / 16 blur with stride 2, in one pass. Equal to UNetImpl's
// downsample() with blur-pool.
torch::Tensor maxBlurPool(const torch::Tensor &input);

} // namespace mri::nn
