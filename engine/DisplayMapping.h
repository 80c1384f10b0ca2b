#pragma once

#include <opencv2/core/mat.hpp>

namespace mri {

// How a slice is shown on 8 bits, on screen and in figures: the intensity
// window [low, high] is stretched linearly onto 0..255 and saturated outside.
// Any depth in (8/16-bit, float), CV_8UC1 out. A pair of slices shown together
// uses the same window (the original's), so that they compare fairly.
cv::Mat mapToEightBit(const cv::Mat &slice, double low, double high);

} // namespace mri
