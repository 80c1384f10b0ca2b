#pragma once

// What the benchmarks that train on a slab of a volume and score slices share
// (bench_contrast, bench_neighbours, bench_superres).

#include "enhance/Enhancer.h"

#include <opencv2/core.hpp>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

namespace bench {

// printf-style text, at most 63 characters.
template<typename... Values>
std::string format(const char *pattern, Values... values)
{
    char text[64];
    std::snprintf(text, sizeof text, pattern, values...);
    return text;
}

// Over all slices of `result` against `clean`, each clamped to [0, 1]: the
// squared error, the pixels and the SSIM (data range 1), summed.
struct PooledError
{
    double squared = 0.0;
    double pixels = 0.0;
    double ssim = 0.0;
};
PooledError pooledError(const std::vector<cv::Mat> &clean, const std::vector<cv::Mat> &result);

// PSNR of all slices together (pooled MSE) and mean SSIM, outputs clamped to [0, 1].
struct Score
{
    double psnr = 0.0;
    double ssim = 0.0;
};
Score scoreSlices(const std::vector<cv::Mat> &clean, const std::vector<cv::Mat> &result);

// `slab` central slices of `slices`, first..last, so that first - 1 and
// last + 1 (the neighbours of every slab slice) exist.
struct Slab
{
    int first = 0;
    int last = 0;
};
Slab centralSlab(int slices, int slab);

// The slab's odd slices (first + 1, first + 3, ...), which are scored; the even ones train.
std::vector<int> scoredSlices(const Slab &slab);

// A Noise2Void denoiser (default settings otherwise) trained on the slab's
// even slices of `noisy` with their neighbours, no validation, written to `modelFile`.
struct DenoiserSettings
{
    int epochs = 0;
    int patchesPerImage = 0;
    int threads = 0;
    std::uint64_t seed = 0;
    int neighbourSlices = 0;
    std::filesystem::path modelFile;
};
struct TrainedDenoiser
{
    mri::Enhancer enhancer;
    double seconds = 0.0;  // training
    long long steps = 0;
    int trainingSlices = 0;
};
TrainedDenoiser trainDenoiser(const std::string &name, const std::vector<cv::Mat> &noisy, const Slab &slab,
                              const DenoiserSettings &settings);

// `noisy` slices `scored` enhanced with their neighbours.
std::vector<cv::Mat> enhanceSlices(mri::Enhancer &enhancer, const std::vector<cv::Mat> &noisy,
                                   const std::vector<int> &scored);

} // namespace bench
