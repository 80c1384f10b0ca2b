#pragma once

#include <opencv2/core/mat.hpp>

namespace mri {

// MRI magnitude images carry Rician noise: in the background, where there is
// no signal, it is Rayleigh distributed with a mean of sigma * sqrt(pi/2), a
// floor that smoothing cannot remove.

// Estimates the standard deviation sigma of the underlying Gaussian noise of a
// magnitude image (CV_32FC1, same units as the image) from its background: the
// darkest region found by Otsu's threshold on a local mean, eroded away from
// edges; sigma = median / sqrt(2 ln 2) there. Falls back to Immerkaer's
// Laplacian estimate when the slice has too little background.
double estimateRicianSigma(const cv::Mat &magnitude);

// Maps the expected magnitude E[M] (what a denoiser trained on magnitude data
// predicts) to the signal A by inverting the Rice mean
// E[M] = sigma sqrt(pi/2) L_1/2(-A^2 / 2 sigma^2). Values at or below the
// Rayleigh mean become 0. CV_32FC1 in and out.
cv::Mat removeRicianBias(const cv::Mat &expectedMagnitude, double sigma);

} // namespace mri
