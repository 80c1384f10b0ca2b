#pragma once

// The degradation model of super-resolution and the interpolation it is
// compared with, along one axis of an image or a volume.
//
// A thick sample k of factor F stands for the fine samples kF .. kF + F - 1:
// its centre lies at fine position kF + (F - 1) / 2. Degrading keeps floor(n / F)
// samples (a trailing partial group is dropped); up-sampling a length-m axis
// to n samples places fine sample j at thick position (j - (F - 1) / 2) / F,
// so that the two grids overlay as an acquisition's would.

#include "image/SliceProfile.h"
#include "io/ScanVolume.h"

#include <opencv2/core/mat.hpp>

namespace mri {

// Image axes: 0 = x (columns), 1 = y (rows). Volume axes: 0 = x, 1 = y, 2 = z.

// F fine samples to one along `axis` (CV_32FC1 in and out; floor(n / F) samples).
cv::Mat degradeAlongAxis(const cv::Mat &image, int axis, int factor, SliceProfile profile);
// Both image axes (in-plane).
cv::Mat degradeInPlane(const cv::Mat &image, int factor, SliceProfile profile);

// The factor F of a picture enhanced on a grid F times finer in both axes
// (in-plane super-resolution): `stated` when > 1 (a metrics CSV's scale),
// else the sides' ratio; 1 for the same size; 0 when the sizes fit neither.
int inPlaneScaleOf(cv::Size original, cv::Size enhanced, int stated = 0);

// Cubic B-spline interpolation (Unser's prefilter, mirror boundaries, as
// scipy.ndimage's order 3 with mode "mirror"), to `length` samples along `axis`.
// Exact at the thick samples' centres (odd F).
cv::Mat bsplineUpsampleAlongAxis(const cv::Mat &image, int axis, int factor, int length);
// Both image axes, to `size`.
cv::Mat bsplineUpsampleInPlane(const cv::Mat &image, int factor, cv::Size size);

// Each sample repeated F times along `axis`: the exact right inverse of area
// degradation, degradeAlongAxis(replicateAlongAxis(x), Area) == x.
cv::Mat replicateAlongAxis(const cv::Mat &image, int axis, int factor);

// Volumes: every frame along array axis `axis`; spacing and voxelToPatient
// follow, so that the result overlays the input in patient space. Voxels
// without a value (NaN) count as 0.
ScanVolume degradeVolumeAlongAxis(const ScanVolume &volume, int axis, int factor, SliceProfile profile);
ScanVolume bsplineUpsampleVolumeAlongAxis(const ScanVolume &volume, int axis, int factor, int length);

// The 2-D array slices of a volume across array axis `across` (0, 1, 2) at
// `index`: rows run along the higher of the two other axes, columns along the
// lower (across z: rows y, columns x). CV_32FC1 of the voxels' values.
cv::Mat arraySlice(const ScanVolume &volume, int across, int index, int frame = 0);
void insertArraySlice(ScanVolume &volume, int across, int index, int frame, const cv::Mat &values);

// The array axis along which a volume's voxels are largest (its slice
// thickness), the first one on ties.
int thickestAxisOf(const ScanVolume &volume);

} // namespace mri
