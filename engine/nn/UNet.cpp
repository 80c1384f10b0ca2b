#include "nn/UNet.h"

#include "model/TrainingSettings.h"

#include <algorithm>
#include <vector>

namespace F = torch::nn::functional;

namespace mri::nn {

DoubleConvImpl::DoubleConvImpl(int inChannels, int outChannels, bool batchNorm)
    : m_first(register_module("first", torch::nn::Conv2d(torch::nn::Conv2dOptions(inChannels, outChannels, 3).padding(1))))
    , m_second(register_module("second", torch::nn::Conv2d(torch::nn::Conv2dOptions(outChannels, outChannels, 3).padding(1))))
{
    if (batchNorm) {
        m_firstNorm = register_module("first_norm", torch::nn::BatchNorm2d(outChannels));
        m_secondNorm = register_module("second_norm", torch::nn::BatchNorm2d(outChannels));
    }
}

torch::Tensor DoubleConvImpl::forward(const torch::Tensor &input)
{
    auto x = m_first(input);
    if (m_firstNorm)
        x = m_firstNorm(x);
    x = m_second(torch::relu(x));
    if (m_secondNorm)
        x = m_secondNorm(x);
    return torch::relu(x);
}

UNetImpl::UNetImpl(const NetworkConfig &config)
    : m_config(concreteNetwork(config, false))
{
    validateNetworkConfig(config);
    const auto channels = [&](int level) { return config.baseChannels << level; };

    m_encoders = register_module("encoders", torch::nn::ModuleList());
    m_upsamplers = register_module("upsamplers", torch::nn::ModuleList());
    m_decoders = register_module("decoders", torch::nn::ModuleList());
    for (int level = 0; level < config.depth; ++level)
        m_encoders->push_back(
            DoubleConv(level == 0 ? config.inputChannels() : channels(level - 1), channels(level), config.batchNorm));
    m_bottleneck = register_module("bottleneck", DoubleConv(channels(config.depth - 1), channels(config.depth), config.batchNorm));
    for (int level = config.depth - 1; level >= 0; --level) {
        m_upsamplers->push_back(torch::nn::ConvTranspose2d(
            torch::nn::ConvTranspose2dOptions(channels(level + 1), channels(level), 2).stride(2)));
        const bool hasSkip = level > 0 || config.topSkip;
        m_decoders->push_back(DoubleConv(hasSkip ? 2 * channels(level) : channels(level), channels(level), config.batchNorm));
    }
    m_output = register_module("output", torch::nn::Conv2d(torch::nn::Conv2dOptions(channels(0), 1, 1)));
    // Binomial [1 2 1] x [1 2 1] / 16 low-pass used by max-blur-pool.
    const auto taps = torch::tensor({1.0f, 2.0f, 1.0f});
    m_blurKernel = register_buffer("blur_kernel", (taps.unsqueeze(1) * taps.unsqueeze(0) / 16.0f).view({1, 1, 3, 3}));
    if (config.linearOutput) {
        m_dataMean = register_buffer("data_mean", torch::zeros({1}));
        m_dataDeviation = register_buffer("data_deviation", torch::ones({1}));
    }
}

void UNetImpl::setDataStatistics(double mean, double deviation)
{
    if (!m_config.linearOutput)
        return;
    torch::NoGradGuard noGrad;
    m_dataMean.fill_(mean);
    m_dataDeviation.fill_(deviation > 1e-6 ? deviation : 1.0); // a blank slice: keep the scale of the data
}

void UNetImpl::train(bool on)
{
    torch::nn::Module::train(on);
    m_folded = on ? nullptr : std::make_shared<const FoldedUNet>(*this);
    m_foldedVersion = on ? -1 : weightVersion();
}

int64_t UNetImpl::weightVersion() const
{
    int64_t version = 0;
    for (const auto &parameter : parameters())
        version += static_cast<int64_t>(parameter._version());
    for (const auto &buffer : buffers())
        version += static_cast<int64_t>(buffer._version());
    return version;
}

torch::Tensor UNetImpl::infer(const torch::Tensor &input)
{
    TORCH_CHECK(!is_training(), "UNet::infer needs eval mode");
    if (!m_folded || weightVersion() != m_foldedVersion) {
        m_folded = std::make_shared<const FoldedUNet>(*this);
        m_foldedVersion = weightVersion();
    }
    return m_folded->forward(input);
}

int UNetImpl::receptiveRadius() const
{
    // Receptive field diameter: every 3x3 convolution at scale s adds 2s, a
    // 2x2 pool or transposed convolution adds s, the blur of blur-pool 2s more.
    int diameter = 1;
    for (int level = 0; level < m_config.depth; ++level) {
        const int scale = 1 << level;
        diameter += 2 * 2 * scale * 2;                      // encoder and decoder convolutions
        diameter += scale * (m_config.blurPool ? 3 : 1);    // down-sampling
        diameter += scale;                                  // up-sampling
    }
    diameter += 2 * 2 * (1 << m_config.depth);              // bottleneck
    return (diameter + 1) / 2;
}

torch::Tensor UNetImpl::downsample(const torch::Tensor &input) const
{
    if (!m_config.blurPool)
        return F::max_pool2d(input, F::MaxPool2dFuncOptions(2).stride(2));
    // Max-blur-pool (Zhang 2019, used by N2V2): dense max, then anti-aliased stride.
    const auto dense = F::max_pool2d(input, F::MaxPool2dFuncOptions(2).stride(1));
    const auto padded = F::pad(dense, F::PadFuncOptions({1, 1, 1, 1}).mode(torch::kReplicate));
    const auto channels = input.size(1);
    return F::conv2d(padded, m_blurKernel.expand({channels, 1, 3, 3}),
                     F::Conv2dFuncOptions().stride(2).groups(channels));
}

torch::Tensor upsample(const torch::nn::ConvTranspose2dImpl &layer, const torch::Tensor &input)
{
    // The 2x2 stride-2 transposed convolution as a 1x1 convolution to 4x the
    // channels and a pixel shuffle: the same function and gradients, but on
    // oneDNN instead of ATen's reference kernel (slow_conv_transpose2d).
    // out[o, 2y + i, 2x + j] = sum_c w[c, o, i, j] in[c, y, x] + b[o].
    const auto inChannels = layer.weight.size(0);
    const auto outChannels = layer.weight.size(1);
    const auto weight = layer.weight.permute({1, 2, 3, 0}).reshape({outChannels * 4, inChannels, 1, 1});
    return F::pixel_shuffle(F::conv2d(input, weight, F::Conv2dFuncOptions().bias(layer.bias.repeat_interleave(4))), 2);
}

torch::Tensor UNetImpl::forward(const torch::Tensor &input)
{
    std::vector<torch::Tensor> skips;
    skips.reserve(m_config.depth);
    const bool linear = m_config.linearOutput;
    const auto standardised = linear ? (input - m_dataMean) / m_dataDeviation : input;
    torch::Tensor x = standardised;
    for (int level = 0; level < m_config.depth; ++level) {
        x = m_encoders[level]->as<DoubleConv>()->forward(x);
        skips.push_back(x);
        x = downsample(x);
    }
    x = m_bottleneck(x);
    for (int step = 0; step < m_config.depth; ++step) {
        const int level = m_config.depth - 1 - step;
        x = upsample(*m_upsamplers[step]->as<torch::nn::ConvTranspose2d>(), x);
        if (level > 0 || m_config.topSkip)
            x = torch::cat({x, skips[level]}, 1);
        x = m_decoders[step]->as<DoubleConv>()->forward(x);
    }
    const auto correction = m_output(x);
    // A residual output corrects the centre slice; neighbours are context only.
    const auto centre = [&](const torch::Tensor &channels) {
        return m_config.neighbourSlices == 0 ? channels : channels.narrow(1, m_config.neighbourSlices, 1);
    };
    if (linear)
        return m_dataMean + m_dataDeviation * (m_config.residualOutput ? centre(standardised) + correction : correction);
    return m_config.residualOutput ? centre(input) + correction : torch::sigmoid(correction);
}

} // namespace mri::nn
