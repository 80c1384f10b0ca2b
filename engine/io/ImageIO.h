#pragma once

#include <opencv2/core/mat.hpp>

#include <filesystem>
#include <string>
#include <vector>

namespace mri {

// Largest slice accepted: bounded so a corrupt or hostile header cannot make
// us allocate gigabytes. 16384 x 16384 holds any real MRI slice.
inline constexpr int kMaxImageSide = 16384;

// Loads PNG, JPEG, BMP or TIFF, 8- or 16-bit, grayscale/RGB/RGBA, as one channel
// of CV_8UC1 or CV_16UC1 (colour is converted to luminance, alpha dropped).
// Throws EngineError naming the file for a missing, empty, truncated,
// undecodable or too large image.
cv::Mat loadGrayscaleImage(const std::filesystem::path &file);

// The same decoder on bytes already in memory (what loadGrayscaleImage uses
// after reading the file); `sourceName` names them in error sentences. The
// header must give sides of at most `largestSide` (the fuzzer lowers it so that
// every input decodes quickly; a decoder that allocates more is a finding).
cv::Mat decodeGrayscaleImage(const std::vector<unsigned char> &bytes, const std::string &sourceName,
                             int largestSide = kMaxImageSide);

// Writes an 8- or 16-bit single-channel image, or an 8-bit BGR figure (format
// by extension; use PNG to keep 16 bits) under a temporary name and renames it
// into place.
void saveImageAtomically(const std::filesystem::path &file, const cv::Mat &image);

// 255 for CV_8U, 65535 for CV_16U: the scale used for metrics and the network.
double dataRangeOf(const cv::Mat &image);

// CV_32FC1 in [0, 1] divided by dataRangeOf(), and back (rounded, saturated).
cv::Mat toUnitFloat(const cv::Mat &image);
cv::Mat fromUnitFloat(const cv::Mat &unit, int depth);

} // namespace mri
