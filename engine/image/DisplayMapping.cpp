#include "image/DisplayMapping.h"

#include "base/EngineError.h"

#include <opencv2/core.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
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

namespace {

// Millimetres as people write them: "2", "0.5", "0.667".
std::string millimetres(double value)
{
    char text[32];
    std::snprintf(text, sizeof text, "%.3f", value);
    std::string out = text;
    while (!out.empty() && out.back() == '0')
        out.pop_back();
    if (!out.empty() && out.back() == '.')
        out.pop_back();
    return out + " mm";
}

// The inverse of voxelToPatient's 3x3 part and its translation; false when singular.
bool patientToVoxel(const ScanVolume &volume, std::array<std::array<double, 3>, 3> &inverse)
{
    const auto &m = volume.voxelToPatient;
    const double det = m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0])
        + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]);
    if (!std::isfinite(det) || std::abs(det) < 1e-12)
        return false;
    inverse[0][0] = (m[1][1] * m[2][2] - m[1][2] * m[2][1]) / det;
    inverse[0][1] = (m[0][2] * m[2][1] - m[0][1] * m[2][2]) / det;
    inverse[0][2] = (m[0][1] * m[1][2] - m[0][2] * m[1][1]) / det;
    inverse[1][0] = (m[1][2] * m[2][0] - m[1][0] * m[2][2]) / det;
    inverse[1][1] = (m[0][0] * m[2][2] - m[0][2] * m[2][0]) / det;
    inverse[1][2] = (m[0][2] * m[1][0] - m[0][0] * m[1][2]) / det;
    inverse[2][0] = (m[1][0] * m[2][1] - m[1][1] * m[2][0]) / det;
    inverse[2][1] = (m[0][1] * m[2][0] - m[0][0] * m[2][1]) / det;
    inverse[2][2] = (m[0][0] * m[1][1] - m[0][1] * m[1][0]) / det;
    return true;
}

} // namespace

SliceAxes sliceAxesOf(const ScanVolume &volume, SlicePlane plane)
{
    // A plane's rows run along the normal of another plane and so do its columns:
    // axial rows are anterior (the coronal normal), coronal and sagittal rows
    // superior (the axial normal), axial and coronal columns right (the sagittal
    // normal), sagittal columns anterior.
    SliceAxes axes;
    axes.slice = sliceAxisOf(volume, plane);
    switch (plane) {
    case SlicePlane::Axial:
        axes.rows = sliceAxisOf(volume, SlicePlane::Coronal);
        axes.columns = sliceAxisOf(volume, SlicePlane::Sagittal);
        break;
    case SlicePlane::Coronal:
        axes.rows = sliceAxisOf(volume, SlicePlane::Axial);
        axes.columns = sliceAxisOf(volume, SlicePlane::Sagittal);
        break;
    case SlicePlane::Sagittal:
        axes.rows = sliceAxisOf(volume, SlicePlane::Axial);
        axes.columns = sliceAxisOf(volume, SlicePlane::Coronal);
        break;
    }
    return axes;
}

PixelSize slicePixelSizeOf(const ScanVolume &volume, SlicePlane plane)
{
    const auto axes = sliceAxesOf(volume, plane);
    const auto positive = [](double value) { return std::isfinite(value) && value > 0.0 ? value : 1.0; };
    return {positive(volume.spacing[static_cast<std::size_t>(axes.columns)]),
            positive(volume.spacing[static_cast<std::size_t>(axes.rows)])};
}

int matchingSliceOf(const ScanVolume &from, SlicePlane plane, int slice, const ScanVolume &to)
{
    const int fromAxis = sliceAxisOf(from, plane);
    const int toAxis = sliceAxisOf(to, plane);
    const int fromCount = from.size[static_cast<std::size_t>(fromAxis)];
    const int toCount = to.size[static_cast<std::size_t>(toAxis)];
    if (toCount <= 0)
        return 0;
    slice = std::clamp(slice, 0, std::max(0, fromCount - 1));
    // extractSlice() counts slices against a reversed array axis from its far end.
    const bool fromReversed = from.orientation[static_cast<std::size_t>(fromAxis)].sign < 0;
    const bool toReversed = to.orientation[static_cast<std::size_t>(toAxis)].sign < 0;
    std::array<double, 3> index{(from.size[0] - 1) / 2.0, (from.size[1] - 1) / 2.0, (from.size[2] - 1) / 2.0};
    index[static_cast<std::size_t>(fromAxis)] = fromReversed ? fromCount - 1 - slice : slice;
    std::array<double, 3> position{};
    for (std::size_t r = 0; r < 3; ++r) {
        const auto &row = from.voxelToPatient[r];
        position[r] = row[0] * index[0] + row[1] * index[1] + row[2] * index[2] + row[3];
    }
    double target = 0.0;
    std::array<std::array<double, 3>, 3> inverse{};
    if (patientToVoxel(to, inverse)) {
        const auto axis = static_cast<std::size_t>(toAxis);
        for (std::size_t c = 0; c < 3; ++c)
            target += inverse[axis][c] * (position[c] - to.voxelToPatient[c][3]);
    } else {
        // No usable geometry: the same fraction of the extent.
        const double arrayIndex = index[static_cast<std::size_t>(fromAxis)];
        target = (arrayIndex + 0.5) * toCount / std::max(1, fromCount) - 0.5;
    }
    int found = std::clamp(static_cast<int>(std::lround(target)), 0, toCount - 1);
    return toReversed ? toCount - 1 - found : found;
}

GridRefinement gridRefinementOf(const ScanVolume &original, const ScanVolume &enhanced)
{
    const auto mismatch = [&] {
        return EngineError("The enhanced volume '" + enhanced.source.string() + "' does not have the size of '"
                           + original.source.string() + "', nor a grid finer along one axis.");
    };
    if (enhanced.size[3] != original.size[3])
        throw mismatch();
    GridRefinement refinement;
    for (int axis = 0; axis < 3; ++axis) {
        const auto a = static_cast<std::size_t>(axis);
        if (enhanced.size[a] == original.size[a])
            continue;
        const double ratio = enhanced.spacing[a] > 0.0 ? original.spacing[a] / enhanced.spacing[a] : 0.0;
        const int factor = static_cast<int>(std::lround(ratio));
        // A finer grid covers the same extent: n * F samples, give or take the partial group degrading drops.
        if (refinement.axis >= 0 || factor < 2 || std::abs(ratio - factor) > 0.01 * factor
            || std::abs(enhanced.size[a] - original.size[a] * factor) >= factor)
            throw mismatch();
        refinement.axis = axis;
        refinement.factor = factor;
    }
    return refinement;
}

std::string refinementNote(const ScanVolume &original, const GridRefinement &refinement)
{
    if (refinement.factor <= 1 || refinement.axis < 0 || refinement.axis > 2)
        return {};
    static const char *const names[] = {"x", "y", "z"};
    const double before = original.spacing[static_cast<std::size_t>(refinement.axis)];
    return "\xC3\x97" + std::to_string(refinement.factor) + " through-plane (" + names[refinement.axis]
        + "): " + millimetres(before) + " \xE2\x86\x92 " + millimetres(before / refinement.factor);
}

} // namespace mri
