#pragma once

#include <opencv2/core/mat.hpp>

#include <string>
#include <vector>

namespace mri {

// The most neighbour slices on each side a network can take (the setting's range).
inline constexpr int kMostNeighbourSlices = 2;

// The input channels of a network with `neighbourSlices` = n slices on each
// side (2.5-D): n below (farthest first), the slice, n above (nearest first).
// `neighbours` are ordered the same way without the slice: k below, then k
// above (2k in all, any k). A network that wants more than given gets the
// farthest given one repeated; k = 0 (a picture, a single slice) repeats the
// slice itself; given more than it wants, it takes the nearest. The Mats are
// shared, not copied. Throws EngineError naming `what` when the count is odd
// or a neighbour differs from the slice in size or type.
std::vector<cv::Mat> inputChannelsOf(const cv::Mat &slice, const std::vector<cv::Mat> &neighbours, int neighbourSlices,
                                     const std::string &what);

// The neighbours of slices[index] for a network with `neighbourSlices` on each
// side, in the order above: slices[index - n] .. slices[index - 1], then
// slices[index + 1] .. slices[index + n], clamped to the first and last slice
// (a volume's end repeats its end slice). Shares the Mats; empty for n = 0.
std::vector<cv::Mat> neighboursOf(const std::vector<cv::Mat> &slices, int index, int neighbourSlices);

} // namespace mri
