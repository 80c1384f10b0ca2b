#include "quality/Noise.h"

#include "base/EngineError.h"
#include "base/Text.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <iomanip>
#include <random>
#include <sstream>
#include <vector>

namespace mri {

namespace {

constexpr int kMaxCoils = 64;
constexpr double kMaxCorrelationPixels = 5.0;
constexpr int kMinZeroFill = 2;
constexpr int kMaxZeroFill = 4;
constexpr int kMaxSense = 8;

// The shortest text that reads back as the same double.
std::string shortestNumber(double value)
{
    for (int precision = 1; precision <= 17; ++precision) {
        std::ostringstream out;
        out << std::setprecision(precision) << value;
        if (std::strtod(out.str().c_str(), nullptr) == value)
            return out.str();
    }
    std::ostringstream out;
    out << std::setprecision(17) << value;
    return out.str();
}

std::optional<double> readNumber(const std::string &text)
{
    if (text.empty() || std::isspace(static_cast<unsigned char>(text.front())))
        return std::nullopt;
    char *end = nullptr;
    const double value = std::strtod(text.c_str(), &end);
    if (end != text.c_str() + text.size() || !std::isfinite(value))
        return std::nullopt;
    return value;
}

std::optional<int> readInteger(const std::string &text)
{
    const auto value = readNumber(text);
    if (!value || *value != std::floor(*value) || std::abs(*value) > 1e6
        || text.find_first_of(".eE") != std::string::npos)
        return std::nullopt;
    return static_cast<int>(*value);
}

} // namespace

std::string noiseModelName(NoiseModel model)
{
    switch (model) {
    case NoiseModel::Gaussian: return "gaussian";
    case NoiseModel::Rician: return "rician";
    }
    return "rician";
}

std::optional<NoiseModel> parseNoiseModel(const std::string &name)
{
    const std::string lower = lowerCase(name);
    if (lower == "gaussian")
        return NoiseModel::Gaussian;
    if (lower == "rician")
        return NoiseModel::Rician;
    return std::nullopt;
}

bool NoiseSpec::operator==(const NoiseSpec &other) const
{
    return model == other.model && coils == other.coils && correlationPixels == other.correlationPixels
        && zeroFillFactor == other.zeroFillFactor && senseAcceleration == other.senseAcceleration
        && jpegQuality == other.jpegQuality;
}

void checkNoiseSpec(const NoiseSpec &spec)
{
    if (spec.coils < 1 || spec.coils > kMaxCoils)
        throw EngineError("The number of coils must be between 1 and " + std::to_string(kMaxCoils) + ", not "
                          + std::to_string(spec.coils) + ".");
    if (spec.model == NoiseModel::Gaussian && spec.coils != 1)
        throw EngineError("Gaussian noise has no coils; use chi:N for multi-coil noise.");
    if (!(spec.correlationPixels >= 0.0 && spec.correlationPixels <= kMaxCorrelationPixels))
        throw EngineError("The noise correlation must be between 0 and " + shortestNumber(kMaxCorrelationPixels)
                          + " pixels, not " + shortestNumber(spec.correlationPixels) + ".");
    if (spec.zeroFillFactor < 1 || spec.zeroFillFactor > kMaxZeroFill)
        throw EngineError("The zero-fill factor must be between " + std::to_string(kMinZeroFill) + " and "
                          + std::to_string(kMaxZeroFill) + " (1 for no zero-fill), not "
                          + std::to_string(spec.zeroFillFactor) + ".");
    if (spec.zeroFillFactor > 1 && spec.correlationPixels > 0.0)
        throw EngineError("Zero-filled noise cannot also be correlated with a kernel, as both correlate it.");
    if (spec.senseAcceleration < 1 || spec.senseAcceleration > kMaxSense)
        throw EngineError("The SENSE acceleration must be between 1 and " + std::to_string(kMaxSense) + ", not "
                          + std::to_string(spec.senseAcceleration) + ".");
    if (spec.jpegQuality < 0 || spec.jpegQuality > 100)
        throw EngineError("The JPEG quality must be between 1 and 100 (0 for no JPEG), not "
                          + std::to_string(spec.jpegQuality) + ".");
}

namespace {

std::string noiseSyntax()
{
    return " (use rician, gaussian or chi:N, optionally +correlated:K or +zerofill:F, +sense:R and +jpeg:Q).";
}

// The kinds of part a noise specification has named so far: each may be named once.
struct NamedParts
{
    bool base = false;
    bool correlation = false;
    bool zeroFill = false;
    bool sense = false;
    bool jpeg = false;
};

void nameOnce(bool &named, const std::string &text, const std::string &part)
{
    if (named)
        throw EngineError("The noise specification \"" + text + "\" names " + part + " more than once.");
    named = true;
}

// One part of the noise specification `text` ("chi:8", "+correlated:1.2", ...) into `spec`.
void readNoisePart(const std::string &text, const std::string &part, NamedParts &named, NoiseSpec &spec)
{
    const std::string lower = lowerCase(part);
    const std::size_t colon = lower.find(':');
    const std::string name = lower.substr(0, colon);
    const std::string argument = colon == std::string::npos ? std::string() : lower.substr(colon + 1);
    const bool hasArgument = colon != std::string::npos;
    if (part.empty())
        throw EngineError("The noise specification \"" + text + "\" has an empty part" + noiseSyntax());
    if (name == "rician" || name == "gaussian" || name == "chi") {
        if (named.base)
            throw EngineError("The noise specification \"" + text
                              + "\" names more than one of rician, gaussian and chi:N.");
        named.base = true;
        if (name == "chi") {
            const auto coils = hasArgument ? readInteger(argument) : std::nullopt;
            if (!coils || *coils < 1 || *coils > kMaxCoils)
                throw EngineError("The noise part \"" + part + "\" needs a whole number of coils from 1 to "
                                  + std::to_string(kMaxCoils) + ", as in chi:8.");
            spec.model = NoiseModel::Rician;
            spec.coils = *coils;
        } else {
            if (hasArgument)
                throw EngineError("The noise part \"" + part + "\" takes no value.");
            spec.model = name == "gaussian" ? NoiseModel::Gaussian : NoiseModel::Rician;
        }
    } else if (name == "correlated") {
        nameOnce(named.correlation, text, "correlated");
        const auto pixels = hasArgument ? readNumber(argument) : std::nullopt;
        if (!pixels || !(*pixels > 0.0) || *pixels > kMaxCorrelationPixels)
            throw EngineError("The noise part \"" + part + "\" needs a kernel width above 0 and at most "
                              + shortestNumber(kMaxCorrelationPixels) + " pixels, as in correlated:1.2.");
        spec.correlationPixels = *pixels;
    } else if (name == "zerofill") {
        nameOnce(named.zeroFill, text, "zerofill");
        const auto factor = hasArgument ? readInteger(argument) : std::nullopt;
        if (!factor || *factor < kMinZeroFill || *factor > kMaxZeroFill)
            throw EngineError("The noise part \"" + part + "\" needs a whole zero-fill factor from "
                              + std::to_string(kMinZeroFill) + " to " + std::to_string(kMaxZeroFill)
                              + ", as in zerofill:2.");
        spec.zeroFillFactor = *factor;
    } else if (name == "sense") {
        nameOnce(named.sense, text, "sense");
        const auto acceleration = hasArgument ? readInteger(argument) : std::nullopt;
        if (!acceleration || *acceleration < 1 || *acceleration > kMaxSense)
            throw EngineError("The noise part \"" + part + "\" needs a whole SENSE acceleration from 1 to "
                              + std::to_string(kMaxSense) + ", as in sense:2.");
        spec.senseAcceleration = *acceleration;
    } else if (name == "jpeg") {
        nameOnce(named.jpeg, text, "jpeg");
        const auto quality = hasArgument ? readInteger(argument) : std::nullopt;
        if (!quality || *quality < 1 || *quality > 100)
            throw EngineError("The noise part \"" + part + "\" needs a whole JPEG quality from 1 to 100, as in jpeg:75.");
        spec.jpegQuality = *quality;
    } else {
        throw EngineError("The noise part \"" + part + "\" is not known" + noiseSyntax());
    }
}

} // namespace

NoiseSpec parseNoiseSpec(const std::string &text)
{
    if (text.empty())
        throw EngineError("The noise specification is empty" + noiseSyntax());
    NoiseSpec spec;
    NamedParts named;
    std::size_t start = 0;
    while (start <= text.size()) {
        const std::size_t plus = std::min(text.find('+', start), text.size());
        readNoisePart(text, text.substr(start, plus - start), named, spec);
        start = plus + 1;
        if (plus == text.size())
            break;
    }
    if (named.correlation && named.zeroFill)
        throw EngineError("The noise specification \"" + text + "\" names both correlated:K and zerofill:F, "
                          + "two ways of correlating the noise that do not combine.");
    return spec;
}

std::string noiseSpecName(const NoiseSpec &spec)
{
    std::string name = spec.model == NoiseModel::Gaussian ? "gaussian"
                       : spec.coils == 1                  ? "rician"
                                                          : "chi:" + std::to_string(spec.coils);
    if (spec.correlationPixels > 0.0)
        name += "+correlated:" + shortestNumber(spec.correlationPixels);
    if (spec.zeroFillFactor > 1)
        name += "+zerofill:" + std::to_string(spec.zeroFillFactor);
    if (spec.senseAcceleration > 1)
        name += "+sense:" + std::to_string(spec.senseAcceleration);
    if (spec.jpegQuality > 0)
        name += "+jpeg:" + std::to_string(spec.jpegQuality);
    return name;
}

namespace {

double depthRange(int depth)
{
    return depth == CV_8U ? 255.0 : depth == CV_16U ? 65535.0 : 1.0;
}

// Independent pixels: the normals are drawn pixel by pixel (for chi:N the real
// then imaginary part of each coil), so plain Rician and Gaussian noise stay
// what they were before chi and correlation existed. `gain` (CV_64FC1, or
// empty for 1) multiplies each pixel's normals: the SENSE g-factor.
template<typename T>
void addIndependentNoise(cv::Mat &image, double range, const NoiseSpec &spec, double sigma, const cv::Mat &gain,
                         std::uint64_t seed)
{
    std::mt19937_64 generator(seed);
    std::normal_distribution<double> normal(0.0, sigma);
    const double coilShare = 1.0 / std::sqrt(static_cast<double>(spec.coils));
    // Channels are treated as independent samples: one flat row per image row.
    const int channels = image.channels();
    const int width = image.cols * channels;
    for (int r = 0; r < image.rows; ++r) {
        T *row = image.ptr<T>(r);
        const double *gainRow = gain.empty() ? nullptr : gain.ptr<double>(r);
        for (int c = 0; c < width; ++c) {
            const double x = static_cast<double>(row[c]) / range;
            const double g = gainRow ? gainRow[c / channels] : 1.0;
            double noisy = 0.0;
            if (spec.model == NoiseModel::Gaussian) {
                noisy = x + g * normal(generator);
            } else {
                double sumOfSquares = 0.0;
                for (int coil = 0; coil < spec.coils; ++coil) {
                    const double real = x * coilShare + g * normal(generator);
                    const double imaginary = g * normal(generator);
                    sumOfSquares += real * real + imaginary * imaginary;
                }
                noisy = std::sqrt(sumOfSquares);
            }
            row[c] = cv::saturate_cast<T>(noisy * range);
        }
    }
}

// One noise field of std sigma per pixel, filtered with a Gaussian kernel of
// std `pixels` and rescaled to keep std sigma.
cv::Mat correlatedField(int rows, int cols, int channels, double sigma, double pixels, std::mt19937_64 &generator)
{
    cv::Mat field(rows, cols, CV_64FC(channels));
    std::normal_distribution<double> normal(0.0, sigma);
    for (int r = 0; r < rows; ++r) {
        double *row = field.ptr<double>(r);
        for (int c = 0; c < cols * channels; ++c)
            row[c] = normal(generator);
    }
    const int ksize = 2 * static_cast<int>(std::ceil(4.0 * pixels)) + 1;
    const cv::Mat kernel = cv::getGaussianKernel(ksize, pixels, CV_64F);
    const double squares1d = kernel.dot(kernel);   // the 2-D kernel is separable: its sum of squares is this squared
    cv::Mat blurred;
    cv::GaussianBlur(field, blurred, cv::Size(ksize, ksize), pixels, pixels, cv::BORDER_REFLECT);
    return blurred / squares1d;
}

// One coil's complex noise for every image channel (CV_64FC(channels) each);
// `imaginary` is empty where only the real part was asked for.
struct ComplexNoise
{
    cv::Mat real;
    cv::Mat imaginary;
};

// zerofill:F for one coil: white complex noise on the acquired matrix, its
// k-space zero-padded to rows x cols and transformed back, each channel's own.
ComplexNoise zeroFilledNoise(int rows, int cols, int channels, double sigma, int factor,
                             std::mt19937_64 &generator)
{
    const int acquiredRows = (rows + factor - 1) / factor;
    const int acquiredCols = (cols + factor - 1) / factor;
    // Frequencies 0 .. ceil(n/2)-1 are at the start of a DFT, the negative ones
    // (an even size's Nyquist among them) at the end; padding goes between them.
    const int lowRows = (acquiredRows + 1) / 2, highRows = acquiredRows - lowRows;
    const int lowCols = (acquiredCols + 1) / 2, highCols = acquiredCols - lowCols;
    const std::array<std::pair<int, int>, 2> rowBlocks{{{0, 0}, {lowRows, rows - highRows}}};
    const std::array<std::pair<int, int>, 2> colBlocks{{{0, 0}, {lowCols, cols - highCols}}};
    const std::array<int, 2> rowCounts{lowRows, highRows}, colCounts{lowCols, highCols};
    // The unscaled inverse DFT multiplies a constant by the acquired pixel count:
    // dividing by it keeps the image's amplitude and each pixel's noise std.
    const double scale = 1.0 / (static_cast<double>(acquiredRows) * acquiredCols);

    std::normal_distribution<double> normal(0.0, sigma);
    std::vector<cv::Mat> reals, imaginaries;
    for (int channel = 0; channel < channels; ++channel) {
        cv::Mat acquired(acquiredRows, acquiredCols, CV_64FC2);
        for (int r = 0; r < acquiredRows; ++r) {
            double *row = acquired.ptr<double>(r);
            for (int c = 0; c < 2 * acquiredCols; ++c) // real, imaginary, real, ...
                row[c] = normal(generator);
        }
        cv::Mat spectrum;
        cv::dft(acquired, spectrum);
        cv::Mat padded = cv::Mat::zeros(rows, cols, CV_64FC2);
        for (int i = 0; i < 2; ++i)
            for (int j = 0; j < 2; ++j)
                if (rowCounts[i] > 0 && colCounts[j] > 0)
                    spectrum(cv::Rect(colBlocks[j].first, rowBlocks[i].first, colCounts[j], rowCounts[i]))
                        .copyTo(padded(cv::Rect(colBlocks[j].second, rowBlocks[i].second, colCounts[j], rowCounts[i])));
        cv::Mat field;
        cv::dft(padded, field, cv::DFT_INVERSE);
        cv::Mat planes[2];
        cv::split(field * scale, planes);
        reals.push_back(planes[0]);
        imaginaries.push_back(planes[1]);
    }
    ComplexNoise noise;
    cv::merge(reals, noise.real);
    cv::merge(imaginaries, noise.imaginary);
    return noise;
}

// Correlated or zero-filled noise, a field at a time, times the g-factor `gain`
// (CV_64FC1, or empty for 1) after the correlation, so that sigma * g stays
// each pixel's std.
cv::Mat structuredNoise(const cv::Mat &clean, const NoiseSpec &spec, double sigma, const cv::Mat &gain,
                        std::uint64_t seed)
{
    const double range = depthRange(clean.depth());
    cv::Mat x;
    clean.convertTo(x, CV_64F, 1.0 / range);
    std::mt19937_64 generator(seed);
    cv::Mat gainChannels;
    if (!gain.empty())
        cv::merge(std::vector<cv::Mat>(static_cast<std::size_t>(clean.channels()), gain), gainChannels);
    const auto amplified = [&](const cv::Mat &field) {
        return gainChannels.empty() || field.empty() ? field : cv::Mat(field.mul(gainChannels));
    };
    // One coil's noise; the correlated fields are drawn real first, as before zero-fill existed.
    const auto coilNoise = [&](bool needImaginary) {
        ComplexNoise noise;
        if (spec.zeroFillFactor > 1) {
            noise = zeroFilledNoise(clean.rows, clean.cols, clean.channels(), sigma, spec.zeroFillFactor, generator);
        } else {
            noise.real = correlatedField(clean.rows, clean.cols, clean.channels(), sigma, spec.correlationPixels,
                                         generator);
            if (needImaginary)
                noise.imaginary = correlatedField(clean.rows, clean.cols, clean.channels(), sigma,
                                                  spec.correlationPixels, generator);
        }
        return ComplexNoise{amplified(noise.real), amplified(noise.imaginary)};
    };
    cv::Mat noisy;
    if (spec.model == NoiseModel::Gaussian) {
        noisy = x + coilNoise(false).real;
    } else {
        const cv::Mat share = x / std::sqrt(static_cast<double>(spec.coils));
        cv::Mat sumOfSquares = cv::Mat::zeros(x.size(), x.type());
        for (int coil = 0; coil < spec.coils; ++coil) {
            const ComplexNoise noise = coilNoise(true);
            const cv::Mat real = share + noise.real;
            sumOfSquares += real.mul(real) + noise.imaginary.mul(noise.imaginary);
        }
        cv::sqrt(sumOfSquares, noisy);
    }
    cv::Mat result;
    noisy.convertTo(result, clean.type(), range);
    return result;
}

cv::Mat jpegRoundTrip(const cv::Mat &image, int quality)
{
    if (image.channels() != 1 && image.channels() != 3)
        throw EngineError("JPEG noise needs a grey or colour image, not one with " + std::to_string(image.channels())
                          + " channels.");
    const double range = depthRange(image.depth());
    cv::Mat eight;
    image.convertTo(eight, CV_8U, 255.0 / range);
    std::vector<uchar> bytes;
    if (!cv::imencode(".jpg", eight, bytes, {cv::IMWRITE_JPEG_QUALITY, quality}))
        throw EngineError("The image could not be JPEG-encoded for the jpeg noise.");
    const cv::Mat decoded = cv::imdecode(bytes, image.channels() == 1 ? cv::IMREAD_GRAYSCALE : cv::IMREAD_COLOR);
    if (decoded.empty())
        throw EngineError("The JPEG-encoded image could not be decoded for the jpeg noise.");
    cv::Mat result;
    decoded.convertTo(result, image.type(), range / 255.0);
    return result;
}

} // namespace

cv::Mat addNoise(const cv::Mat &clean, const NoiseSpec &spec, double sigma, std::uint64_t seed)
{
    const int depth = clean.depth();
    if (depth != CV_8U && depth != CV_16U && depth != CV_32F)
        throw EngineError("Noise can only be added to 8-bit, 16-bit or 32-bit float images.");
    if (!(sigma >= 0.0) || !std::isfinite(sigma))
        throw EngineError("The noise level must be a finite, non-negative fraction of the intensity range.");
    checkNoiseSpec(spec);
    cv::Mat gain; // empty: g = 1 everywhere
    if (spec.senseAcceleration > 1 && !clean.empty())
        senseGFactorMap(clean.size(), spec.senseAcceleration).convertTo(gain, CV_64F);
    cv::Mat noisy;
    if (sigma == 0.0) { // normal_distribution requires a positive deviation
        noisy = clean.clone();
    } else if (spec.correlationPixels > 0.0 || spec.zeroFillFactor > 1) {
        noisy = structuredNoise(clean, spec, sigma, gain, seed);
    } else {
        noisy = clean.clone();
        if (depth == CV_8U)
            addIndependentNoise<std::uint8_t>(noisy, 255.0, spec, sigma, gain, seed);
        else if (depth == CV_16U)
            addIndependentNoise<std::uint16_t>(noisy, 65535.0, spec, sigma, gain, seed);
        else
            addIndependentNoise<float>(noisy, 1.0, spec, sigma, gain, seed);
    }
    if (spec.jpegQuality > 0)
        noisy = jpegRoundTrip(noisy, spec.jpegQuality);
    return noisy;
}

cv::Mat addNoise(const cv::Mat &clean, NoiseModel model, double sigma, std::uint64_t seed)
{
    NoiseSpec spec;
    spec.model = model;
    return addNoise(clean, spec, sigma, seed);
}

double senseMaxGFactor(int acceleration)
{
    if (acceleration < 1 || acceleration > kMaxSense)
        throw EngineError("The SENSE acceleration must be between 1 and " + std::to_string(kMaxSense) + ", not "
                          + std::to_string(acceleration) + ".");
    return 1.0 + 0.25 * (acceleration - 1);
}

cv::Mat senseGFactorMap(cv::Size size, int acceleration)
{
    const double excess = senseMaxGFactor(acceleration) - 1.0;
    if (size.width < 1 || size.height < 1)
        throw EngineError("The g-factor map needs a field of view of at least one pixel.");
    // A Hann window: 0 on the first and last pixel, 1 in the middle.
    const auto hann = [](int length) {
        std::vector<double> window(static_cast<std::size_t>(length), 1.0);
        for (int i = 0; length > 1 && i < length; ++i) {
            const double s = std::sin(M_PI * i / (length - 1));
            window[static_cast<std::size_t>(i)] = s * s;
        }
        return window;
    };
    const std::vector<double> down = hann(size.height), across = hann(size.width);
    cv::Mat map(size, CV_32FC1);
    for (int r = 0; r < size.height; ++r) {
        float *row = map.ptr<float>(r);
        const double rowShare = excess * down[static_cast<std::size_t>(r)];
        for (int c = 0; c < size.width; ++c)
            row[c] = static_cast<float>(1.0 + rowShare * across[static_cast<std::size_t>(c)]);
    }
    return map;
}

} // namespace mri
