#pragma once

// Private to the engine: includes LibTorch. Never include from a public header.

#include "TrainingOptions.h"

#include <torch/torch.h>

#include <atomic>

namespace mri::nn {

// Two 3x3 convolutions with ReLU, as in each level of the original U-Net.
class DoubleConvImpl final : public torch::nn::Module
{
public:
    DoubleConvImpl(int inChannels, int outChannels, bool batchNorm);
    torch::Tensor forward(const torch::Tensor &input);

private:
    torch::nn::Conv2d m_first{nullptr};
    torch::nn::Conv2d m_second{nullptr};
    torch::nn::BatchNorm2d m_firstNorm{nullptr};  // null without batch normalisation
    torch::nn::BatchNorm2d m_secondNorm{nullptr};
};
TORCH_MODULE(DoubleConv);

// U-Net (Ronneberger et al. 2015): max-pool down, transposed convolution up,
// skip connections by concatenation, 1x1 convolution out: Sigmoid of it, the
// input plus it (residual), or with a linear output the data's mean plus its
// deviation times it, the input standardised the same way. Padded
// convolutions keep the size; inputs must be a multiple of downsamplingFactor().
class UNetImpl final : public torch::nn::Module
{
public:
    explicit UNetImpl(const NetworkConfig &config);
    torch::Tensor forward(const torch::Tensor &input);

    const NetworkConfig &config() const { return m_config; }
    int downsamplingFactor() const { return 1 << m_config.depth; }
    // Pixels of context on each side that influence an output pixel.
    int receptiveRadius() const;
    // The intensity scale of a linear output: set once from the training data
    // before training; saved with the weights.
    void setDataStatistics(double mean, double deviation);

private:
    torch::Tensor downsample(const torch::Tensor &input) const;

    NetworkConfig m_config;
    torch::nn::ModuleList m_encoders;
    torch::nn::ModuleList m_upsamplers;
    torch::nn::ModuleList m_decoders;
    DoubleConv m_bottleneck{nullptr};
    torch::nn::Conv2d m_output{nullptr};
    torch::Tensor m_blurKernel; // buffer, used when config.blurPool
    torch::Tensor m_dataMean;   // buffers of a linear output, undefined otherwise
    torch::Tensor m_dataDeviation;
};
TORCH_MODULE(UNet);

} // namespace mri::nn
