#include "SliceImage.h"

#include <opencv2/core.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <vector>

namespace studio::sliceimage {

QImage fromMat(const cv::Mat &slice)
{
    if (slice.empty() || slice.channels() != 1 || (slice.depth() != CV_8U && slice.depth() != CV_16U))
        return {};
    const bool sixteen = slice.depth() == CV_16U;
    QImage image(slice.cols, slice.rows, sixteen ? QImage::Format_Grayscale16 : QImage::Format_Grayscale8);
    if (image.isNull())
        return {};
    const std::size_t rowBytes = static_cast<std::size_t>(slice.cols) * slice.elemSize();
    for (int y = 0; y < slice.rows; ++y)
        std::memcpy(image.scanLine(y), slice.ptr(y), rowBytes);
    return image;
}

QImage applyWindow(const QImage &raw, double low, double high)
{
    if (raw.isNull())
        return {};
    const bool sixteen = raw.format() == QImage::Format_Grayscale16;
    const QImage source = (sixteen || raw.format() == QImage::Format_Grayscale8)
        ? raw
        : raw.convertToFormat(QImage::Format_Grayscale8);
    if (high <= low)
        high = low + 1.0;
    const int levels = sixteen ? 65536 : 256;
    std::vector<uchar> table(static_cast<std::size_t>(levels));
    const double scale = 255.0 / (high - low);
    for (int v = 0; v < levels; ++v)
        table[static_cast<std::size_t>(v)] = static_cast<uchar>(std::clamp((v - low) * scale + 0.5, 0.0, 255.0));

    QImage out(source.width(), source.height(), QImage::Format_Grayscale8);
    for (int y = 0; y < source.height(); ++y) {
        uchar *target = out.scanLine(y);
        if (sixteen) {
            const auto *line = reinterpret_cast<const quint16 *>(source.constScanLine(y));
            for (int x = 0; x < source.width(); ++x)
                target[x] = table[line[x]];
        } else {
            const uchar *line = source.constScanLine(y);
            for (int x = 0; x < source.width(); ++x)
                target[x] = table[line[x]];
        }
    }
    return out;
}

int pixelValue(const QImage &raw, int x, int y)
{
    if (raw.isNull() || x < 0 || y < 0 || x >= raw.width() || y >= raw.height())
        return -1;
    if (raw.format() == QImage::Format_Grayscale16)
        return reinterpret_cast<const quint16 *>(raw.constScanLine(y))[x];
    if (raw.format() == QImage::Format_Grayscale8)
        return raw.constScanLine(y)[x];
    return qGray(raw.pixel(x, y));
}

std::pair<int, int> robustRange(const cv::Mat &slice, double lowFraction, double highFraction)
{
    if (slice.empty() || slice.channels() != 1)
        return {0, 255};
    const bool sixteen = slice.depth() == CV_16U;
    const int levels = sixteen ? 65536 : 256;
    std::vector<std::size_t> histogram(static_cast<std::size_t>(levels), 0);
    for (int y = 0; y < slice.rows; ++y) {
        if (sixteen) {
            const auto *line = slice.ptr<quint16>(y);
            for (int x = 0; x < slice.cols; ++x)
                ++histogram[line[x]];
        } else {
            const auto *line = slice.ptr<uchar>(y);
            for (int x = 0; x < slice.cols; ++x)
                ++histogram[line[x]];
        }
    }
    const double total = static_cast<double>(slice.total());
    auto valueAt = [&](double fraction) {
        const double wanted = std::clamp(fraction, 0.0, 1.0) * total;
        double seen = 0.0;
        for (int v = 0; v < levels; ++v) {
            seen += static_cast<double>(histogram[static_cast<std::size_t>(v)]);
            if (seen >= wanted && seen > 0.0)
                return v;
        }
        return levels - 1;
    };
    int low = valueAt(lowFraction);
    int high = valueAt(highFraction);
    if (high <= low) {
        double minimum = 0.0;
        double maximum = 0.0;
        cv::minMaxLoc(slice, &minimum, &maximum);
        low = static_cast<int>(minimum);
        high = std::max(low + 1, static_cast<int>(maximum));
    }
    return {low, high};
}

int maximumValueOf(const QImage &raw)
{
    return raw.format() == QImage::Format_Grayscale16 ? 65535 : 255;
}

VolumeEncoding volumeEncodingOf(const mri::ScanVolume &volume, bool inverted)
{
    double minimum = 0.0;
    double maximum = 0.0;
    bool first = true;
    bool integral = true;
    for (const float value : volume.voxels) {
        if (!std::isfinite(value))
            continue;
        if (first || value < minimum)
            minimum = value;
        if (first || value > maximum)
            maximum = value;
        first = false;
        integral = integral && value == std::round(value);
    }
    const double span = maximum - minimum;
    double magnitude = integral && span <= 65535.0 ? 1.0 : span / 65535.0;
    if (magnitude <= 0.0)
        magnitude = 1.0;
    VolumeEncoding encoding;
    encoding.scale = inverted ? -magnitude : magnitude;
    encoding.offset = inverted ? maximum : minimum;
    encoding.maximumPixel = std::max(1, static_cast<int>(std::lround(span / magnitude)));
    return encoding;
}

cv::Mat encodeSlice(const cv::Mat &values, const VolumeEncoding &encoding)
{
    cv::Mat pixels;
    values.convertTo(pixels, CV_16U, 1.0 / encoding.scale, -encoding.offset / encoding.scale);
    return pixels;
}

std::pair<int, int> windowInPixels(const mri::DisplayWindow &window, const VolumeEncoding &encoding)
{
    const double a = (window.low - encoding.offset) / encoding.scale;
    const double b = (window.high - encoding.offset) / encoding.scale;
    const int low = std::clamp(static_cast<int>(std::lround(std::min(a, b))), 0, encoding.maximumPixel - 1);
    const int high = std::clamp(static_cast<int>(std::lround(std::max(a, b))), low + 1, encoding.maximumPixel);
    return {low, high};
}

} // namespace studio::sliceimage
