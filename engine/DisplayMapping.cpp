#include "DisplayMapping.h"

#include <opencv2/core.hpp>

#include <algorithm>
#include <cmath>
#include <utility>

namespace mri {

cv::Mat mapToEightBit(const cv::Mat &slice, double low, double high)
{
    cv::Mat eight;
    const double scale = high > low ? 255.0 / (high - low) : 1.0; // convertTo saturates
    slice.convertTo(eight, CV_8U, scale, -low * scale);
    return eight;
}

double percentileOf(const std::vector<float> &values, double fraction, std::size_t maximumSamples)
{
    const std::size_t stride = std::max<std::size_t>(1, (values.size() + maximumSamples - 1) / std::max<std::size_t>(1, maximumSamples));
    std::vector<float> sample;
    sample.reserve(values.size() / stride + 1);
    for (std::size_t i = 0; i < values.size(); i += stride) {
        if (std::isfinite(values[i]))
            sample.push_back(values[i]);
    }
    if (sample.empty())
        return 0.0;
    const double position = std::clamp(fraction, 0.0, 1.0) * static_cast<double>(sample.size() - 1);
    const auto below = static_cast<std::size_t>(std::floor(position));
    std::nth_element(sample.begin(), sample.begin() + static_cast<std::ptrdiff_t>(below), sample.end());
    const double lowValue = sample[below];
    if (below + 1 >= sample.size())
        return lowValue;
    // The next rank is the smallest value above `below` after nth_element.
    const double highValue = *std::min_element(sample.begin() + static_cast<std::ptrdiff_t>(below) + 1, sample.end());
    return lowValue + (position - static_cast<double>(below)) * (highValue - lowValue);
}

DisplayWindow displayWindowOf(const ScanVolume &volume)
{
    DisplayWindow window;
    window.inverted = volume.monochrome1;
    if (volume.windowWidth > 0.0) {
        // The window is given in the scanner's units: value = stored * slope + intercept.
        const double slope = volume.rescaleSlope != 0.0 ? volume.rescaleSlope : 1.0;
        double low = (volume.windowCenter - volume.windowWidth / 2.0 - volume.rescaleIntercept) / slope;
        double high = (volume.windowCenter + volume.windowWidth / 2.0 - volume.rescaleIntercept) / slope;
        if (low > high)
            std::swap(low, high); // a negative slope turns the window round
        window.low = low;
        window.high = high > low ? high : low + 1.0;
        return window;
    }
    window.low = percentileOf(volume.voxels, 0.005);
    window.high = percentileOf(volume.voxels, 0.995);
    if (!(window.high > window.low))
        window.high = window.low + 1.0; // a constant volume shows grey-free black
    return window;
}

cv::Mat mapToEightBit(const cv::Mat &slice, const DisplayWindow &window)
{
    cv::Mat eight = mapToEightBit(slice, window.low, window.high);
    if (window.inverted)
        cv::subtract(cv::Scalar::all(255), eight, eight);
    return eight;
}

cv::Mat volumeSliceForDisplay(const ScanVolume &volume, SlicePlane plane, int slice, const DisplayWindow &window, int frame)
{
    return mapToEightBit(extractSlice(volume, plane, slice, frame), window);
}

} // namespace mri
