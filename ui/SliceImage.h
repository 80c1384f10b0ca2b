#pragma once

// Conversions between the engine's slices (cv::Mat, CV_8UC1 or CV_16UC1) and
// what the widgets display. Display only: no engine logic lives here.

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

} // namespace studio::sliceimage
