#include "quality/Metrics.h"

#include "base/EngineError.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <string_view>

namespace mri {

namespace {

// scikit-image's defaults for structural_similarity.
constexpr int kWindow = 7;
constexpr double kK1 = 0.01;
constexpr double kK2 = 0.03;

void checkPair(const cv::Mat &reference, const cv::Mat &test, const char *metric)
{
    if (reference.empty() || test.empty())
        throw EngineError(std::string("Cannot compute ") + metric + " of an empty image.");
    if (reference.channels() != 1 || test.channels() != 1)
        throw EngineError(std::string("Cannot compute ") + metric + " of a multi-channel image; convert it to grayscale first.");
    if (reference.size() != test.size())
        throw EngineError(std::string("Cannot compute ") + metric + ": the images differ in size ("
                          + std::to_string(reference.cols) + "x" + std::to_string(reference.rows) + " and "
                          + std::to_string(test.cols) + "x" + std::to_string(test.rows) + ").");
}

cv::Mat toDouble(const cv::Mat &image)
{
    cv::Mat result;
    image.convertTo(result, CV_64F);
    return result;
}

// scipy.ndimage.uniform_filter(size=7, mode='reflect'): scipy's 'reflect'
// repeats the edge sample (d c b a | a b c d), which is OpenCV's BORDER_REFLECT.
cv::Mat uniformFilter(const cv::Mat &image)
{
    cv::Mat result;
    cv::boxFilter(image, result, CV_64F, cv::Size(kWindow, kWindow), cv::Point(-1, -1), true, cv::BORDER_REFLECT);
    return result;
}

} // namespace

double peakSignalNoiseRatio(const cv::Mat &reference, const cv::Mat &test, double dataRange)
{
    checkPair(reference, test, "PSNR");
    // Row by row: memory stays a row's worth at any image size.
    cv::Mat x;
    cv::Mat y;
    double sum = 0.0;
    for (int r = 0; r < reference.rows; ++r) {
        reference.row(r).convertTo(x, CV_64F);
        test.row(r).convertTo(y, CV_64F);
        const double *px = x.ptr<double>();
        const double *py = y.ptr<double>();
        double rowSum = 0.0;
        for (int c = 0; c < reference.cols; ++c)
            rowSum += (px[c] - py[c]) * (px[c] - py[c]);
        sum += rowSum;
    }
    const double mse = sum / (static_cast<double>(reference.rows) * reference.cols);
    if (mse == 0.0)
        return std::numeric_limits<double>::infinity();
    return 10.0 * std::log10(dataRange * dataRange / mse);
}

double structuralSimilarity(const cv::Mat &reference, const cv::Mat &test, double dataRange)
{
    checkPair(reference, test, "SSIM");
    if (reference.rows < kWindow || reference.cols < kWindow)
        throw EngineError("Cannot compute SSIM of an image smaller than 7x7 pixels ("
                          + std::to_string(reference.cols) + "x" + std::to_string(reference.rows) + ").");

    constexpr double np = kWindow * kWindow;
    constexpr double covNorm = np / (np - 1.0); // sample covariance
    const double c1 = (kK1 * dataRange) * (kK1 * dataRange);
    const double c2 = (kK2 * dataRange) * (kK2 * dataRange);

    // Mean of the SSIM map without the 3-pixel border the window reaches past.
    // Those interior pixels' windows never leave the image, so the map is
    // computed in bands of rows (with the window's reach above and below):
    // the same values as the whole image at a band's memory.
    constexpr int pad = (kWindow - 1) / 2;
    constexpr int kBandRows = 256;
    double sum = 0.0;
    for (int first = pad; first < reference.rows - pad; first += kBandRows) {
        const int last = std::min(first + kBandRows, reference.rows - pad); // output rows [first, last)
        const cv::Range rows(first - pad, last + pad);
        const cv::Mat x = toDouble(reference.rowRange(rows));
        const cv::Mat y = toDouble(test.rowRange(rows));
        const cv::Mat ux = uniformFilter(x);
        const cv::Mat uy = uniformFilter(y);
        const cv::Mat uxx = uniformFilter(x.mul(x));
        const cv::Mat uyy = uniformFilter(y.mul(y));
        const cv::Mat uxy = uniformFilter(x.mul(y));
        for (int r = pad; r < x.rows - pad; ++r) {
            const double *pux = ux.ptr<double>(r);
            const double *puy = uy.ptr<double>(r);
            const double *puxx = uxx.ptr<double>(r);
            const double *puyy = uyy.ptr<double>(r);
            const double *puxy = uxy.ptr<double>(r);
            for (int c = pad; c < x.cols - pad; ++c) {
                const double mx = pux[c];
                const double my = puy[c];
                const double vx = covNorm * (puxx[c] - mx * mx);
                const double vy = covNorm * (puyy[c] - my * my);
                const double vxy = covNorm * (puxy[c] - mx * my);
                const double a1 = 2.0 * mx * my + c1;
                const double a2 = 2.0 * vxy + c2;
                const double b1 = mx * mx + my * my + c1;
                const double b2 = vx + vy + c2;
                sum += (a1 * a2) / (b1 * b2);
            }
        }
    }
    const double count = static_cast<double>(reference.rows - 2 * pad) * (reference.cols - 2 * pad);
    return sum / count;
}

QualityMetrics compareImages(const cv::Mat &reference, const cv::Mat &test)
{
    double dataRange = 0.0;
    switch (reference.depth()) {
    case CV_8U: dataRange = 255.0; break;
    case CV_16U: dataRange = 65535.0; break;
    default: throw EngineError("Cannot compare images that are not 8- or 16-bit.");
    }
    if (test.depth() != reference.depth())
        throw EngineError("Cannot compare images of different bit depths.");
    return {peakSignalNoiseRatio(reference, test, dataRange), structuralSimilarity(reference, test, dataRange)};
}

std::string formatMetric(double value, int decimals)
{
    if (std::isnan(value))
        return "nan";
    if (std::isinf(value))
        return value > 0 ? "inf" : "-inf";
    // to_chars ignores the C locale, which Qt sets from the environment (a decimal comma would break CSVs).
    // 400 characters hold any double in fixed notation with up to 17 decimals.
    char buffer[400];
    const auto result = std::to_chars(buffer, buffer + sizeof buffer, value, std::chars_format::fixed,
                                      std::clamp(decimals, 0, 17));
    return std::string(buffer, result.ptr);
}

double parseMetric(const std::string &text)
{
    const double nan = std::numeric_limits<double>::quiet_NaN();
    const auto first = text.find_first_not_of(" \t");
    if (first == std::string::npos)
        return nan;
    const auto last = text.find_last_not_of(" \t");
    std::string_view field(text.data() + first, last - first + 1);
    if (field == "inf" || field == "+inf")
        return std::numeric_limits<double>::infinity();
    if (field == "-inf")
        return -std::numeric_limits<double>::infinity();
    if (field.front() == '+') {
        field.remove_prefix(1);
        if (field.empty() || field.front() == '-')
            return nan;
    }
    // from_chars is locale-independent; it also reads "nan", and "infinity" only in full.
    double value = nan;
    const auto result = std::from_chars(field.data(), field.data() + field.size(), value);
    if (result.ec != std::errc() || result.ptr != field.data() + field.size())
        return nan;
    return value;
}

} // namespace mri
