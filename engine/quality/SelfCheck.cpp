#include "quality/SelfCheck.h"

#include "base/EngineError.h"
#include "base/Translatable.h"
#include "io/ScanVolume.h"
#include "quality/Metrics.h"
#include "quality/NoiseFloor.h"
#include "quality/NoiseMap.h"
#include "quality/TissueContrast.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <functional>
#include <limits>

namespace mri {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr float kNaNFloat = std::numeric_limits<float>::quiet_NaN();

// Running sums of one set of values (mean and population standard deviation).
struct Moments
{
    double count = 0.0;
    double sum = 0.0;
    double squares = 0.0;

    void add(double value)
    {
        count += 1.0;
        sum += value;
        squares += value * value;
    }
    double mean() const { return count > 0.0 ? sum / count : kNaN; }
    double deviation() const
    {
        if (count <= 0.0)
            return kNaN;
        const double m = sum / count;
        return std::sqrt(std::max(0.0, squares / count - m * m));
    }
};

// Running sums of value pairs (Pearson's correlation).
struct Pairs
{
    Moments a, b;
    double products = 0.0;

    void add(double x, double y)
    {
        a.add(x);
        b.add(y);
        products += x * y;
    }
    double correlation() const
    {
        if (a.count < 2.0)
            return kNaN;
        const double covariance = products / a.count - a.mean() * b.mean();
        const double scale = a.deviation() * b.deviation();
        if (!std::isfinite(scale) || !std::isfinite(covariance))
            return kNaN;
        return scale > 0.0 ? covariance / scale : 0.0;
    }
};

// The sums behind MRIQC's measures of one image.
struct ImageSums
{
    std::array<Moments, 3> tissue; // CSF, grey, white
    Moments air;
    double energy = 0.0;     // sum x^2
    double sum = 0.0;        // sum x
    double entropyTerm = 0.0; // sum x ln x
    double count = 0.0;

    void add(double value, int tissueClass)
    {
        if (tissueClass >= 0)
            tissue[static_cast<std::size_t>(tissueClass)].add(value);
        else
            air.add(value);
        count += 1.0;
        if (value > 0.0) {
            energy += value * value;
            sum += value;
            entropyTerm += value * std::log(value);
        }
    }

    QualityMeasures measures() const
    {
        QualityMeasures q;
        double snr = 0.0;
        int classes = 0;
        for (const auto &moments : tissue) {
            if (moments.count >= 2.0) {
                snr += moments.mean() / (moments.deviation() * std::sqrt(moments.count / (moments.count - 1.0)));
                ++classes;
            }
        }
        q.snr = classes == 3 ? snr / 3.0 : kNaN;
        const auto &grey = tissue[1];
        const auto &white = tissue[2];
        const double contrast = std::abs(white.mean() - grey.mean());
        const double airDeviation = air.count > 0.0 ? air.deviation() : 0.0;
        q.cnr = contrast / std::sqrt(airDeviation * airDeviation + grey.deviation() * grey.deviation()
                                     + white.deviation() * white.deviation());
        q.cjv = (white.deviation() + grey.deviation()) / contrast;
        // sum (x/b) ln(x/b) = (sum x ln x - ln b sum x) / b
        const double b = std::sqrt(energy);
        const double efcMax = std::sqrt(count) * std::log(1.0 / std::sqrt(count));
        q.efc = b > 0.0 && count > 1.0 ? (entropyTerm - std::log(b) * sum) / b / efcMax : kNaN;
        return q;
    }
};

constexpr signed char kLeftOut = 100;

// `image` with every value that is not finite (NaN outside a field of view, an Inf) set to 0,
// for the measurements that would otherwise spread it (filters, medians).
cv::Mat finiteCopy(const cv::Mat &image)
{
    cv::Mat copy = image.clone();
    for (int y = 0; y < copy.rows; ++y) {
        float *row = copy.ptr<float>(y);
        for (int x = 0; x < copy.cols; ++x)
            if (!std::isfinite(row[x]))
                row[x] = 0.0f;
    }
    return copy;
}

cv::Mat asFloat(const cv::Mat &image)
{
    if (image.type() == CV_32FC1)
        return image;
    if (image.channels() != 1)
        throw EngineError("The self-check takes single-channel images.");
    cv::Mat converted;
    image.convertTo(converted, CV_32F);
    return converted;
}

// The noise of the input: the median over slices with background (at most
// 32 of them, spread evenly) of estimateNoise()'s sigma, coils and blind-spot
// radius (0: pixel-independent noise).
NoiseEstimate measureInputNoise(const std::vector<cv::Mat> &inputs, double coils)
{
    std::vector<double> sigmas, coilsFound, radii, fallback;
    std::size_t backgroundPixels = 0;
    const std::size_t step = std::max<std::size_t>(1, inputs.size() / 32);
    for (std::size_t i = step / 2; i < inputs.size(); i += step) {
        if (inputs[i].rows < 16 || inputs[i].cols < 16)
            continue;
        const NoiseEstimate estimate = estimateNoise(inputs[i], coils);
        if (estimate.backgroundPixels > 0 && estimate.sigma > 0.0) {
            sigmas.push_back(estimate.sigma);
            coilsFound.push_back(estimate.coils);
            radii.push_back(estimate.blindSpotRadius);
            backgroundPixels += estimate.backgroundPixels;
        } else if (estimate.sigma > 0.0) {
            fallback.push_back(estimate.sigma);
        }
    }
    const auto median = [](std::vector<double> values) {
        std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(values.size() / 2), values.end());
        return values[values.size() / 2];
    };
    NoiseEstimate noise;
    noise.sigma = !sigmas.empty() ? median(sigmas) : !fallback.empty() ? median(fallback) : 0.0;
    noise.coils = !coilsFound.empty() ? median(coilsFound) : coils > 0.0 ? coils : 1.0;
    noise.blindSpotRadius = !radii.empty() ? static_cast<int>(median(radii)) : 0;
    noise.backgroundPixels = backgroundPixels;
    return noise;
}

constexpr double kLowestLevel = 0.8;
constexpr double kHighestLevel = 1.6;

// The noise level over the field of view (NoiseMap.h; parallel imaging),
// from the residual of the input against what the noise model expects of the
// result; flat for noise correlated between pixels, for slices of different
// sizes and where it varies by less than 20 %. Also flat where it leaves the
// range of g-factors (0.8 to 1.6 times the level at the edges): there the
// residual holds signal, not noise (a result 30 % darker gave a map up to
// 3.6, one blurred up to 2.1; the network's results 0.94 to 1.32).
NoiseMap levelsOf(const std::vector<cv::Mat> &inputs, const std::vector<cv::Mat> &results, const NoiseEstimate &noise)
{
    // Enhancement follows a map on volumes only: a picture (one slice) is judged by one level, as it was enhanced.
    if (inputs.size() < 2 || noise.blindSpotRadius != 0 || noise.backgroundPixels == 0)
        return {};
    std::vector<cv::Mat> expected;
    for (std::size_t i = 0; i < results.size(); ++i) {
        if (results[i].size() != results.front().size())
            return {};
        cv::Mat mean(results[i].size(), CV_32FC1);
        for (int y = 0; y < mean.rows; ++y) {
            const float *a = results[i].ptr<float>(y);
            float *m = mean.ptr<float>(y);
            for (int x = 0; x < mean.cols; ++x) {
                const double signal = std::isfinite(a[x]) ? std::max(0.0f, a[x]) : 0.0;
                m[x] = static_cast<float>(noise.sigma * chiMeanOverSigma(signal / noise.sigma, noise.coils));
            }
        }
        expected.push_back(mean);
    }
    FloorMeasure pooled;
    pooled.noise = noise;
    NoiseMap levels = NoiseMap::estimateVolume(expected, inputs, pooled);
    if (!levels.flat() && (levels.minimum() < kLowestLevel || levels.maximum() > kHighestLevel))
        return {};
    return levels;
}

} // namespace

std::string verdictText(Verdict verdict)
{
    switch (verdict) {
    case Verdict::Ok: return "ok";
    case Verdict::Check: return "check";
    case Verdict::Suspect: return "suspect";
    case Verdict::NotChecked: break;
    }
    return {};
}

Verdict verdictOf(const std::string &text)
{
    for (const Verdict verdict : {Verdict::Ok, Verdict::Check, Verdict::Suspect})
        if (text == verdictText(verdict))
            return verdict;
    return Verdict::NotChecked;
}

QualityMeasures qualityMeasures(const std::vector<cv::Mat> &slices, const std::vector<cv::Mat> &labels)
{
    if (slices.size() != labels.size())
        throw EngineError("MRIQC's measures need a label map for every slice.");
    ImageSums sums;
    for (std::size_t s = 0; s < slices.size(); ++s) {
        const cv::Mat image = asFloat(slices[s]);
        if (labels[s].type() != CV_8SC1 || labels[s].size() != image.size())
            throw EngineError("MRIQC's measures need a label map (CV_8SC1) of each slice's size.");
        for (int y = 0; y < image.rows; ++y) {
            const float *value = image.ptr<float>(y);
            const signed char *label = labels[s].ptr<signed char>(y);
            for (int x = 0; x < image.cols; ++x)
                if (label[x] >= -1 && label[x] <= 2 && std::isfinite(value[x]))
                    sums.add(value[x], label[x]);
        }
    }
    return sums.measures();
}

namespace {

// The thresholds of the verdict, from the calibration in
// benchmarks/results/issue22-self-check.md (66 results of 7 volumes with
// ground truth) and issue22-self-check-slices.md (seed 1 of 2-D slices, six
// noise models): every result below its input's PSNR or with a true tissue
// bias beyond 5 % suspect, every one gaining >= 3 dB with a bias under 2 %
// ok. The held-out volumes and seeds there were not used to choose them.
constexpr double kSuspectBias = 0.04;       // |tissue bias| above: suspect (a true bias of 9 % read 4.1 %)
constexpr double kCheckBias = 0.035;        // above: check (good blurred results read up to 3.1 %)
constexpr double kSuspectResidual = 1.8;    // residual over noise above: signal removed
constexpr double kCheckResidual = 1.45;     // (Colin27 results 5 dB better than the input read 1.40)
constexpr double kCheckResidualLow = 0.6;   // below: little changed (the input itself reads 0.1-0.35)
// Residual energy against edges with a modest estimated gain: signal removed
// (2-D slices of a whole head: the input blurred read 0.66-0.81 with an
// estimated gain up to 3.3 dB where it truly lost up to 0.2 dB; results that
// gained 4 to 11 dB read up to 0.76 with estimated gains from 5.4 dB; volumes
// read below 0.35). The same on every 0.6-0.75 and 4.5-5 dB.
constexpr double kSuspectEdges = 0.65;
constexpr double kSuspectEdgesBelowGain = 5.0;
constexpr double kSuspectGain = 2.0;        // estimated gain (dB) below: no better than the input (2-D results that truly lost up to 1.8 dB read up to 1.9)
constexpr double kCheckGain = 2.5;          // (a result 5.1 dB better read 2.9)

} // namespace

namespace {

// The verdict and the finding that decided it: the most severe finding
// decides; among equals, the first (most telling) one.
std::pair<Verdict, Finding> judge(const SelfCheck &check)
{
    if (!std::isfinite(check.estimatedGain) || !std::isfinite(check.residualToNoise)
        || !std::isfinite(check.tissueBias))
        return {Verdict::Check, Finding::NotMeasured};
    std::pair<Verdict, Finding> worst{Verdict::Ok, Finding::LooksLikeNoise};
    const auto consider = [&](Verdict verdict, Finding finding) {
        if (verdict > worst.first)
            worst = {verdict, finding};
    };
    if (check.residualToNoise < kCheckResidualLow)
        consider(check.estimatedGain < kSuspectGain ? Verdict::Suspect : Verdict::Check, Finding::LittleChanged);
    if (std::abs(check.tissueBias) > kCheckBias)
        consider(std::abs(check.tissueBias) > kSuspectBias ? Verdict::Suspect : Verdict::Check, Finding::TissueBias);
    if (check.residualEdgeCorrelation > kSuspectEdges && check.estimatedGain < kSuspectEdgesBelowGain)
        consider(Verdict::Suspect, Finding::EdgesInResidual);
    if (check.residualToNoise > kCheckResidual)
        consider(check.residualToNoise > kSuspectResidual ? Verdict::Suspect : Verdict::Check,
                 Finding::ResidualTooLarge);
    if (check.estimatedGain < kCheckGain)
        consider(check.estimatedGain < kSuspectGain ? Verdict::Suspect : Verdict::Check, Finding::LowGain);
    return worst;
}

} // namespace

Finding findingOf(const SelfCheck &check)
{
    return judge(check).second;
}

Verdict verdictOf(const SelfCheck &check)
{
    return judge(check).first;
}

FindingSentence findingSentenceOf(const SelfCheck &check)
{
    using Number = FindingSentence::Number;
    const Number residual{check.residualToNoise, 2}, gain{check.estimatedGain, 1};
    const Number bias{100.0 * std::abs(check.tissueBias), 0};
    switch (findingOf(check)) {
    case Finding::NotMeasured:
        return {MRI_TRANSLATE_NOOP("mri::SelfCheck",
                                   "the residual could not be measured (no finite values where the tissue is)"), {}};
    case Finding::LooksLikeNoise:
        return {MRI_TRANSLATE_NOOP("mri::SelfCheck", "the residual looks like the input's noise (%1 times its level) "
                                                     "and the estimated gain is %2 dB"),
                {residual, gain}};
    case Finding::LittleChanged:
        return {MRI_TRANSLATE_NOOP("mri::SelfCheck", "little changed: the residual is only %1 times the input's noise "
                                                     "in the tissue (an estimated gain of %2 dB)"),
                {residual, gain}};
    case Finding::TissueBias:
        if (check.tissueBias < 0.0)
            return {MRI_TRANSLATE_NOOP("mri::SelfCheck", "tissue %1 % darker after enhancement than its input implies"),
                    {bias}};
        return {MRI_TRANSLATE_NOOP("mri::SelfCheck", "tissue %1 % brighter after enhancement than its input implies"),
                {bias}};
    case Finding::EdgesInResidual:
        return {MRI_TRANSLATE_NOOP("mri::SelfCheck", "signal removed: the residual correlates with edges (%1) and "
                                                     "the estimated gain is only %2 dB"),
                {{check.residualEdgeCorrelation, 2}, gain}};
    case Finding::ResidualTooLarge:
        return {MRI_TRANSLATE_NOOP("mri::SelfCheck", "signal removed: the residual is %1 times the input's noise in "
                                                     "the tissue"),
                {residual}};
    case Finding::LowGain:
        return {MRI_TRANSLATE_NOOP("mri::SelfCheck", "an estimated gain of only %1 dB over the input"), {gain}};
    }
    return {};
}

std::string findingSentence(const SelfCheck &check)
{
    const FindingSentence sentence = findingSentenceOf(check);
    std::string text = sentence.text;
    for (std::size_t i = 0; i < sentence.numbers.size(); ++i) {
        const std::string placeholder = "%" + std::to_string(i + 1);
        const auto at = text.find(placeholder);
        if (at == std::string::npos)
            continue;
        char number[32];
        std::snprintf(number, sizeof number, "%.*f", sentence.numbers[i].decimals, sentence.numbers[i].value);
        text.replace(at, placeholder.size(), number);
    }
    return text;
}

namespace {

void decide(SelfCheck &check)
{
    check.verdict = verdictOf(check);
    check.reason = findingSentence(check);
}

// The tissue and background of a check: the input smoothed in-plane
// (Gaussian, 1.5 pixels), so that every result of one input is judged on the
// same voxels; classes from a sample of at most kMaxCnrSamples of them. The
// noise floor is not tissue: the threshold is at least the 99th percentile of
// the smoothed input in the background where the noise is measured
// (backgroundMask()).
struct TissueSplit
{
    std::vector<cv::Mat> smoothed;
    TissueMasks classes;
    double threshold = 0.0;

    // -1 background, 0 CSF, 1 grey, 2 white.
    int classOf(float value) const
    {
        if (!(value > threshold))
            return -1;
        int nearest = 0;
        for (int k = 1; k < 3; ++k)
            if (std::abs(value - classes.centres[k]) < std::abs(value - classes.centres[nearest]))
                nearest = k;
        return nearest;
    }
};

// False when no tissue can be told from the background. `inputs`: finite values (finiteCopy()).
// Only values the noise floor can take (below its mean + 3 SD) count as floor:
// in a block without air, backgroundMask() calls the darker tissue background.
bool splitTissue(const std::vector<cv::Mat> &inputs, const NoiseEstimate &noise, TissueSplit &split)
{
    const double floorMean = chiMeanOverSigma(0.0, noise.coils);
    const double floorBound
        = noise.sigma * (floorMean + 3.0 * std::sqrt(std::max(0.0, 2.0 * noise.coils - floorMean * floorMean)));
    split.smoothed.resize(inputs.size());
    std::size_t total = 0;
    for (std::size_t i = 0; i < inputs.size(); ++i) {
        cv::GaussianBlur(inputs[i], split.smoothed[i], cv::Size(0, 0), 1.5, 1.5, cv::BORDER_REFLECT);
        total += split.smoothed[i].total();
    }
    const std::size_t stride = std::max<std::size_t>(1, (total + kMaxCnrSamples - 1) / kMaxCnrSamples);
    std::vector<float> sample, floorSample;
    sample.reserve(total / stride + 1);
    std::size_t index = 0;
    for (std::size_t i = 0; i < inputs.size(); ++i) {
        const cv::Mat &slice = split.smoothed[i];
        const cv::Mat background = inputs[i].rows >= 16 && inputs[i].cols >= 16 ? backgroundMask(inputs[i]) : cv::Mat();
        for (int y = 0; y < slice.rows; ++y) {
            const float *row = slice.ptr<float>(y);
            const unsigned char *air = background.empty() ? nullptr : background.ptr<unsigned char>(y);
            for (int x = 0; x < slice.cols; ++x, ++index)
                if (index % stride == 0)
                    (air && air[x] && row[x] < floorBound ? floorSample : sample).push_back(row[x]);
        }
    }
    double floorThreshold = 0.0;
    if (!floorSample.empty()) {
        const auto at = floorSample.begin() + static_cast<std::ptrdiff_t>(0.99 * (floorSample.size() - 1));
        std::nth_element(floorSample.begin(), at, floorSample.end());
        floorThreshold = *at;
        sample.erase(std::remove_if(sample.begin(), sample.end(), [&](float v) { return !(v > floorThreshold); }),
                     sample.end());
    }
    if (sample.size() < 16)
        return false;
    split.classes = classifyTissue(cv::Mat(1, static_cast<int>(sample.size()), CV_32FC1, sample.data()));
    split.threshold = std::max(split.classes.foregroundThreshold, floorThreshold);
    return split.classes.found;
}

// What the noise model expects of the input where the result is the signal,
// at noise level sigma times `level` (empty: one level): its mean, its
// variance, and the residual input - mean.
struct Expectation
{
    cv::Mat mean, variance, residual;
};

Expectation expectationOf(const cv::Mat &input, const cv::Mat &result, double sigma, double coils, const cv::Mat &level)
{
    Expectation out{cv::Mat(result.size(), CV_32FC1), cv::Mat(result.size(), CV_32FC1),
                    cv::Mat(result.size(), CV_32FC1)};
    for (int y = 0; y < result.rows; ++y) {
        const float *g = level.empty() ? nullptr : level.ptr<float>(y);
        const float *a = result.ptr<float>(y);
        const float *m = input.ptr<float>(y);
        float *e = out.mean.ptr<float>(y);
        float *v = out.variance.ptr<float>(y);
        float *r = out.residual.ptr<float>(y);
        for (int x = 0; x < result.cols; ++x) {
            const double local = g ? sigma * g[x] : sigma;
            const double signal = std::isfinite(a[x]) ? std::max(0.0f, a[x]) : 0.0;
            const double mean = local * chiMeanOverSigma(signal / local, coils);
            e[x] = static_cast<float>(mean);
            v[x] = static_cast<float>(std::max(0.0, signal * signal + 2.0 * coils * local * local - mean * mean));
            r[x] = std::isfinite(m[x]) && std::isfinite(a[x]) ? static_cast<float>(m[x] - mean) : kNaNFloat;
        }
    }
    return out;
}

// The residual's sums over the slices of a check.
struct ResidualSums
{
    Moments residual, expectedVariance, inputTissue, inputError, inputBackgroundEnergy, resultBackgroundEnergy;
    Pairs signalPairs, edgePairs, neighbourPairs;

    // One slice; `label` (CV_8SC1) receives each voxel's class for MRIQC's measures.
    void addSlice(const cv::Mat &input, const cv::Mat &result, const cv::Mat &smoothed, const TissueSplit &split,
                  const Expectation &expected, cv::Mat &label)
    {
        // Filters on finite copies: one NaN would spread over its neighbours' gradients and energies.
        const cv::Mat finiteResult = finiteCopy(result);
        const cv::Mat finiteResidual = finiteCopy(expected.residual);
        cv::Mat gradientX, gradientY, localEnergy;
        cv::Sobel(finiteResult, gradientX, CV_32F, 1, 0, 3, 1.0 / 8.0, 0, cv::BORDER_REFLECT);
        cv::Sobel(finiteResult, gradientY, CV_32F, 0, 1, 3, 1.0 / 8.0, 0, cv::BORDER_REFLECT);
        cv::blur(finiteResidual.mul(finiteResidual), localEnergy, cv::Size(3, 3), cv::Point(-1, -1), cv::BORDER_REFLECT);
        for (int y = 0; y < result.rows; ++y) {
            const float *a = result.ptr<float>(y);
            const float *m = input.ptr<float>(y);
            const float *e = expected.mean.ptr<float>(y);
            const float *v = expected.variance.ptr<float>(y);
            const float *r = expected.residual.ptr<float>(y);
            const float *below = y + 1 < result.rows ? expected.residual.ptr<float>(y + 1) : nullptr;
            const float *c = smoothed.ptr<float>(y);
            const float *belowSmoothed = y + 1 < result.rows ? smoothed.ptr<float>(y + 1) : nullptr;
            const float *gx = gradientX.ptr<float>(y);
            const float *gy = gradientY.ptr<float>(y);
            const float *energy = localEnergy.ptr<float>(y);
            signed char *l = label.ptr<signed char>(y);
            for (int x = 0; x < result.cols; ++x) {
                if (!std::isfinite(m[x]) || !std::isfinite(a[x]))
                    continue;
                const int tissueClass = split.classOf(c[x]);
                l[x] = static_cast<signed char>(tissueClass);
                if (tissueClass < 0) {
                    inputBackgroundEnergy.add(double(m[x]) * m[x]);
                    resultBackgroundEnergy.add(double(a[x]) * a[x]);
                    continue;
                }
                residual.add(r[x]);
                expectedVariance.add(v[x]);
                inputTissue.add(m[x]);
                // The input's expected squared error against a signal equal to the result.
                inputError.add(v[x] + (e[x] - a[x]) * (e[x] - a[x]));
                signalPairs.add(r[x], a[x]);
                edgePairs.add(energy[x], std::hypot(gx[x], gy[x]));
                if (x + 1 < result.cols && split.classOf(c[x + 1]) >= 0 && std::isfinite(r[x + 1]))
                    neighbourPairs.add(r[x], r[x + 1]);
                if (below && split.classOf(belowSmoothed[x]) >= 0 && std::isfinite(below[x]))
                    neighbourPairs.add(r[x], below[x]);
            }
        }
    }

    // Expected squared errors against the unknown signal. In the tissue: the
    // residual's excess over the noise model, plus the noise the result kept
    // (a result A + a n leaves the residual (1 - a) n: a = 1 - the residual's
    // share of the noise). In the background (signal 0): the values themselves.
    double estimatedGain(double residualToNoise) const
    {
        const double tissueCount = residual.count;
        const double backgroundCount = inputBackgroundEnergy.count;
        const double noiseVariance = expectedVariance.mean();
        const double kept = std::max(0.0, 1.0 - residualToNoise);
        const double residualSquares = residual.squares / residual.count;
        const double resultTissueError = std::max(residualSquares - noiseVariance, 0.0) + kept * kept * noiseVariance;
        const double inputMse = tissueCount * inputError.mean()
            + (backgroundCount > 0 ? backgroundCount * inputBackgroundEnergy.mean() : 0.0);
        const double resultMse = tissueCount * resultTissueError
            + (backgroundCount > 0 ? backgroundCount * resultBackgroundEnergy.mean() : 0.0);
        return resultMse > 0.0 ? 10.0 * std::log10(inputMse / resultMse) : kNaN;
    }
};

} // namespace

namespace {

// A slice larger than this is checked on a grid of blocks of kCheckBlock
// pixels spread evenly over it, each block a slice of its own: the check's
// dozen float images of a whole 8000 x 8000 picture took 3 GB.
constexpr std::size_t kCheckSlicePixels = std::size_t(1) << 20;
constexpr int kCheckBlock = 256;

void addCheckedParts(const cv::Mat &input, const cv::Mat &result, std::vector<cv::Mat> &inputs,
                     std::vector<cv::Mat> &results)
{
    if (input.total() <= kCheckSlicePixels) {
        inputs.push_back(asFloat(input));
        results.push_back(asFloat(result));
        return;
    }
    const int blockRows = std::min(kCheckBlock, input.rows);
    const int blockColumns = std::min(kCheckBlock, input.cols);
    const int blocks = static_cast<int>(kCheckSlicePixels / static_cast<std::size_t>(blockRows * blockColumns));
    const int down = std::max(1, std::min(input.rows / blockRows, static_cast<int>(std::sqrt(double(blocks)))));
    const int across = std::max(1, std::min(input.cols / blockColumns, blocks / down));
    for (int i = 0; i < down; ++i) {
        for (int j = 0; j < across; ++j) {
            const int top = down > 1 ? i * (input.rows - blockRows) / (down - 1) : (input.rows - blockRows) / 2;
            const int left = across > 1 ? j * (input.cols - blockColumns) / (across - 1) : (input.cols - blockColumns) / 2;
            const cv::Rect block(left, top, blockColumns, blockRows);
            inputs.push_back(asFloat(input(block).clone()));
            results.push_back(asFloat(result(block).clone()));
        }
    }
}

} // namespace

SelfCheck checkEnhancement(const std::vector<cv::Mat> &inputSlices, const std::vector<cv::Mat> &resultSlices,
                           double coils, double knownSigma)
{
    if (inputSlices.size() != resultSlices.size())
        throw EngineError("The self-check needs as many result slices as input slices.");
    std::vector<cv::Mat> inputs, results;
    for (std::size_t i = 0; i < inputSlices.size(); ++i) {
        if (inputSlices[i].size() != resultSlices[i].size())
            throw EngineError("The self-check needs a result of its input's size.");
        addCheckedParts(inputSlices[i], resultSlices[i], inputs, results);
    }
    // Measurements that filter or take medians see finite values (NaN outside a field of view: 0).
    std::vector<cv::Mat> finiteInputs, finiteResults;
    for (std::size_t i = 0; i < inputs.size(); ++i) {
        finiteInputs.push_back(finiteCopy(inputs[i]));
        finiteResults.push_back(finiteCopy(results[i]));
    }
    SelfCheck check;
    NoiseEstimate noise = measureInputNoise(finiteInputs, coils);
    if (knownSigma > 0.0) {
        noise.sigma = knownSigma;
        noise.coils = coils > 0.0 ? coils : noise.coils;
    }
    check.noiseSigma = noise.sigma;
    check.noiseCoils = noise.coils;
    if (inputs.empty() || !(check.noiseSigma > 0.0)) {
        check.reason = "no noise could be measured in the input";
        return check;
    }
    const NoiseMap levels = levelsOf(finiteInputs, finiteResults, noise);
    check.noiseLevelMinimum = levels.minimum();
    check.noiseLevelMaximum = levels.maximum();
    TissueSplit split;
    ResidualSums sums;
    std::vector<cv::Mat> labels;
    if (splitTissue(finiteInputs, noise, split)) {
        for (std::size_t s = 0; s < inputs.size(); ++s) {
            const auto expected = expectationOf(inputs[s], results[s], check.noiseSigma, check.noiseCoils,
                                                levels.slice(static_cast<int>(s), inputs[s].size()));
            labels.emplace_back(inputs[s].size(), CV_8SC1, cv::Scalar(kLeftOut));
            sums.addSlice(inputs[s], results[s], split.smoothed[s], split, expected, labels.back());
        }
    }
    if (sums.residual.count < 2.0) {
        check.reason = "no tissue could be told from the background in the input";
        return check;
    }
    check.input = qualityMeasures(inputs, labels);
    check.result = qualityMeasures(results, labels);
    check.residualToNoise = std::sqrt(sums.residual.squares / sums.residual.count / sums.expectedVariance.mean());
    check.residualSignalCorrelation = sums.signalPairs.correlation();
    check.residualEdgeCorrelation = sums.edgePairs.correlation();
    check.residualNeighbourCorrelation = sums.neighbourPairs.correlation();
    check.tissueBias = -sums.residual.mean() / sums.inputTissue.mean();
    const double resultSigma = measureInputNoise(finiteResults, check.noiseCoils).sigma;
    // Nothing measured: a background of zeros is clean (0); anything else is unknown.
    const bool cleanBackground = sums.resultBackgroundEnergy.count > 0.0
        && sums.resultBackgroundEnergy.mean() < 1e-4 * check.noiseSigma * check.noiseSigma;
    check.noiseLeft = resultSigma > 0.0 ? resultSigma / check.noiseSigma : cleanBackground ? 0.0 : kNaN;
    check.estimatedGain = sums.estimatedGain(check.residualToNoise);
    decide(check);
    return check;
}

cv::Mat residualOf(const cv::Mat &inputSlice, const cv::Mat &resultSlice, double sigma, double coils)
{
    const cv::Mat input = asFloat(inputSlice);
    const cv::Mat result = asFloat(resultSlice);
    if (input.size() != result.size())
        throw EngineError("The residual needs a result of its input's size.");
    if (!(sigma > 0.0))
        return input - result;
    return expectationOf(input, result, sigma, coils >= 1.0 ? coils : 1.0, cv::Mat()).residual;
}

SelfCheck checkEnhancement(const ScanVolume &input, const ScanVolume &result, double coils)
{
    if (input.size != result.size || input.voxels.size() != result.voxels.size())
        throw EngineError("The self-check needs a result of its input's size.");
    std::vector<cv::Mat> inputSlices, resultSlices;
    const int columns = input.size[0];
    const int rows = input.size[1];
    const std::size_t plane = static_cast<std::size_t>(columns) * rows;
    const std::size_t slices = plane == 0 ? 0 : input.voxels.size() / plane;
    for (std::size_t s = 0; s < slices; ++s) {
        inputSlices.emplace_back(rows, columns, CV_32FC1, const_cast<float *>(input.voxels.data() + s * plane));
        resultSlices.emplace_back(rows, columns, CV_32FC1, const_cast<float *>(result.voxels.data() + s * plane));
    }
    return checkEnhancement(inputSlices, resultSlices, coils);
}

} // namespace mri

namespace mri {

namespace {

struct NumericField
{
    const char *column;
    int decimals;
    std::function<double &(SelfCheck &)> value;
};

const std::vector<NumericField> &numericFields()
{
    static const std::vector<NumericField> fields{
        {"estimated_gain_dB", 2, [](SelfCheck &c) -> double & { return c.estimatedGain; }},
        {"residual_to_noise", 4, [](SelfCheck &c) -> double & { return c.residualToNoise; }},
        {"residual_edge_correlation", 4, [](SelfCheck &c) -> double & { return c.residualEdgeCorrelation; }},
        {"residual_signal_correlation", 4, [](SelfCheck &c) -> double & { return c.residualSignalCorrelation; }},
        {"residual_neighbour_correlation", 4, [](SelfCheck &c) -> double & { return c.residualNeighbourCorrelation; }},
        {"tissue_bias", 5, [](SelfCheck &c) -> double & { return c.tissueBias; }},
        {"noise_sigma", 6, [](SelfCheck &c) -> double & { return c.noiseSigma; }},
        {"noise_coils", 2, [](SelfCheck &c) -> double & { return c.noiseCoils; }},
        {"noise_level_min", 3, [](SelfCheck &c) -> double & { return c.noiseLevelMinimum; }},
        {"noise_level_max", 3, [](SelfCheck &c) -> double & { return c.noiseLevelMaximum; }},
        {"noise_left", 4, [](SelfCheck &c) -> double & { return c.noiseLeft; }},
        {"SNR_input", 4, [](SelfCheck &c) -> double & { return c.input.snr; }},
        {"SNR_result", 4, [](SelfCheck &c) -> double & { return c.result.snr; }},
        {"CNR_mriqc_input", 4, [](SelfCheck &c) -> double & { return c.input.cnr; }},
        {"CNR_mriqc_result", 4, [](SelfCheck &c) -> double & { return c.result.cnr; }},
        {"CJV_input", 4, [](SelfCheck &c) -> double & { return c.input.cjv; }},
        {"CJV_result", 4, [](SelfCheck &c) -> double & { return c.result.cjv; }},
        {"EFC_input", 4, [](SelfCheck &c) -> double & { return c.input.efc; }},
        {"EFC_result", 4, [](SelfCheck &c) -> double & { return c.result.efc; }},
    };
    return fields;
}

} // namespace

const std::vector<std::string> &selfCheckColumns()
{
    static const std::vector<std::string> columns = [] {
        std::vector<std::string> names{"verdict", "verdict_reason"};
        for (const auto &field : numericFields())
            names.emplace_back(field.column);
        return names;
    }();
    return columns;
}

std::vector<std::pair<std::string, std::string>> selfCheckFields(const SelfCheck &check)
{
    const bool checked = check.verdict != Verdict::NotChecked;
    std::vector<std::pair<std::string, std::string>> fields{{"verdict", verdictText(check.verdict)},
                                                            {"verdict_reason", check.reason}};
    SelfCheck copy = check;
    for (const auto &field : numericFields())
        fields.emplace_back(field.column, checked ? formatMetric(field.value(copy), field.decimals) : std::string());
    return fields;
}

bool setSelfCheckField(SelfCheck &check, const std::string &column, const std::string &text)
{
    if (column == "verdict") {
        check.verdict = verdictOf(text);
        return true;
    }
    if (column == "verdict_reason") {
        check.reason = text;
        return true;
    }
    for (const auto &field : numericFields()) {
        if (column == field.column) {
            field.value(check) = text.empty() ? std::numeric_limits<double>::quiet_NaN() : parseMetric(text);
            return true;
        }
    }
    return false;
}

} // namespace mri
