#include "Noise.h"

#include "EngineError.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <random>

namespace mri {

std::string noiseModelName(NoiseModel model)
{
    switch (model) {
    case NoiseModel::Gaussian: return "gaussian";
    case NoiseModel::Rician: return "rician";
    }
    return "rician";
}

std::optional<NoiseModel> parseNoiseModel(const std::string &name)
{
    std::string lower = name;
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (lower == "gaussian")
        return NoiseModel::Gaussian;
    if (lower == "rician")
        return NoiseModel::Rician;
    return std::nullopt;
}

namespace {

template<typename T>
void addNoiseTo(cv::Mat &image, double range, NoiseModel model, double sigma, std::uint64_t seed)
{
    std::mt19937_64 generator(seed);
    std::normal_distribution<double> normal(0.0, sigma);
    // Channels are treated as independent samples: one flat row per image row.
    const int width = image.cols * image.channels();
    for (int r = 0; r < image.rows; ++r) {
        T *row = image.ptr<T>(r);
        for (int c = 0; c < width; ++c) {
            const double x = static_cast<double>(row[c]) / range;
            double noisy = x + normal(generator);
            if (model == NoiseModel::Rician) {
                const double quadrature = normal(generator);
                noisy = std::sqrt(noisy * noisy + quadrature * quadrature);
            }
            row[c] = cv::saturate_cast<T>(noisy * range);
        }
    }
}

} // namespace

cv::Mat addNoise(const cv::Mat &clean, NoiseModel model, double sigma, std::uint64_t seed)
{
    const int depth = clean.depth();
    if (depth != CV_8U && depth != CV_16U && depth != CV_32F)
        throw EngineError("Noise can only be added to 8-bit, 16-bit or 32-bit float images.");
    if (!(sigma >= 0.0) || !std::isfinite(sigma))
        throw EngineError("The noise level must be a finite, non-negative fraction of the intensity range.");
    cv::Mat noisy = clean.clone();
    if (sigma == 0.0) // normal_distribution requires a positive deviation
        return noisy;
    if (depth == CV_8U)
        addNoiseTo<std::uint8_t>(noisy, 255.0, model, sigma, seed);
    else if (depth == CV_16U)
        addNoiseTo<std::uint16_t>(noisy, 65535.0, model, sigma, seed);
    else
        addNoiseTo<float>(noisy, 1.0, model, sigma, seed);
    return noisy;
}

} // namespace mri
