#pragma once

#include <opencv2/core/mat.hpp>

#include <string>

namespace mri {

// PSNR and SSIM exactly as scikit-image's peak_signal_noise_ratio and
// structural_similarity with default arguments: SSIM with a 7x7 uniform
// window, K1 = 0.01, K2 = 0.03, sample covariance, mean over the image after
// cropping 3 pixels at each border. Inputs: single channel, equal size, any
// depth (converted to double). PSNR of identical images is +infinity.
double peakSignalNoiseRatio(const cv::Mat &reference, const cv::Mat &test, double dataRange);
double structuralSimilarity(const cv::Mat &reference, const cv::Mat &test, double dataRange);

struct QualityMetrics
{
    double psnr = 0.0;
    double ssim = 0.0;
};

// Both metrics with data_range taken from the reference's depth (255 or 65535).
QualityMetrics compareImages(const cv::Mat &reference, const cv::Mat &test);

// "inf" for infinity, otherwise fixed notation with `decimals` places.
std::string formatMetric(double value, int decimals = 4);
// Inverse of formatMetric; NaN for an empty or malformed field.
double parseMetric(const std::string &text);

} // namespace mri
