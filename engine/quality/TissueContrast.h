#pragma once

#include "io/ScanVolume.h"

#include <opencv2/core/mat.hpp>

#include <cstddef>
#include <vector>

namespace mri {

// Contrast-to-noise ratio between two tissue classes, as radiology uses it:
//   CNR = |mean_A - mean_B| / sqrt((var_A + var_B) / 2)
// with the sample variances (n - 1) of the image's values inside each mask.
// Any single-channel depth; masks CV_8UC1 of the image's size (non-zero:
// inside). NaN pixels are left out. NaN when a mask holds fewer than two
// pixels; +infinity when both classes are noise-free and differ; 0 when both
// are noise-free and equal.
double contrastToNoiseRatio(const cv::Mat &image, const cv::Mat &maskA, const cv::Mat &maskB);

// The tissue classes of a clean slice (or a sample of a volume's voxels).
// Foreground: finite values above a tenth of the 99th percentile of the finite
// values (background and air are dark in every MR contrast of the brain; a
// fixed fraction keeps dark CSF in, which Otsu's threshold would cut).
// The foreground is clustered into three classes by 1-D k-means (Lloyd, on
// a 4096-bin histogram of the foreground with each bin's exact sum, so a
// boundary is resolved to 1/4096 of the foreground's range), deterministic:
// the centres start at its 1/6, 1/2 and 5/6 quantiles. Classes
// ordered by mean: darkest CSF, middle grey matter, brightest white matter
// (T1 order; in a T2 image "white" is the brightest class, i.e. CSF).
struct TissueMasks
{
    cv::Mat csf, grey, white;         // CV_8UC1, 255 inside
    double foregroundThreshold = 0.0; // values above it are foreground
    double centres[3] = {0.0, 0.0, 0.0};
    bool found = false;               // false: a blank or constant slice, or a class of fewer than 2 pixels
};
TissueMasks classifyTissue(const cv::Mat &clean);

// Grey/white CNR of `image` with the classes of `cleanReference` (same size);
// NaN when classifyTissue(cleanReference) finds no classes (a blank slice).
double greyWhiteCnr(const cv::Mat &image, const cv::Mat &cleanReference);

constexpr std::size_t kMaxCnrSamples = std::size_t(1) << 22;

// Volumes: the classes from all voxels of the reference (every frame),
// subsampled with a fixed stride to at most maxSamples voxels.
// sampleVoxels gives that sample (1 x n, CV_32FC1; the same voxels for two
// volumes of one size).
cv::Mat sampleVoxels(const ScanVolume &volume, std::size_t maxSamples = kMaxCnrSamples);
double greyWhiteCnr(const ScanVolume &image, const ScanVolume &cleanReference);
// A set of slices (each image slice with the reference slice of its size).
double greyWhiteCnr(const std::vector<cv::Mat> &slices, const std::vector<cv::Mat> &cleanSlices);

} // namespace mri
