#pragma once

#include "ScanVolume.h"

#include <opencv2/core/mat.hpp>

namespace mri {

// How a slice is shown on 8 bits, on screen and in figures: the intensity
// window [low, high] is stretched linearly onto 0..255 and saturated outside.
// Any depth in (8/16-bit, float), CV_8UC1 out. A pair of slices shown together
// uses the same window (the original's), so that they compare fairly.
cv::Mat mapToEightBit(const cv::Mat &slice, double low, double high);

// The initial display window of a volume, in voxel units (the stored values of
// ScanVolume::voxels): low is shown black and high white, or the reverse when
// `inverted` (DICOM MONOCHROME1, where a high value is dark).
struct DisplayWindow
{
    double low = 0.0;
    double high = 1.0;
    bool inverted = false;
};

// The DICOM WindowCenter/WindowWidth when the series gives one (converted from
// the scanner's units to stored values through RescaleSlope/Intercept), else
// the 0.5th and 99.5th percentiles of the volume's voxels (all frames; a large
// volume is sampled evenly). high > low always.
DisplayWindow displayWindowOf(const ScanVolume &volume);

// The percentile (0..1, linear interpolation between ranks as numpy's default)
// of the finite values; 0 for none. Sampled evenly above `maximumSamples`.
double percentileOf(const std::vector<float> &values, double fraction, std::size_t maximumSamples = 4u << 20);

// `slice` mapped through `window` onto 8 bits (inverted windows: 255 - value).
cv::Mat mapToEightBit(const cv::Mat &slice, const DisplayWindow &window);

// One slice of a volume as shown on screen and in figures (extractSlice's
// orientation, `window` as above), CV_8UC1.
cv::Mat volumeSliceForDisplay(const ScanVolume &volume, SlicePlane plane, int slice, const DisplayWindow &window,
                              int frame = 0);

} // namespace mri
