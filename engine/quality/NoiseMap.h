#pragma once

#include "quality/NoiseFloor.h"

#include <opencv2/core/mat.hpp>

#include <vector>

namespace mri {

// Parallel imaging (SENSE, GRAPPA) leaves a noise level that varies smoothly
// over the field of view: sigma times the g-factor, 1 at the edges where the
// background is measured and up to 1.2-1.5 in the middle. One sigma then
// leaves a floor where g > 1 (INIA19, sense:2 at 10 %: tissue +3 %, air mean
// 22 of 255 where g >= 1.2). A NoiseMap is the relative level g(x) over the
// slices of one volume frame, estimated from the data (as MP-PCA and PIESNO
// do), here from the residual r = noisy - prediction of the network:
//   g(x)^2 = G * (r^2) / G * (sigma^2 v),
// with v the variance of M over sigma^2 that the model expects: central chi's
// in the background, non-central chi's at the signal the prediction implies in
// bright tissue (A > 3 sigma g). Fainter tissue is left out (there v moves
// steeply with the level, and the estimate fed back on itself), so are
// residuals beyond 6 standard deviations (the network's errors at edges). G is
// a Gaussian of 8 voxels over blocks of 4^3 voxels; two passes, the second with
// v at the level found; then scaled to a median of 1 over the background the
// pooled sigma was measured in, and kept within its 0.5th-99.5th percentile.
//
// The residual measures the noise only when the noise is independent between
// pixels: with correlated noise (zero-filling, interpolation) the network
// follows part of it in tissue but not in air, and the map came out 27 % low
// in tissue (INIA19, zerofill:2). The caller decides (EnhanceJob: the measured
// blind-spot radius is 0). A map that varies by less than 20 % (99.5th over
// 0.5th percentile) is flat: on volumes of one level it spanned 1.02 (INIA19)
// to 1.17 (Colin27's whole head, ghosts in its air), and applying it there
// cost 0.25 dB.
class NoiseMap
{
public:
    // Flat: 1 everywhere.
    NoiseMap() = default;

    // predictions and noisy: one frame's slices in order, CV_32FC1, one size,
    // in the units `pooled` was measured in (the network's unit range).
    // Flat when the slices are too large to hold a mask of (they are measured
    // on a sample), when there is no background or no sigma.
    static NoiseMap estimateVolume(const std::vector<cv::Mat> &predictions, const std::vector<cv::Mat> &noisy,
                                   const FloorMeasure &pooled);

    bool flat() const { return m_levels.empty(); }
    // The lowest and highest relative level over the blocks that held data.
    double minimum() const { return m_minimum; }
    double maximum() const { return m_maximum; }
    // The relative level at every pixel of slice `index` (CV_32FC1 of `size`);
    // empty when flat.
    cv::Mat slice(int index, cv::Size size) const;

private:
    // The level at a block's centre, per block of the coarse grid.
    float at(int slice, int row, int column) const;
    void scale(double factor);
    // Sets the range to the 0.5th-99.5th percentile of the blocks with data
    // (weight > 0) and keeps every level inside it; false when none has data.
    bool keepRange(const std::vector<float> &weight);

    int m_slices = 0;
    int m_rows = 0;
    int m_columns = 0;
    std::vector<float> m_levels; // coarse grid, slice-major
    double m_minimum = 1.0;
    double m_maximum = 1.0;
};

} // namespace mri
