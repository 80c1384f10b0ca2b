#pragma once

#include "io/ScanVolume.h"

#include <opencv2/core/mat.hpp>

#include <string>

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

// Slices on grids of different resolution (super-resolution): a volume shown
// next to its enhanced twin on a finer grid is matched by physical position.

// The array axes (0 = x, 1 = y, 2 = z) of `plane`'s slices as extractSlice()
// cuts them: the slice normal, the image rows (vertical) and columns.
struct SliceAxes
{
    int slice = 2;
    int rows = 1;
    int columns = 0;
};
SliceAxes sliceAxesOf(const ScanVolume &volume, SlicePlane plane);

// Millimetres per pixel of `plane`'s slices: across a column (width) and down a row (height).
struct PixelSize
{
    double width = 1.0;
    double height = 1.0;
};
PixelSize slicePixelSizeOf(const ScanVolume &volume, SlicePlane plane);

// The slice of `to` along `plane` whose centre lies nearest the centre of
// slice `slice` of `from` in patient space (voxelToPatient), clamped to `to`'s
// slices: how two overlaying grids of different spacing show the same anatomy.
int matchingSliceOf(const ScanVolume &from, SlicePlane plane, int slice, const ScanVolume &to);

// How an enhanced volume's grid relates to its original's: the same grid
// (factor 1, axis -1), or `factor` times finer along array axis `axis`
// (super-resolution: spacing / factor, about factor times the slices).
// Throws EngineError naming the enhanced file when it is neither.
struct GridRefinement
{
    int axis = -1;
    int factor = 1;
};
GridRefinement gridRefinementOf(const ScanVolume &original, const ScanVolume &enhanced);

// "×4 through-plane (z): 2 mm → 0.5 mm" for a refinement; empty for factor 1.
std::string refinementNote(const ScanVolume &original, const GridRefinement &refinement);

} // namespace mri
