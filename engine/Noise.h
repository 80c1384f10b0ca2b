#pragma once

#include <opencv2/core/mat.hpp>

#include <cstdint>
#include <optional>
#include <string>

namespace mri {

enum class NoiseModel { Gaussian, Rician };

std::string noiseModelName(NoiseModel model);                         // "gaussian", "rician"
std::optional<NoiseModel> parseNoiseModel(const std::string &name);   // case-insensitive

// The noise a benchmark or demo data set adds, and the supervised objective
// trains with. With x the clean value as a fraction of the range and sigma the
// standard deviation of each real/imaginary channel, all n ~ N(0, sigma^2)
// independent:
//   gaussian:  y = x + n
//   rician / chi:N (N receive coils, sum-of-squares reconstruction):
//              y = sqrt( sum_{c=1..N} (x/sqrt(N) + n_{c,re})^2 + n_{c,im}^2 )
//              chi:1 is Rician. At high SNR the magnitude noise has std sigma
//              for every N; the background (x = 0) is central chi with 2N
//              degrees of freedom: mean sigma*sqrt(2)*Gamma(N+1/2)/Gamma(N),
//              E[y^2] = 2N sigma^2.
//   correlated:K  every real/imaginary noise field is filtered with a
//              normalised Gaussian kernel of std K pixels (BORDER_REFLECT) and
//              scaled by 1/sqrt(sum of squared kernel weights), so each pixel
//              keeps std sigma; the autocorrelation at lag d is the kernel's
//              self-convolution, about exp(-d^2 / (4 K^2)).
//   jpeg:Q     after the magnitude the image is brought to 8 bits (16-bit and
//              float images are scaled to 8 bits and back), JPEG-encoded at
//              quality Q and decoded.
struct NoiseSpec
{
    NoiseModel model = NoiseModel::Rician;
    int coils = 1;                   // Rician only: > 1 is non-central chi
    double correlationPixels = 0.0;  // 0: independent pixels
    int jpegQuality = 0;             // 0: no JPEG

    bool operator==(const NoiseSpec &other) const;
    bool operator!=(const NoiseSpec &other) const { return !(*this == other); }
};

// '+'-joined parts, case-insensitive: one of "rician", "gaussian", "chi:N"
// (1..64 coils; default rician), and at most once each "correlated:K"
// (0 < K <= 5 pixels) and "jpeg:Q" (1..100). E.g. "chi:8+correlated:1.2+jpeg:75".
// Throws EngineError with one sentence naming the bad part.
NoiseSpec parseNoiseSpec(const std::string &text);
// Canonical text that parses back to the same spec: "rician", "gaussian",
// "chi:8", "chi:8+correlated:1.2+jpeg:75".
std::string noiseSpecName(const NoiseSpec &spec);
// Throws EngineError with one sentence when a field is out of range.
void checkNoiseSpec(const NoiseSpec &spec);

// Adds noise of `spec` with `sigma` (per channel, see above) given as a
// fraction of the data range. Works on CV_8U, CV_16U (result saturated to the
// same depth) and CV_32F in [0, 1] (result not clipped, except by JPEG). Image
// channels are independent samples. Repeatable for a given seed.
cv::Mat addNoise(const cv::Mat &clean, const NoiseSpec &spec, double sigma, std::uint64_t seed);
// The same for a plain model (i.i.d. Gaussian or Rician).
cv::Mat addNoise(const cv::Mat &clean, NoiseModel model, double sigma, std::uint64_t seed);

} // namespace mri
