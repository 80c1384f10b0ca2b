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
//   zerofill:F the scanner's k-space zero-fill interpolation by F (2..4): each
//              coil's complex noise n_re + i n_im is drawn white on the
//              acquired matrix, ceil(H/F) x ceil(W/F), its DFT is zero-padded
//              (centred; an even matrix's Nyquist row/column goes to the
//              negative side) to H x W and transformed back. The unscaled
//              inverse DFT is divided by the acquired pixel count
//              ceil(H/F)*ceil(W/F), the factor that keeps a constant image's
//              amplitude, and with it each output pixel's noise keeps std
//              sigma per channel exactly. Only the noise is acquired coarsely:
//              x stays the full-resolution clean image (not low-passed), as
//              the benchmark scores against it, so the correlation comes from
//              the acquisition and is not a blur of the picture. The complex
//              noise's correlation at lag d (along a row, likewise down a
//              column) is (1/w) sum_k cos(2 pi k d / W) over the w acquired
//              frequencies k, about sinc(d / F): 2/pi = 0.64 at d = 1 for F = 2,
//              0 at d = 2. The noise field is periodic (it wraps around the
//              image edges, as an FFT reconstruction's does). Not combined
//              with correlated:K (two ways of correlating the noise).
//   sense:R    SENSE parallel imaging with acceleration R (1..8) along the
//              phase-encode direction (the rows): every noise field is
//              multiplied by the g-factor map of senseGFactorMap(), after any
//              correlation or zero-fill, so sigma * g(x, y) is each pixel's
//              noise std per channel exactly. sigma stays the noise level
//              where g = 1: the sqrt(R) SNR loss of the shorter acquisition is
//              not applied (choose sigma for it). sense:1 is no SENSE.
//   jpeg:Q     after the magnitude the image is brought to 8 bits (16-bit and
//              float images are scaled to 8 bits and back), JPEG-encoded at
//              quality Q and decoded.
// Every model works on one 2-D slice at a time: a 3-D volume gets its noise
// slice by slice (zero-fill and the g-factor map are in-plane only).
struct NoiseSpec
{
    NoiseModel model = NoiseModel::Rician;
    int coils = 1;                   // Rician only: > 1 is non-central chi
    double correlationPixels = 0.0;  // 0: independent pixels
    int zeroFillFactor = 1;          // 1: no zero-fill; 2..4: k-space zero-filled by this factor
    int senseAcceleration = 1;       // 1: no SENSE g-factor; 2..8: the acceleration R
    int jpegQuality = 0;             // 0: no JPEG

    bool operator==(const NoiseSpec &other) const;
    bool operator!=(const NoiseSpec &other) const { return !(*this == other); }
};

// '+'-joined parts, case-insensitive: one of "rician", "gaussian", "chi:N"
// (1..64 coils; default rician), and at most once each "correlated:K"
// (0 < K <= 5 pixels), "zerofill:F" (F = 2, 3 or 4; not with correlated:K),
// "sense:R" (1..8) and "jpeg:Q" (1..100). E.g. "chi:8+correlated:1.2+jpeg:75",
// "chi:8+zerofill:2+sense:2". Throws EngineError with one sentence naming the
// bad part.
NoiseSpec parseNoiseSpec(const std::string &text);
// Canonical text that parses back to the same spec: "rician", "gaussian",
// "chi:8", "chi:8+correlated:1.2+jpeg:75", "rician+zerofill:2+sense:4+jpeg:75"
// (the parts in the order base, correlated, zerofill, sense, jpeg).
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

// The g-factor map of sense:R on a field of view of `size` (CV_32FC1): sigma
// times it is the true per-pixel noise level. A stylised map, not one computed
// from coil sensitivities: SENSE's noise amplification peaks where the R
// aliased copies overlap with the least distinct coil sensitivities, in the
// middle of the field of view, so
//   g = 1 + (gmax - 1) * sin^2(pi * row / (H - 1)) * sin^2(pi * col / (W - 1)),
// a 2-D Hann window: 1 on the edges, gmax = 1 + 0.25 * (R - 1) at the centre
// (exactly on the centre pixel of an odd size; 1.25 for R = 2, 2 for R = 5,
// 2.75 for R = 8), all ones for R = 1. A side of one pixel counts as centre.
cv::Mat senseGFactorMap(cv::Size size, int acceleration);
// The peak of that map, 1 + 0.25 * (R - 1).
double senseMaxGFactor(int acceleration);

} // namespace mri
