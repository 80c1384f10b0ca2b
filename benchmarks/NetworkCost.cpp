#include "NetworkCost.h"

#include "nn/UNet.h"

namespace mri::bench {

double unetMultiplyAccumulates(const NetworkConfig &config, int width, int height)
{
    const auto pixels = [&](int level) { return double(width >> level) * double(height >> level); };
    const auto channels = [&](int level) { return double(config.baseChannels << level); };
    // Two 3x3 convolutions at `level`: in -> out, out -> out.
    const auto doubleConv = [&](int level, double in, double out) { return pixels(level) * 9.0 * (in * out + out * out); };

    double macs = 0.0;
    for (int level = 0; level < config.depth; ++level) {
        macs += doubleConv(level, level == 0 ? 1.0 : channels(level - 1), channels(level));
        if (config.blurPool) // depthwise 3x3 blur at the coarser level's size, one tap set per channel
            macs += pixels(level + 1) * channels(level) * 9.0;
    }
    macs += doubleConv(config.depth, channels(config.depth - 1), channels(config.depth));
    for (int level = config.depth - 1; level >= 0; --level) {
        // A 2x2 stride-2 transposed convolution gives every output pixel one
        // tap of every input channel.
        macs += pixels(level) * channels(level + 1) * channels(level);
        const bool hasSkip = level > 0 || config.topSkip;
        macs += doubleConv(level, hasSkip ? 2.0 * channels(level) : channels(level), channels(level));
    }
    macs += pixels(0) * channels(0); // 1x1 output convolution to one channel
    return macs;
}

double unetTrainingStepFlop(const NetworkConfig &config, int batch, int patch)
{
    return 3.0 * 2.0 * batch * unetMultiplyAccumulates(config, patch, patch);
}

long long unetParameterCount(const NetworkConfig &config)
{
    const nn::UNet net(config);
    long long count = 0;
    for (const auto &parameter : net->parameters())
        count += parameter.numel();
    return count;
}

} // namespace mri::bench
