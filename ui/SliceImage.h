#pragma once

// Conversions between the engine's slices (cv::Mat, CV_8UC1 or CV_16UC1) and
// what the widgets display. Display only: no engine logic lives here.

#include "image/DisplayMapping.h"
#include "io/ScanVolume.h"

#include <opencv2/core/mat.hpp>

#include <QImage>

#include <utility>

namespace studio::sliceimage {

// Deep copy of a CV_8UC1 or CV_16UC1 slice as Format_Grayscale8 or
// Format_Grayscale16 with the stored pixel values. Other types: a null image.
QImage fromMat(const cv::Mat &slice);

// Window/level: maps [low, high] of the raw values linearly onto 0..255 (values
// outside are clipped). Works for 8- and 16-bit raw images; the result is
// Format_Grayscale8.
QImage applyWindow(const QImage &raw, double low, double high);

// Raw value at (x, y) of a Grayscale8/Grayscale16 image; -1 outside.
int pixelValue(const QImage &raw, int x, int y);

// The values below which `lowFraction` and `highFraction` of the pixels lie
// (histogram percentiles), e.g. 0.005 and 0.995 for a robust display range.
// high > low is guaranteed for a non-empty image.
std::pair<int, int> robustRange(const cv::Mat &slice, double lowFraction, double highFraction);

// 255 for 8-bit, 65535 for 16-bit images.
int maximumValueOf(const QImage &raw);

// How a volume's values (float voxels) become 16-bit pixels for display, one
// mapping per volume: voxel = offset + scale * pixel. Integer voxels spanning
// at most 65536 values map exactly (scale ±1); others spread over 0..65535.
// An inverted window (MONOCHROME1) runs from the maximum down (scale < 0), so
// that a window on the pixels shows it inverted.
struct VolumeEncoding
{
    double offset = 0.0;
    double scale = 1.0;
    int maximumPixel = 1; // the pixel of the volume's far end
};
VolumeEncoding volumeEncodingOf(const mri::ScanVolume &volume, bool inverted);

// A slice of voxel values (CV_32FC1) as CV_16UC1 pixels (rounded, saturated).
cv::Mat encodeSlice(const cv::Mat &values, const VolumeEncoding &encoding);

// The engine's display window in pixels: [low, high] within 0..maximumPixel, high > low.
std::pair<int, int> windowInPixels(const mri::DisplayWindow &window, const VolumeEncoding &encoding);

} // namespace studio::sliceimage
