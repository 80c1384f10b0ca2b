#include "NoiseFloor.h"

#include "EngineError.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <vector>

namespace mri {

namespace {

constexpr double kRayleighMedianFactor = 1.1774100225154747; // sqrt(2 ln 2)
constexpr double kTableStep = 0.01;                          // of A / sigma
constexpr double kTableEnd = 30.0;                           // beyond: E[M]^2 ~ A^2 + sigma^2

// E[M] / sigma for A / sigma = i * kTableStep, from the Laguerre form with
// exponentially scaled Bessel functions so that nothing overflows.
const std::vector<double> &riceMeanTable()
{
    static const std::vector<double> table = [] {
        std::vector<double> values;
        for (double snr = 0.0; snr <= kTableEnd + 1e-9; snr += kTableStep) {
            const double z = snr * snr / 4.0; // -x / 2 with x = -snr^2 / 2
            const double i0 = std::cyl_bessel_i(0.0, z) * std::exp(-z);
            const double i1 = std::cyl_bessel_i(1.0, z) * std::exp(-z);
            const double laguerre = (1.0 + 2.0 * z) * i0 + 2.0 * z * i1;
            values.push_back(std::sqrt(M_PI / 2.0) * laguerre);
        }
        return values;
    }();
    return table;
}

double signalFromMean(double meanOverSigma)
{
    const auto &table = riceMeanTable();
    if (meanOverSigma <= table.front())
        return 0.0;
    if (meanOverSigma >= table.back())
        return std::sqrt(meanOverSigma * meanOverSigma - 1.0);
    const auto upper = std::upper_bound(table.begin(), table.end(), meanOverSigma);
    const auto index = static_cast<std::size_t>(upper - table.begin());
    const double low = table[index - 1];
    const double high = table[index];
    return ((index - 1) + (meanOverSigma - low) / (high - low)) * kTableStep;
}

double laplacianSigma(const cv::Mat &image)
{
    // Immerkaer (1996): sigma = sqrt(pi/2) / (6 (W-2)(H-2)) * sum |I * N|.
    const cv::Mat kernel = (cv::Mat_<float>(3, 3) << 1, -2, 1, -2, 4, -2, 1, -2, 1);
    cv::Mat response;
    cv::filter2D(image, response, CV_32F, kernel);
    const cv::Rect inner(1, 1, image.cols - 2, image.rows - 2);
    return std::sqrt(M_PI / 2.0) * cv::sum(cv::abs(response(inner)))[0] / (6.0 * inner.area());
}

} // namespace

double estimateRicianSigma(const cv::Mat &magnitude)
{
    if (magnitude.empty() || magnitude.type() != CV_32FC1)
        throw EngineError("Noise estimation needs a non-empty single-channel float image.");
    if (magnitude.rows < 16 || magnitude.cols < 16)
        return magnitude.rows >= 3 && magnitude.cols >= 3 ? laplacianSigma(magnitude) : 0.0;

    cv::Mat localMean;
    cv::blur(magnitude, localMean, cv::Size(7, 7), cv::Point(-1, -1), cv::BORDER_REFLECT);
    double low = 0.0;
    double high = 0.0;
    cv::minMaxLoc(localMean, &low, &high);
    if (high <= low)
        return 0.0;
    cv::Mat scaled;
    localMean.convertTo(scaled, CV_8U, 255.0 / (high - low), -low * 255.0 / (high - low));
    cv::Mat background;
    cv::threshold(scaled, background, 0, 255, cv::THRESH_BINARY_INV | cv::THRESH_OTSU);
    cv::erode(background, background, cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(9, 9)));

    std::vector<float> values;
    values.reserve(static_cast<std::size_t>(cv::countNonZero(background)));
    for (int y = 0; y < magnitude.rows; ++y) {
        const auto *mask = background.ptr<unsigned char>(y);
        const auto *pixel = magnitude.ptr<float>(y);
        for (int x = 0; x < magnitude.cols; ++x) {
            if (mask[x])
                values.push_back(pixel[x]);
        }
    }
    // Too little background (a slice filled by tissue): use the whole image.
    if (values.size() < std::max<std::size_t>(256, magnitude.total() / 50))
        return laplacianSigma(magnitude);
    const auto middle = values.begin() + static_cast<std::ptrdiff_t>(values.size() / 2);
    std::nth_element(values.begin(), middle, values.end());
    return *middle / kRayleighMedianFactor;
}

cv::Mat removeRicianBias(const cv::Mat &expectedMagnitude, double sigma)
{
    if (expectedMagnitude.type() != CV_32FC1)
        throw EngineError("Noise floor removal needs a single-channel float image.");
    cv::Mat signal = expectedMagnitude.clone();
    if (!(sigma > 0.0))
        return signal;
    signal.forEach<float>([sigma](float &value, const int *) {
        value = static_cast<float>(sigma * signalFromMean(std::max(0.0f, value) / sigma));
    });
    return signal;
}

} // namespace mri
