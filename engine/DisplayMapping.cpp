#include "DisplayMapping.h"

namespace mri {

cv::Mat mapToEightBit(const cv::Mat &slice, double low, double high)
{
    cv::Mat eight;
    const double scale = high > low ? 255.0 / (high - low) : 1.0; // convertTo saturates
    slice.convertTo(eight, CV_8U, scale, -low * scale);
    return eight;
}

} // namespace mri
