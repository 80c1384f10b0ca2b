#include "nn/FoldedUNet.h"

#include "nn/UNet.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <utility>

namespace F = torch::nn::functional;

namespace mri::nn {

namespace {

torch::Tensor channelsLast(const torch::Tensor &tensor)
{
    return tensor.contiguous(torch::MemoryFormat::ChannelsLast);
}

// Convolution weights with the batch normalisation that follows folded in:
// BN(W x + b) = s W x + (b - mean) s + beta, s = gamma / sqrt(var + eps).
void fold(torch::Tensor &weight, torch::Tensor &bias, const torch::nn::BatchNorm2d &norm)
{
    const auto scale = norm->weight / torch::sqrt(norm->running_var + norm->options.eps());
    weight = weight * scale.view({-1, 1, 1, 1});
    bias = (bias - norm->running_mean) * scale + norm->bias;
}

} // namespace

FoldedUNet::FoldedUNet(const UNetImpl &net)
    : m_config(net.m_config)
{
    torch::NoGradGuard noGrad;
    const auto levelOf = [](const DoubleConv &block) {
        Level level;
        auto convert = [](const torch::nn::Conv2d &conv, const torch::nn::BatchNorm2d &norm) {
            Convolution result{conv->weight.detach().clone(), conv->bias.detach().clone()};
            if (norm)
                fold(result.weight, result.bias, norm);
            result.weight = channelsLast(result.weight);
            return result;
        };
        level.first = convert(block->m_first, block->m_firstNorm);
        level.second = convert(block->m_second, block->m_secondNorm);
        return level;
    };
    for (const auto &encoder : *net.m_encoders)
        m_encoders.push_back(levelOf(DoubleConv(std::dynamic_pointer_cast<DoubleConvImpl>(encoder))));
    m_bottleneck = levelOf(net.m_bottleneck);
    for (const auto &decoder : *net.m_decoders)
        m_decoders.push_back(levelOf(DoubleConv(std::dynamic_pointer_cast<DoubleConvImpl>(decoder))));
    for (const auto &module : *net.m_upsamplers) {
        // ConvTranspose2d(k = 2, stride 2): out[o, 2y + i, 2x + j] = sum_c w[c, o, i, j] in[c, y, x] + b[o],
        // which is pixel_shuffle of a 1x1 convolution with weight[o*4 + i*2 + j, c] = w[c, o, i, j].
        const auto *up = module->as<torch::nn::ConvTranspose2dImpl>();
        const auto weight = up->weight.detach();
        const auto inChannels = weight.size(0);
        const auto outChannels = weight.size(1);
        m_upsamplers.push_back({channelsLast(weight.permute({1, 2, 3, 0}).reshape({outChannels * 4, inChannels, 1, 1})),
                                up->bias.detach().repeat_interleave(4)});
    }
    m_output = {channelsLast(net.m_output->weight.detach().clone()), net.m_output->bias.detach().clone()};
    if (m_config.linearOutput) {
        m_dataMean = net.m_dataMean.item<double>();
        m_dataDeviation = net.m_dataDeviation.item<double>();
    }
}

torch::Tensor FoldedUNet::doubleConvolution(torch::Tensor input, const Level &level) const
{
    auto x = F::conv2d(input, level.first.weight, F::Conv2dFuncOptions().bias(level.first.bias).padding(1));
    input.reset();
    x.relu_();
    x = F::conv2d(x, level.second.weight, F::Conv2dFuncOptions().bias(level.second.bias).padding(1));
    return x.relu_();
}

torch::Tensor FoldedUNet::downsample(const torch::Tensor &input) const
{
    if (!m_config.blurPool)
        return F::max_pool2d(input, F::MaxPool2dFuncOptions(2).stride(2));
    return maxBlurPool(input);
}

torch::Tensor FoldedUNet::forward(const torch::Tensor &input) const
{
    const bool linear = m_config.linearOutput;
    const auto standardised = linear ? (input - m_dataMean) / m_dataDeviation : input;
    std::vector<torch::Tensor> skips;
    skips.reserve(m_config.depth);
    torch::Tensor x = channelsLast(standardised);
    // Activations are released as soon as they are used: a tile's peak is
    // what the largest convolution needs, not the whole forward pass.
    for (int level = 0; level < m_config.depth; ++level) {
        x = doubleConvolution(std::move(x), m_encoders[level]);
        skips.push_back(level > 0 || m_config.topSkip ? x : torch::Tensor());
        x = downsample(x);
    }
    x = doubleConvolution(std::move(x), m_bottleneck);
    for (int step = 0; step < m_config.depth; ++step) {
        const int level = m_config.depth - 1 - step;
        const auto &up = m_upsamplers[step];
        x = channelsLast(F::pixel_shuffle(F::conv2d(x, up.weight, F::Conv2dFuncOptions().bias(up.bias)), 2));
        if (level > 0 || m_config.topSkip) {
            x = torch::cat({x, skips[level]}, 1);
            skips[level].reset();
        }
        x = doubleConvolution(std::move(x), m_decoders[step]);
    }
    const auto correction = F::conv2d(x, m_output.weight, F::Conv2dFuncOptions().bias(m_output.bias)).contiguous();
    // A residual output corrects the centre slice; neighbours are context only.
    const auto centre = [&](const torch::Tensor &channels) {
        return m_config.neighbourSlices == 0 ? channels : channels.narrow(1, m_config.neighbourSlices, 1);
    };
    if (linear)
        return m_dataMean + m_dataDeviation * (m_config.residualOutput ? centre(standardised) + correction : correction);
    return m_config.residualOutput ? centre(input) + correction : torch::sigmoid(correction);
}

torch::Tensor maxBlurPool(const torch::Tensor &input)
{
    TORCH_CHECK(input.dim() == 4 && input.scalar_type() == torch::kFloat32, "maxBlurPool needs a float [N, C, H, W] tensor");
    const auto x = channelsLast(input);
    const int64_t batch = x.size(0);
    const int64_t channels = x.size(1);
    const int64_t height = x.size(2);
    const int64_t width = x.size(3);
    TORCH_CHECK(height % 2 == 0 && width % 2 == 0 && height >= 2 && width >= 2, "maxBlurPool needs even sizes");
    const int64_t outHeight = height / 2;
    const int64_t outWidth = width / 2;
    auto output = torch::empty({batch, channels, outHeight, outWidth},
                               x.options().memory_format(torch::MemoryFormat::ChannelsLast));
    const float *in = x.data_ptr<float>();
    float *out = output.data_ptr<float>();
    const int64_t rowLength = width * channels;
    const int64_t outRowLength = outWidth * channels;

    // One output row needs dense-max rows 2y - 1, 2y, 2y + 1 (clamped to the
    // H - 1 dense rows: the replicate padding); each is blurred [1 2 1]
    // horizontally with stride 2 (clamped to the W - 1 dense columns).
    at::parallel_for(0, batch * outHeight, 1, [&](int64_t begin, int64_t end) {
        std::vector<float> columnMax(rowLength);
        std::vector<float> blurred(3 * outRowLength);
        for (int64_t index = begin; index < end; ++index) {
            const int64_t n = index / outHeight;
            const int64_t y = index % outHeight;
            const float *image = in + n * height * rowLength;
            for (int tap = 0; tap < 3; ++tap) {
                const int64_t denseRow = std::clamp<int64_t>(2 * y - 1 + tap, 0, height - 2);
                const float *top = image + denseRow * rowLength;
                const float *bottom = top + rowLength;
                float *column = columnMax.data();
                for (int64_t i = 0; i < rowLength; ++i)
                    column[i] = std::max(top[i], bottom[i]);
                float *row = blurred.data() + tap * outRowLength;
                for (int64_t ox = 0; ox < outWidth; ++ox) {
                    // dense[d] = max(column[d], column[d + 1]) for d in [0, W - 2]
                    const int64_t centre = 2 * ox;
                    const int64_t left = std::max<int64_t>(centre - 1, 0);
                    const int64_t right = std::min<int64_t>(centre + 1, width - 2);
                    const float *l0 = column + left * channels;
                    const float *c0 = column + centre * channels;
                    const float *r0 = column + right * channels;
                    float *target = row + ox * channels;
                    for (int64_t c = 0; c < channels; ++c) {
                        const float denseLeft = std::max(l0[c], l0[c + channels]);
                        const float denseCentre = std::max(c0[c], c0[c + channels]);
                        const float denseRight = std::max(r0[c], r0[c + channels]);
                        target[c] = denseLeft + 2.0f * denseCentre + denseRight;
                    }
                }
            }
            float *target = out + (n * outHeight + y) * outRowLength;
            const float *above = blurred.data();
            const float *middle = above + outRowLength;
            const float *below = middle + outRowLength;
            for (int64_t i = 0; i < outRowLength; ++i)
                target[i] = (above[i] + 2.0f * middle[i] + below[i]) * (1.0f / 16.0f);
        }
    });
    return output;
}

} // namespace mri::nn
