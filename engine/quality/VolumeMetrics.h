#pragma once

#include "quality/Metrics.h"

#include <array>
#include <cstddef>

namespace mri {

struct ScanVolume;

// PSNR and SSIM of volumes as scikit-image's peak_signal_noise_ratio and
// structural_similarity compute them on the 3-D arrays with default arguments
// and data_range given: SSIM with a 7x7x7 uniform window, K1 = 0.01,
// K2 = 0.03, sample covariance, mean over the volume after cropping 3 voxels
// at every face. Arrays are x fastest, then y, then z. A volume thinner than
// the window in any direction (scikit-image refuses it) gets the mean of its
// slices' 2-D SSIM. PSNR of identical volumes is +infinity.
double volumePeakSignalNoiseRatio(const float *reference, const float *test, std::size_t count, double dataRange);
double volumeStructuralSimilarity(const float *reference, const float *test, const std::array<int, 3> &size,
                                  double dataRange);

// Both, with data_range = reference.dataRange. 4-D scans: PSNR over every
// voxel, SSIM the mean of each volume's. Throws EngineError when the sizes differ.
QualityMetrics compareVolumes(const ScanVolume &reference, const ScanVolume &test);

} // namespace mri
