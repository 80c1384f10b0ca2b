#pragma once

#include <opencv2/core/mat.hpp>

#include <cstddef>
#include <vector>

namespace mri {

// MRI magnitude noise. With N receive coils combined by sum of squares,
//   M = sqrt( sum_{c=1..N} (A/sqrt(N) + n_re,c)^2 + n_im,c^2 ),  n ~ N(0, sigma^2),
// is non-central chi with 2N degrees of freedom (N = 1: Rician). Its mean is
//   E[M] = sigma sqrt(2) Gamma(N + 1/2) / Gamma(N) 1F1(-1/2; N; -A^2 / 2 sigma^2),
// E[M^2] = A^2 + 2 N sigma^2; in the background (A = 0) the mean is a floor
// that smoothing cannot remove. N may be real (effective coils, >= 1).

struct NoiseEstimate
{
    double sigma = 0;                  // of each Gaussian component, image units
    double coils = 1;                  // N used (given, or estimated)
    bool coilsEstimated = false;
    std::size_t backgroundPixels = 0;  // 0: too little background, Laplacian fallback
    std::vector<double> correlation;   // underlying complex-noise correlation at lags 1..6
    int blindSpotRadius = 0;           // 0: pixel-independent noise
};

// Slices of more pixels than this are measured on a sample (estimateNoise,
// measureSliceNoise, removeNoiseFloorOf/InPlace), so that the measurement
// needs bounded memory (~150 MB at most) whatever the slice's size: a grid of
// 256 x 256 blocks spread evenly over the slice (up to 12 x 12, ~9.4 million
// pixels), put side by side; the background mask of that mosaic loses the 8
// pixels along each block's edge (where the 7x7 mean and the 9x9 erosion saw
// the next block), so neighbour pairs never straddle two blocks; the
// Laplacian fallback sums over each block's inner pixels. Millions of
// background pixels make the medians and correlations as exact as on the
// whole slice (tst_noisefloor). backgroundPixels then counts the sample's.
// At or below it, the whole slice as before (bit-identical results).
inline constexpr std::size_t kNoiseSamplePixels = std::size_t(1) << 23;

// The background of a magnitude image (CV_32FC1): the darkest region by
// Otsu's threshold on a 7x7 local mean, eroded 9x9 away from edges. CV_8U
// 0/255; empty when the slice has too little background to measure noise in.
cv::Mat backgroundMask(const cv::Mat &magnitude);

// Noise of a magnitude image (CV_32FC1) measured in its background.
// sigma: median of M / median of central chi(2N) (robust to outliers: 1 % of
// bright pixels move it by < 1.3 %, the second moment by up to 30 %).
// coils <= 0: N from the quartile spread (q75 - q25) / q50 of M, which falls
// from 0.77 (N = 1) to 0.08 (N = 64) for central chi, solved for real N in
// [1, 64] and rounded to an integer when within 0.25 of one (the moment ratio
// mean(M)^2 / mean(M^2) is as exact but not robust). correlation: normalised
// autocorrelation of the background noise averaged over horizontal and
// vertical lags, mapped from magnitude to complex-noise correlation rho
// (exact bivariate chi moment); blindSpotRadius: smallest lag with rho < 0.3
// (magnitude correlation < ~0.08), minus 1, at most 6. Too little background:
// sigma from Immerkaer's Laplacian estimate, N = coils (or 1), no correlation.
NoiseEstimate estimateNoise(const cv::Mat &magnitude, double coils);

// estimateNoise() of an 8- or 16-bit slice scaled to [0, 1] by its range (as
// toUnitFloat() does), or of a CV_32FC1 one, without a float copy of a
// large slice.
NoiseEstimate measureSliceNoise(const cv::Mat &slice, double coils);

// Maps the predicted expected magnitude E[M] (CV_32FC1) to the signal A for
// non-central chi noise with `coils` N >= 1. predictionError tau >= 0 (image
// units): 0 inverts E[M] pointwise (A = 0 at or below the floor mean); tau > 0
// gives the posterior mean of A for a prediction m ~ Normal(E[M](A), tau^2)
// and a prior with half its mass at A = 0 (background) and half uniform over
// A in [0, 20 sigma]: smooth and monotone, so that prediction errors near the
// floor become neither speckle nor a raised background. Tabulated per (N, tau / sigma; tau /
// sigma rounded to 2 % steps), thread-safe. sigma <= 0: returned unchanged.
cv::Mat removeNoiseFloor(const cv::Mat &expectedMagnitude, double sigma, double coils, double predictionError);

// The error scale of a prediction (CV_32FC1) inside a mask (CV_8U, nonzero =
// inside, same size): its upper tail, (99th percentile - median) / 2.326,
// kept between 1 and 3 times the robust spread (MAD * 1.4826); 0 when the
// mask is empty. No local
// trend removed: measured, a 15x15 local mean took 38 % of spatially smooth
// errors (blurred 3 px) away, and those count for the posterior as much as white ones.
double estimatePredictionError(const cv::Mat &prediction, const cv::Mat &backgroundMask);

// E[M] / sigma of non-central chi with N coils at A / sigma (tabulated).
double chiMeanOverSigma(double signalOverSigma, double coils);

// The enhancer's noise-floor step, shared by enhancement and validation: the
// noise measured in the noisy input's background (coils <= 0: N estimated
// too); with `smooth`, the prediction's spread in that background taken as
// its error for the posterior inversion, otherwise the point inversion.
struct FloorRemoval
{
    cv::Mat signal;               // CV_32FC1
    NoiseEstimate noise;
    double predictionError = 0.0; // tau used; 0: point inversion
};
FloorRemoval removeNoiseFloorOf(const cv::Mat &prediction, const cv::Mat &noisyInput, double coils, bool smooth);
// The same with the floor removed from `prediction` itself, row by row (signal
// shares its memory); `noisyInput` may also be an 8- or 16-bit slice (scaled
// to [0, 1] by its range) of the prediction's size.
FloorRemoval removeNoiseFloorInPlace(cv::Mat &prediction, const cv::Mat &noisyInput, double coils, bool smooth);

// A volume's floor removal in two steps, so that one noise level serves all
// its slices: measureFloor() on every slice (the noise in its background and,
// with `smooth`, the prediction's spread there), poolFloorMeasures() over the
// volume, then removeMeasuredFloor() on each slice with the pooled measure.
// A slice without background of its own (the first and last slices of a head,
// all air or all tissue) would otherwise fall back to Immerkaer's Laplacian
// estimate, which reads a magnitude background's spread (0.66 sigma for
// Rician) as sigma, and leave its floor in (INIA19 at 5 %: background mean
// 13.4 of 255 in such slices, 0.2 to 0.8 in the others).
struct FloorMeasure
{
    NoiseEstimate noise;
    double predictionError = 0.0; // tau; 0: point inversion
    // With `smooth`: the prediction's median in the background over the floor
    // the measured noise implies (sigma x E[M]/sigma of central chi); the
    // inversion takes the floor where the network put it (removeMeasuredFloor()).
    double floorRatio = 1.0;
};
// How far the floor may be moved to the prediction's (a fraction of it). A
// network's background sits within ~1 % of the floor, but near A = 0 the
// inversion is a square root: INIA19 at 5 %, a prediction 0.9 % above the floor
// left 8.5 % of the background above 2 grey levels (SSIM 0.946 against 0.98).
// Ghosts or tissue in the background mask could move the median further; those
// are not the floor, so the move is bounded.
inline constexpr double kFloorCalibrationLimit = 0.05;
FloorMeasure measureFloor(const cv::Mat &prediction, const cv::Mat &noisyInput, double coils, bool smooth);
// The median sigma, coils, tau / sigma and floor ratio over the slices that have
// background (noise.backgroundPixels > 0), each measure's other fields from the
// slice with the most background; the first measure unchanged when no slice has any.
FloorMeasure poolFloorMeasures(const std::vector<FloorMeasure> &measures);
// Removes the floor of `measure` from `prediction` (CV_32FC1) in place: the
// inversion's sigma is the measured one times floorRatio, bounded by
// kFloorCalibrationLimit.
void removeMeasuredFloor(cv::Mat &prediction, const FloorMeasure &measure);
// The same where the noise level is sigma times relativeLevel (CV_32FC1 of the
// prediction's size, NoiseMap::slice()); the prediction error scales with it.
void removeMeasuredFloor(cv::Mat &prediction, const FloorMeasure &measure, const cv::Mat &relativeLevel);
// The sigma removeMeasuredFloor() inverts with: the measured one times the
// bounded floor ratio.
double effectiveSigma(const FloorMeasure &measure);

// Whether enhancement and validation use the posterior inversion. Measured on
// INIA19 at 10 % (README, quality): with a flat prior the background stayed at
// ~0.3 sigma and SSIM fell from 0.78 to 0.55; with half the prior's mass at
// A = 0 the background goes to ~0 and SSIM rose to 0.92 (3 seeds).
constexpr bool kSmoothFloorRemoval = true;

// Rician shorthands (N = 1), kept for existing callers.
double estimateRicianSigma(const cv::Mat &magnitude);
cv::Mat removeRicianBias(const cv::Mat &expectedMagnitude, double sigma);

} // namespace mri
