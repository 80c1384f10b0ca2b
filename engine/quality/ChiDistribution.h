#pragma once

// Private to quality/ (NoiseFloor.cpp): the distribution of MRI magnitude
// noise, non-central chi with 2N degrees of freedom (NoiseFloor.h), as the
// noise floor's measurement and removal need it: the floor, quantiles, N from
// the background's quartiles, the magnitude-to-complex correlation, and the
// tables that invert E[M] (pointwise or as a posterior mean). Also defines
// chiMeanOverSigma() of NoiseFloor.h. Tables are cached per (N, tau / sigma)
// and thread-safe.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <memory>
#include <vector>

namespace mri {

// Throws EngineError unless 1 <= coils <= 64.
void checkCoils(double coils);

// sqrt(2) Gamma(N + 1/2) / Gamma(N): E[M] / sigma of central chi.
double floorOverSigma(double coils);

// Quantile p of central chi with 2N degrees of freedom, over sigma: M^2 / sigma^2 = 2 Gamma(N, 1).
double chiQuantileOverSigma(double coils, double p);

// N from the background's quartile spread (q75 - q25) / q50, solved in [1, 64], rounded to an integer
// when within 0.25 of one, otherwise to a tenth.
double coilsFromQuartileSpread(double spread);

// The correlation rho of the complex noise under two central chi magnitudes whose correlation is
// `magnitudeCorrelation` (inverted exactly by bisection).
double complexCorrelation(double magnitudeCorrelation, double coils);

// (A / sigma)^2 against E[M] / sigma on a uniform grid, so that an image is mapped
// with one multiply-add and a square root per pixel. Squared because A^2 is linear in
// E[M] just above the floor where A itself has a square-root kink.
struct InverseTable
{
    double coils = 1.0;
    double low = 0.0;
    double step = 0.0; // set by inverseTable()
    std::vector<float> values;

    double apply(double meanOverSigma) const
    {
        double position = (meanOverSigma - low) / step;
        if (!(position > 0.0))
            return std::sqrt(values.front());
        if (position >= values.size() - 1.0)
            return std::sqrt(std::max(0.0, meanOverSigma * meanOverSigma - (2.0 * coils - 1.0)));
        const auto index = static_cast<std::size_t>(position);
        const double fraction = position - index;
        return std::sqrt(values[index] + fraction * (values[index + 1] - values[index]));
    }
};

// The table that maps E[M] / sigma of N `coils` to A / sigma: the point
// inversion when tauRatio (the prediction's error over sigma) is below 1e-3,
// otherwise the posterior mean for that error (tau / sigma rounded to 2 % steps).
std::shared_ptr<const InverseTable> inverseTable(double coils, double tauRatio);

} // namespace mri
