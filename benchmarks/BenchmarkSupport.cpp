#include "BenchmarkSupport.h"

#include "quality/Metrics.h"
#include "training/Trainer.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>

namespace bench {

PooledError pooledError(const std::vector<cv::Mat> &clean, const std::vector<cv::Mat> &result)
{
    PooledError error;
    for (std::size_t i = 0; i < clean.size(); ++i) {
        cv::Mat clamped = cv::min(cv::max(result[i], 0.0), 1.0);
        cv::Mat difference = clamped - clean[i];
        error.squared += difference.dot(difference);
        error.pixels += static_cast<double>(clean[i].total());
        error.ssim += mri::structuralSimilarity(clean[i], clamped, 1.0);
    }
    return error;
}

Score scoreSlices(const std::vector<cv::Mat> &clean, const std::vector<cv::Mat> &result)
{
    const PooledError error = pooledError(clean, result);
    return {10.0 * std::log10(1.0 / (error.squared / error.pixels)), error.ssim / static_cast<double>(clean.size())};
}

Slab centralSlab(int slices, int slab)
{
    Slab bounds;
    bounds.first = std::max(1, slices / 2 - slab / 2);
    bounds.last = std::min(slices - 2, bounds.first + slab - 1);
    return bounds;
}

std::vector<int> scoredSlices(const Slab &slab)
{
    std::vector<int> scored;
    for (int z = slab.first + 1; z <= slab.last; z += 2)
        scored.push_back(z);
    return scored;
}

TrainedDenoiser trainDenoiser(const std::string &name, const std::vector<cv::Mat> &noisy, const Slab &slab,
                              const DenoiserSettings &settings)
{
    std::vector<mri::TrainingSlice> training;
    for (int z = slab.first; z <= slab.last; z += 2)
        training.push_back({name + ":" + std::to_string(z), noisy[z], {}, {noisy[z - 1], noisy[z + 1]}});
    mri::TrainingOptions options;
    options.epochs = settings.epochs;
    options.patchesPerImage = settings.patchesPerImage;
    options.validationFraction = 0.0;
    options.threads = settings.threads;
    options.seed = settings.seed;
    options.network.neighbourSlices = settings.neighbourSlices;
    options.modelFile = settings.modelFile;
    std::error_code ignored;
    std::filesystem::remove(options.modelFile, ignored);
    std::atomic_bool cancel{false};
    const auto start = std::chrono::steady_clock::now();
    const auto result = mri::trainOnSlices(training, options, {}, cancel);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const long long steps = result.history.empty() ? 0LL : result.history.back().globalStep;
    return {mri::Enhancer::load(options.modelFile), seconds, steps, static_cast<int>(training.size())};
}

std::vector<cv::Mat> enhanceSlices(mri::Enhancer &enhancer, const std::vector<cv::Mat> &noisy,
                                   const std::vector<int> &scored)
{
    std::vector<cv::Mat> enhanced;
    for (const int z : scored)
        enhanced.push_back(enhancer.enhanceUnit(noisy[z], {noisy[z - 1], noisy[z + 1]}));
    return enhanced;
}

} // namespace bench
