#pragma once

#include <opencv2/core/mat.hpp>

#include <cstdint>
#include <optional>
#include <string>

namespace mri {

enum class NoiseModel { Gaussian, Rician };

std::string noiseModelName(NoiseModel model);                         // "gaussian", "rician"
std::optional<NoiseModel> parseNoiseModel(const std::string &name);   // case-insensitive

// Adds noise with standard deviation `sigma` given as a fraction of the data
// range. Rician: sqrt((x + n1)^2 + n2^2), n1, n2 ~ N(0, sigma), the noise of MRI
// magnitude images. Works on CV_8U, CV_16U (result saturated to the same depth)
// and CV_32F in [0, 1] (result not clipped). Repeatable for a given seed.
cv::Mat addNoise(const cv::Mat &clean, NoiseModel model, double sigma, std::uint64_t seed);

} // namespace mri
