#pragma once

// Private to the engine: includes LibTorch. Never include from a public header.

#include "model/TrainingOptions.h"
#include "nn/FoldedUNet.h"

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
    friend class FoldedUNet;
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
// Input [N, C, H, W] with C = config.inputChannels(): with neighbour slices
// (2.5-D) the channels are the slices below, the slice itself, the slices
// above; the output [N, 1, H, W] is the centre slice's.
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

    // eval() also prepares the inference network (FoldedUNet) from the
    // current weights; train() drops it.
    void train(bool on = true) override;
    // The eval-mode forward pass through the inference network, prepared
    // again when a weight or buffer changed since (loaded, edited in place);
    // the caller holds NoGradGuard or InferenceMode. Throws in training mode.
    torch::Tensor infer(const torch::Tensor &input);

private:
    friend class FoldedUNet;
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
    // Version counters of the weights and buffers tell when they changed.
    int64_t weightVersion() const;

    std::shared_ptr<const FoldedUNet> m_folded; // set while in eval mode
    int64_t m_foldedVersion = -1;
};
TORCH_MODULE(UNet);

// A 2x2 stride-2 transposed convolution computed as a 1x1 convolution and a
// pixel shuffle (differentiable; the same parameters).
torch::Tensor upsample(const torch::nn::ConvTranspose2dImpl &layer, const torch::Tensor &input);

} // namespace mri::nn
