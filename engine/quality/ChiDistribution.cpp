#include "quality/ChiDistribution.h"

#include "base/EngineError.h"
#include "quality/NoiseFloor.h"

#include <opencv2/core/utility.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <mutex>
#include <utility>

namespace mri {

namespace {

constexpr double kMaxCoils = 64.0;
constexpr double kMeanStep = 0.005;       // table of E[M] / sigma in A / sigma
constexpr double kMeanEnd = 40.0;         // beyond: E[M]^2 ~ A^2 + (2N - 1) sigma^2
constexpr double kPointStep = 0.002;      // inverse tables, in E[M] / sigma
constexpr int kPosteriorPoints = 400;     // integration points per posterior mean
constexpr double kPosteriorWindow = 8.0;  // in prediction-error standard deviations
// The posterior's prior: this share of its mass at A = 0 (most of a slice is
// background), the rest uniform over A / sigma in [0, kSlabWidth]. A flat prior
// alone leaves the background at ~0.3 sigma, which SSIM punishes near 0.
constexpr double kSpikeShare = 0.5;
constexpr double kSlabWidth = 20.0;
constexpr double kTauRatioStep = 1.02;    // tau / sigma rounded to this geometric grid
constexpr double kMaxTauRatio = 20.0;
constexpr double kMinTauRatio = 1e-3;     // below: the point inversion

// E[M] / sigma by Kummer's transformation 1F1(-1/2; N; -x) = e^-x 1F1(N + 1/2; N; x):
// the series on the right has positive terms only; summed with a running scale.
double chiMeanSeries(double snr, double coils)
{
    const double x = snr * snr / 2.0;
    if (x <= 0.0)
        return floorOverSigma(coils);
    const double a = coils + 0.5;
    double logTerm = 0.0;
    double scale = 0.0; // log of the largest term so far
    double sum = 1.0;   // in units of exp(scale)
    const double logX = std::log(x);
    for (int k = 0; k < 100000; ++k) {
        logTerm += std::log((a + k) / (coils + k)) + logX - std::log(k + 1.0);
        if (logTerm > scale) {
            sum = sum * std::exp(scale - logTerm) + 1.0;
            scale = logTerm;
        } else {
            sum += std::exp(logTerm - scale);
        }
        if (k > x && logTerm < scale - 40.0)
            break;
    }
    return floorOverSigma(coils) * std::exp(scale + std::log(sum) - x);
}

// E[M] / sigma against A / sigma, and its inverse.
class ChiMeanTable
{
public:
    explicit ChiMeanTable(double coils)
        : m_coils(coils), m_floor(floorOverSigma(coils))
    {
        const int count = static_cast<int>(std::lround(kMeanEnd / kMeanStep)) + 1;
        m_mean.reserve(static_cast<std::size_t>(count));
        for (int i = 0; i < count; ++i)
            m_mean.push_back(chiMeanSeries(i * kMeanStep, coils));
    }

    double coils() const { return m_coils; }
    double floor() const { return m_floor; }

    double mean(double snr) const
    {
        if (snr >= kMeanEnd)
            return std::sqrt(snr * snr + 2.0 * m_coils - 1.0);
        const double position = std::max(0.0, snr) / kMeanStep;
        const auto index = static_cast<std::size_t>(position);
        const double fraction = position - index;
        return m_mean[index] + fraction * (m_mean[index + 1] - m_mean[index]);
    }

    double signal(double meanOverSigma) const
    {
        if (!(meanOverSigma > m_floor)) // NaN too
            return 0.0;
        if (meanOverSigma >= m_mean.back())
            return std::sqrt(std::max(0.0, meanOverSigma * meanOverSigma - (2.0 * m_coils - 1.0)));
        const auto upper = std::upper_bound(m_mean.begin(), m_mean.end(), meanOverSigma);
        const auto index = static_cast<std::size_t>(upper - m_mean.begin());
        const double low = m_mean[index - 1];
        const double high = m_mean[index];
        return ((index - 1) + (meanOverSigma - low) / (high - low)) * kMeanStep;
    }

private:
    double m_coils;
    double m_floor;
    std::vector<double> m_mean;
};

long coilsKey(double coils) { return std::lround(coils * 1000.0); }

std::shared_ptr<const ChiMeanTable> chiMeanTable(double coils)
{
    static std::mutex mutex;
    static std::map<long, std::shared_ptr<const ChiMeanTable>> cache;
    const std::lock_guard<std::mutex> lock(mutex);
    if (cache.size() > 256) // tables are shared: clearing only forgets them
        cache.clear();
    const long key = coilsKey(coils);
    auto &entry = cache[key];
    if (!entry) // built for the key's N, so that equal keys give equal tables
        entry = std::make_shared<const ChiMeanTable>(key / 1000.0);
    return entry;
}

// Posterior mean of A / sigma given a prediction m / sigma with error t = tau / sigma
// and the spike-and-slab prior above, the slab by the trapezoid rule over the A
// range whose mean lies within the window around m (below the floor: the range
// where the likelihood falls by less than e^-32 from its value at A = 0).
double posteriorMean(const ChiMeanTable &table, double m, double t)
{
    const double below = std::max(0.0, table.floor() - m);
    const double lowMean = std::max(table.floor(), m - kPosteriorWindow * t);
    const double highMean = m + std::sqrt(below * below + kPosteriorWindow * kPosteriorWindow * t * t);
    const double from = table.signal(lowMean);
    const double to = std::max(table.signal(highMean), from + 1e-9);
    const double h = (to - from) / (kPosteriorPoints - 1);
    double best = -1e300;
    std::vector<double> logWeight(kPosteriorPoints);
    for (int i = 0; i < kPosteriorPoints; ++i) {
        const double residual = (m - table.mean(from + i * h)) / t;
        logWeight[i] = -0.5 * residual * residual;
        best = std::max(best, logWeight[i]);
    }
    const double atZero = (m - table.mean(0.0)) / t;
    best = std::max(best, -0.5 * atZero * atZero);
    double weight = 0.0;
    double moment = 0.0;
    for (int i = 0; i < kPosteriorPoints; ++i) {
        const double w = std::exp(logWeight[i] - best) * (i == 0 || i == kPosteriorPoints - 1 ? 0.5 : 1.0);
        weight += w;
        moment += w * (from + i * h);
    }
    const double slab = (1.0 - kSpikeShare) / kSlabWidth * h;
    const double spike = kSpikeShare * std::exp(-0.5 * atZero * atZero - best);
    const double evidence = slab * weight + spike;
    return evidence > 0.0 ? slab * moment / evidence : 0.0;
}

// Regularised lower incomplete gamma P(a, x) by its power series.
double lowerGammaP(double a, double x)
{
    if (x <= 0.0)
        return 0.0;
    double term = 1.0 / a;
    double sum = term;
    for (int k = 1; k < 10000; ++k) {
        term *= x / (a + k);
        sum += term;
        if (term < sum * 1e-15)
            break;
    }
    return std::exp(a * std::log(x) - x - std::lgamma(a)) * sum;
}

// (q75 - q25) / q50 of central chi with N coils: falls from 0.77 (N = 1) to 0.08 (N = 64).
double quartileSpread(double coils)
{
    return (chiQuantileOverSigma(coils, 0.75) - chiQuantileOverSigma(coils, 0.25)) / chiQuantileOverSigma(coils, 0.5);
}

// mean(M)^2 / mean(M^2) of central chi with N coils.
double momentRatio(double coils)
{
    return std::exp(2.0 * (std::lgamma(coils + 0.5) - std::lgamma(coils))) / coils;
}

// 2F1(-1/2, -1/2; N; z) for z in [0, 1].
double hypergeometricHalf(double coils, double z)
{
    double term = 1.0;
    double sum = 1.0;
    for (int k = 0; k < 20000; ++k) {
        term *= (k - 0.5) * (k - 0.5) / ((coils + k) * (k + 1.0)) * z;
        sum += term;
        if (std::abs(term) < 1e-12)
            break;
    }
    return sum;
}

} // namespace

void checkCoils(double coils)
{
    if (!(coils >= 1.0 && coils <= kMaxCoils))
        throw EngineError("The number of coils must be between 1 and 64.");
}

// sqrt(2) Gamma(N + 1/2) / Gamma(N): E[M] / sigma of central chi.
double floorOverSigma(double coils)
{
    return std::sqrt(2.0) * std::exp(std::lgamma(coils + 0.5) - std::lgamma(coils));
}

// Quantile p of central chi with 2N degrees of freedom, over sigma: M^2 / sigma^2 = 2 Gamma(N, 1).
double chiQuantileOverSigma(double coils, double p)
{
    double low = 0.0;
    double high = coils + 20.0 * std::sqrt(coils) + 20.0;
    for (int i = 0; i < 60; ++i) {
        const double middle = 0.5 * (low + high);
        (lowerGammaP(coils, middle) < p ? low : high) = middle;
    }
    return std::sqrt(low + high); // sqrt(2 * midpoint)
}

// N from the background's quartile spread, solved in [1, 64], rounded to an integer
// when within 0.25 of one. Quartiles rather than the moment ratio mean(M)^2 / mean(M^2):
// a few bright outliers (0.2 % of the background) moved N from 8 to ~6.5 by moments.
double coilsFromQuartileSpread(double spread)
{
    if (!(spread < quartileSpread(1.0)))
        return 1.0;
    if (spread <= quartileSpread(kMaxCoils))
        return kMaxCoils;
    double low = 1.0;
    double high = kMaxCoils;
    for (int i = 0; i < 40; ++i) {
        const double middle = std::sqrt(low * high);
        (quartileSpread(middle) > spread ? low : high) = middle;
    }
    const double coils = std::sqrt(low * high);
    const double nearest = std::round(coils);
    // Otherwise to a tenth, so that slices share the tables of their N.
    return std::abs(coils - nearest) <= 0.25 ? nearest : std::round(coils * 10.0) / 10.0;
}

// The correlation of two central chi magnitudes whose complex noise has correlation rho
// (bivariate Nakagami moment with power correlation rho^2):
//   corr(M1, M2) = r (2F1(-1/2, -1/2; N; rho^2) - 1) / (1 - r), r = mean^2 / mean-square;
// ~0.915 rho^2 for N = 1. Inverted by bisection.
double complexCorrelation(double magnitudeCorrelation, double coils)
{
    if (!(magnitudeCorrelation > 0.0))
        return 0.0;
    if (magnitudeCorrelation >= 1.0)
        return 1.0;
    const double r = momentRatio(coils);
    double low = 0.0;
    double high = 1.0;
    for (int i = 0; i < 50; ++i) {
        const double middle = 0.5 * (low + high);
        const double correlation = r * (hypergeometricHalf(coils, middle) - 1.0) / (1.0 - r);
        (correlation < magnitudeCorrelation ? low : high) = middle;
    }
    return std::sqrt(0.5 * (low + high));
}

std::shared_ptr<const InverseTable> inverseTable(double coils, double tauRatio)
{
    static std::mutex mutex;
    static std::map<std::pair<long, long>, std::shared_ptr<const InverseTable>> cache;
    long tauKey = std::numeric_limits<long>::min(); // the point inversion; no tau rounds to it
    double t = 0.0;
    if (tauRatio >= kMinTauRatio) {
        tauKey = std::lround(std::log(std::min(tauRatio, kMaxTauRatio)) / std::log(kTauRatioStep));
        t = std::pow(kTauRatioStep, static_cast<double>(tauKey));
    }
    const std::lock_guard<std::mutex> lock(mutex);
    if (cache.size() > 256) // a long session with many distinct settings
        cache.clear();
    auto &entry = cache[{coilsKey(coils), tauKey}];
    if (entry)
        return entry;
    const auto means = chiMeanTable(coils);
    auto table = std::make_shared<InverseTable>();
    table->coils = means->coils();
    if (t == 0.0) {
        table->low = means->floor(); // below: 0
        table->step = kPointStep;
        const int count = static_cast<int>(std::lround((kMeanEnd - table->low) / kPointStep)) + 1;
        for (int i = 0; i < count; ++i) {
            const double signal = means->signal(table->low + i * kPointStep);
            table->values.push_back(static_cast<float>(signal * signal));
        }
    } else {
        // Smooth on the scale of t: coarser steps for large t keep the table small.
        table->low = -kPosteriorWindow * t;
        table->step = std::max(kPointStep, t / 50.0);
        const double high = kMeanEnd + 10.0 * t;
        const int count = static_cast<int>(std::ceil((high - table->low) / table->step)) + 1;
        table->values.resize(static_cast<std::size_t>(count));
        cv::parallel_for_(cv::Range(0, count), [&](const cv::Range &range) {
            for (int i = range.start; i < range.end; ++i) {
                const double signal = posteriorMean(*means, table->low + i * table->step, t);
                table->values[i] = static_cast<float>(signal * signal);
            }
        });
    }
    entry = table;
    return entry;
}

double chiMeanOverSigma(double signalOverSigma, double coils)
{
    checkCoils(coils);
    return chiMeanTable(coils)->mean(signalOverSigma);
}

} // namespace mri
