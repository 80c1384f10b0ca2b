#include "quality/NoiseFloor.h"

#include "base/EngineError.h"
#include "io/ImageIO.h"
#include "quality/ChiDistribution.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <memory>
#include <vector>

namespace mri {

namespace {

// The prediction's error in the background has a heavier upper tail than a
// Gaussian of its MAD (INIA19 at 5 %: the 99th percentile 5 MADs above the
// median, 1 to 5 % of the pixels beyond 3), and those pixels became a raised
// floor; the upper tail sets tau, within 1 to 3 times the MAD's spread so
// that bright ghosts in the mask cannot flatten faint tissue.
constexpr double kUpperTailQuantile = 0.99;
constexpr double kUpperTailZ = 2.326;
constexpr double kMaxTailOverMad = 3.0;
constexpr int kMaxLag = 6;
constexpr double kBlindSpotCorrelation = 0.3;

double laplacianSigma(const cv::Mat &image);

// Immerkaer's estimate over the blocks of a sample mosaic, each block's inner
// pixels only (their 3x3 neighbourhood lies inside the block).
double laplacianSigma(const cv::Mat &image, int blockRows, int blockColumns)
{
    const cv::Mat kernel = (cv::Mat_<float>(3, 3) << 1, -2, 1, -2, 4, -2, 1, -2, 1);
    cv::Mat response;
    cv::filter2D(image, response, CV_32F, kernel);
    double sum = 0.0;
    double area = 0.0;
    for (int y = 0; y + blockRows <= image.rows; y += blockRows) {
        for (int x = 0; x + blockColumns <= image.cols; x += blockColumns) {
            const cv::Rect inner(x + 1, y + 1, blockColumns - 2, blockRows - 2);
            sum += cv::sum(cv::abs(response(inner)))[0];
            area += inner.area();
        }
    }
    return area > 0.0 ? std::sqrt(M_PI / 2.0) * sum / (6.0 * area) : 0.0;
}

double laplacianSigma(const cv::Mat &image)
{
    // Immerkaer (1996): sigma = sqrt(pi/2) / (6 (W-2)(H-2)) * sum |I * N|.
    const cv::Mat kernel = (cv::Mat_<float>(3, 3) << 1, -2, 1, -2, 4, -2, 1, -2, 1);
    cv::Mat response;
    cv::filter2D(image, response, CV_32F, kernel);
    const cv::Rect inner(1, 1, image.cols - 2, image.rows - 2);
    return std::sqrt(M_PI / 2.0) * cv::sum(cv::abs(response(inner)))[0] / (6.0 * inner.area());
}


// Grey levels between the quartiles below which N is not estimated.
constexpr double kFewLevels = 8.0;

// 1/255 or 1/65535 when the values are 8- or 16-bit levels scaled to [0, 1]
// (checked on a sample), else 0.
double quantisationStep(const std::vector<float> &values)
{
    for (const double levels : {255.0, 65535.0}) {
        bool quantised = true;
        for (std::size_t i = 0; i < values.size() && quantised; i += std::max<std::size_t>(1, values.size() / 2000)) {
            const double scaled = values[i] * levels;
            quantised = std::abs(scaled - std::round(scaled)) < 1e-3 * std::max(1.0, levels / 255.0);
        }
        if (quantised)
            return 1.0 / levels;
    }
    return 0.0;
}

std::vector<float> maskedValues(const cv::Mat &image, const cv::Mat &mask)
{
    std::vector<float> values;
    values.reserve(static_cast<std::size_t>(cv::countNonZero(mask)));
    for (int y = 0; y < image.rows; ++y) {
        const auto *inside = mask.ptr<unsigned char>(y);
        const auto *pixel = image.ptr<float>(y);
        for (int x = 0; x < image.cols; ++x) {
            if (inside[x])
                values.push_back(pixel[x]);
        }
    }
    return values;
}

double quantile(std::vector<float> &values, double p)
{
    const auto at = values.begin() + static_cast<std::ptrdiff_t>(p * (values.size() - 1) + 0.5);
    std::nth_element(values.begin(), at, values.end());
    return *at;
}

double median(std::vector<float> values)
{
    return quantile(values, 0.5);
}

// Normalised autocorrelation of the background at lag (dx, dy), over pairs both inside.
double backgroundCorrelation(const cv::Mat &image, const cv::Mat &mask, double mean, double variance, int dx, int dy)
{
    double sum = 0.0;
    std::size_t pairs = 0;
    for (int y = 0; y + dy < image.rows; ++y) {
        const auto *inside = mask.ptr<unsigned char>(y);
        const auto *insideShifted = mask.ptr<unsigned char>(y + dy);
        const auto *pixel = image.ptr<float>(y);
        const auto *pixelShifted = image.ptr<float>(y + dy);
        for (int x = 0; x + dx < image.cols; ++x) {
            if (inside[x] && insideShifted[x + dx]) {
                sum += (pixel[x] - mean) * (pixelShifted[x + dx] - mean);
                ++pairs;
            }
        }
    }
    return pairs > 0 && variance > 0.0 ? sum / pairs / variance : 0.0;
}

void checkImage(const cv::Mat &image, const char *what)
{
    if (image.empty() || image.type() != CV_32FC1)
        throw EngineError(std::string(what) + " needs a non-empty single-channel float image.");
}

} // namespace


cv::Mat backgroundMask(const cv::Mat &magnitude)
{
    checkImage(magnitude, "Noise estimation");
    if (magnitude.rows < 16 || magnitude.cols < 16)
        return {};
    cv::Mat localMean;
    cv::blur(magnitude, localMean, cv::Size(7, 7), cv::Point(-1, -1), cv::BORDER_REFLECT);
    double low = 0.0;
    double high = 0.0;
    cv::minMaxLoc(localMean, &low, &high);
    if (!(high > low))
        return {};
    cv::Mat scaled;
    localMean.convertTo(scaled, CV_8U, 255.0 / (high - low), -low * 255.0 / (high - low));
    cv::Mat background;
    cv::threshold(scaled, background, 0, 255, cv::THRESH_BINARY_INV | cv::THRESH_OTSU);
    // Otsu splits bright from dark; dark tissue (below the brightest parts' threshold)
    // can fall on the dark side. The true background is most of it: keep the pixels whose
    // local mean lies within 5 robust standard deviations of the median local mean there.
    std::vector<float> means = maskedValues(localMean, background);
    if (means.size() >= 16) {
        const double centre = median(means);
        for (float &value : means)
            value = static_cast<float>(std::abs(value - centre));
        const double spread = 1.4826 * median(std::move(means));
        cv::Mat near;
        cv::compare(localMean, centre + 5.0 * spread, near, cv::CMP_LE);
        background &= near;
    }
    cv::erode(background, background, cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(9, 9)));
    const auto inside = static_cast<std::size_t>(cv::countNonZero(background));
    if (inside < std::max<std::size_t>(256, magnitude.total() / 50))
        return {};
    return background;
}

namespace {

// Blocks of a sample mosaic (NoiseSample); 0: the magnitude is the whole slice.
struct Blocks
{
    int rows = 0;
    int columns = 0;
};

// estimateNoise() with the background mask already found (the floor removal needs it twice).
NoiseEstimate measureNoise(const cv::Mat &magnitude, const cv::Mat &mask, double coils, Blocks blocks = {})
{
    NoiseEstimate estimate;
    estimate.coils = coils > 0.0 ? coils : 1.0;
    if (mask.empty()) { // a slice filled by tissue: the whole image
        if (blocks.rows > 0)
            estimate.sigma = blocks.rows >= 3 && blocks.columns >= 3
                ? laplacianSigma(magnitude, blocks.rows, blocks.columns) : 0.0;
        else
            estimate.sigma = magnitude.rows >= 3 && magnitude.cols >= 3 ? laplacianSigma(magnitude) : 0.0;
        return estimate;
    }
    const std::vector<float> values = maskedValues(magnitude, mask);
    estimate.backgroundPixels = values.size();
    double sum = 0.0;
    double sumSquares = 0.0;
    for (const float value : values) {
        sum += value;
        sumSquares += static_cast<double>(value) * value;
    }
    const double mean = sum / values.size();
    const double meanSquare = sumSquares / values.size();
    std::vector<float> sorted = values;
    const double middle = quantile(sorted, 0.5);
    if (coils <= 0.0) {
        const double gap = quantile(sorted, 0.75) - quantile(sorted, 0.25);
        // Noise of a few grey levels: quantised quartiles say nothing about N
        // (equal quartiles would read as 64 coils); keep the Rician floor.
        const double step = quantisationStep(values);
        if (step > 0.0 && gap < kFewLevels * step) {
            estimate.coils = 1.0;
        } else {
            estimate.coils = coilsFromQuartileSpread(middle > 0.0 ? gap / middle : 1.0);
            estimate.coilsEstimated = true;
        }
    }
    estimate.sigma = middle / chiQuantileOverSigma(estimate.coils, 0.5);

    const double variance = meanSquare - mean * mean;
    for (int lag = 1; lag <= kMaxLag; ++lag) {
        const double magnitudeCorrelation = 0.5 * (backgroundCorrelation(magnitude, mask, mean, variance, lag, 0)
                                                   + backgroundCorrelation(magnitude, mask, mean, variance, 0, lag));
        estimate.correlation.push_back(complexCorrelation(magnitudeCorrelation, estimate.coils));
    }
    estimate.blindSpotRadius = kMaxLag;
    for (int lag = 1; lag <= kMaxLag; ++lag) {
        if (estimate.correlation[lag - 1] < kBlindSpotCorrelation) {
            estimate.blindSpotRadius = lag - 1;
            break;
        }
    }
    return estimate;
}

constexpr int kSampleBlock = 256;
// Mask pixels this close to a block's edge are dropped: the 7x7 local mean
// (radius 3) and the 9x9 erosion (radius 4) saw the neighbouring block there.
// Pairs for the correlation (lags <= 6) then never straddle two blocks.
constexpr int kSampleEdge = 8;

// Where the blocks of the sample lie: a grid spread evenly over the slice.
struct NoiseSampleLayout
{
    Blocks blocks;
    std::vector<int> rowStarts;
    std::vector<int> columnStarts;
};

std::vector<int> spreadStarts(int length, int block, int count)
{
    std::vector<int> starts;
    if (count == 1)
        return {(length - block) / 2};
    for (int i = 0; i < count; ++i)
        starts.push_back(static_cast<int>(static_cast<long long>(i) * (length - block) / (count - 1)));
    return starts;
}

NoiseSampleLayout sampleLayout(cv::Size size)
{
    NoiseSampleLayout layout;
    layout.blocks.rows = std::min(kSampleBlock, size.height);
    layout.blocks.columns = std::min(kSampleBlock, size.width);
    const double blocksWanted = static_cast<double>(kNoiseSamplePixels) / (layout.blocks.rows * layout.blocks.columns);
    const int perAxis = static_cast<int>(std::ceil(std::sqrt(blocksWanted)));
    layout.rowStarts = spreadStarts(size.height, layout.blocks.rows,
                                    std::max(1, std::min(perAxis, size.height / layout.blocks.rows)));
    layout.columnStarts = spreadStarts(size.width, layout.blocks.columns,
                                       std::max(1, std::min(perAxis, size.width / layout.blocks.columns)));
    return layout;
}

// The blocks side by side in one float image; 8- and 16-bit slices scaled to
// [0, 1] as toUnitFloat() does.
cv::Mat sampleMosaic(const cv::Mat &image, const NoiseSampleLayout &layout)
{
    const int rows = layout.blocks.rows;
    const int columns = layout.blocks.columns;
    cv::Mat mosaic(rows * static_cast<int>(layout.rowStarts.size()),
                   columns * static_cast<int>(layout.columnStarts.size()), CV_32FC1);
    const double scale = image.depth() == CV_32F ? 1.0 : 1.0 / dataRangeOf(image);
    for (std::size_t i = 0; i < layout.rowStarts.size(); ++i) {
        for (std::size_t j = 0; j < layout.columnStarts.size(); ++j) {
            const cv::Mat block = image(cv::Rect(layout.columnStarts[j], layout.rowStarts[i], columns, rows));
            cv::Mat target = mosaic(cv::Rect(static_cast<int>(j) * columns, static_cast<int>(i) * rows, columns, rows));
            block.convertTo(target, CV_32F, scale);
        }
    }
    return mosaic;
}

// backgroundMask() of the mosaic without the pixels near a block's edge.
cv::Mat sampleMask(const cv::Mat &mosaic, Blocks blocks)
{
    cv::Mat mask = backgroundMask(mosaic);
    if (mask.empty())
        return mask;
    for (int y = 0; y < mask.rows; ++y) {
        auto *inside = mask.ptr<unsigned char>(y);
        const int blockY = y % blocks.rows;
        if (blockY < kSampleEdge || blockY >= blocks.rows - kSampleEdge) {
            std::fill_n(inside, mask.cols, 0);
            continue;
        }
        for (int x = 0; x < mask.cols; x += blocks.columns) {
            std::fill_n(inside + x, std::min(kSampleEdge, blocks.columns), 0);
            const int tail = std::max(x, x + blocks.columns - kSampleEdge);
            std::fill(inside + tail, inside + x + blocks.columns, 0);
        }
    }
    return cv::countNonZero(mask) > 0 ? mask : cv::Mat();
}

bool sampled(const cv::Mat &image)
{
    return image.total() > kNoiseSamplePixels;
}

void checkSlice(const cv::Mat &image)
{
    if (image.empty() || image.channels() != 1
        || (image.depth() != CV_8U && image.depth() != CV_16U && image.depth() != CV_32F))
        throw EngineError("Noise estimation needs a non-empty 8-, 16-bit or float single-channel image.");
}

// The noise of a slice (checked) and, with `prediction`, the prediction's
// spread in the same background: on the whole slice up to the threshold, on
// the sample above it.
// A prediction's median and its error's scale inside a mask.
struct MaskedSpread
{
    double median = 0.0;
    double spread = 0.0;
};
MaskedSpread maskedSpread(const cv::Mat &prediction, const cv::Mat &mask)
{
    std::vector<float> values = maskedValues(prediction, mask);
    MaskedSpread result;
    result.median = median(values);
    const double upperTail = (quantile(values, kUpperTailQuantile) - result.median) / kUpperTailZ;
    for (float &value : values)
        value = static_cast<float>(std::abs(value - result.median));
    const double mad = 1.4826 * median(std::move(values));
    result.spread = std::clamp(upperTail, mad, kMaxTailOverMad * mad);
    return result;
}

// The prediction's spread in the background and where its floor sits
// against the one the measured noise implies.
void measurePrediction(const cv::Mat &prediction, const cv::Mat &mask, const NoiseEstimate &noise, FloorMeasure &measure)
{
    const MaskedSpread spread = maskedSpread(prediction, mask);
    measure.predictionError = spread.spread;
    const double floor = noise.sigma * floorOverSigma(noise.coils);
    measure.floorRatio = floor > 0.0 && std::isfinite(spread.median / floor) ? spread.median / floor : 1.0;
}

// The noise of a slice (checked) and, with `prediction`, the prediction's
// spread and floor in the same background: on the whole slice up to the
// threshold, on the sample above it.
FloorMeasure measureSlice(const cv::Mat &slice, double coils, const cv::Mat *prediction)
{
    FloorMeasure measure;
    if (!sampled(slice)) {
        const cv::Mat unit = slice.depth() == CV_32F ? slice : toUnitFloat(slice);
        const cv::Mat mask = backgroundMask(unit);
        measure.noise = measureNoise(unit, mask, coils);
        if (prediction && measure.noise.backgroundPixels > 0)
            measurePrediction(*prediction, mask, measure.noise, measure);
        return measure;
    }
    const auto layout = sampleLayout(slice.size());
    cv::Mat mask;
    {
        const cv::Mat sample = sampleMosaic(slice, layout);
        mask = sampleMask(sample, layout.blocks);
        measure.noise = measureNoise(sample, mask, coils, layout.blocks);
    }
    if (prediction && measure.noise.backgroundPixels > 0)
        measurePrediction(sampleMosaic(*prediction, layout), mask, measure.noise, measure);
    return measure;
}

// removeNoiseFloor() on the image itself, row by row.
void applyFloorRemoval(cv::Mat &signal, double sigma, double coils, double predictionError)
{
    if (!(sigma > 0.0) || !std::isfinite(sigma) || signal.empty())
        return;
    const auto table = inverseTable(coils, predictionError / sigma);
    const double scale = 1.0 / sigma;
    cv::parallel_for_(cv::Range(0, signal.rows), [&](const cv::Range &range) {
        for (int y = range.start; y < range.end; ++y) {
            float *value = signal.ptr<float>(y);
            for (int x = 0; x < signal.cols; ++x)
                value[x] = static_cast<float>(sigma * table->apply(value[x] * scale));
        }
    });
}

} // namespace

NoiseEstimate estimateNoise(const cv::Mat &magnitude, double coils)
{
    checkImage(magnitude, "Noise estimation");
    if (coils > 0.0)
        checkCoils(coils);
    return measureSlice(magnitude, coils, nullptr).noise;
}

NoiseEstimate measureSliceNoise(const cv::Mat &slice, double coils)
{
    checkSlice(slice);
    if (coils > 0.0)
        checkCoils(coils);
    return measureSlice(slice, coils, nullptr).noise;
}

cv::Mat removeNoiseFloor(const cv::Mat &expectedMagnitude, double sigma, double coils, double predictionError)
{
    if (expectedMagnitude.type() != CV_32FC1)
        throw EngineError("Noise floor removal needs a single-channel float image.");
    checkCoils(coils);
    if (!(predictionError >= 0.0) || !std::isfinite(predictionError))
        throw EngineError("The prediction error for noise floor removal must be a finite number of at least 0.");
    cv::Mat signal = expectedMagnitude.clone();
    applyFloorRemoval(signal, sigma, coils, predictionError);
    return signal;
}

double estimatePredictionError(const cv::Mat &prediction, const cv::Mat &backgroundMask)
{
    if (backgroundMask.empty() || cv::countNonZero(backgroundMask) == 0)
        return 0.0;
    checkImage(prediction, "Prediction error estimation");
    if (backgroundMask.type() != CV_8UC1 || backgroundMask.size() != prediction.size())
        throw EngineError("The background mask must be an 8-bit single-channel image of the prediction's size.");
    return maskedSpread(prediction, backgroundMask).spread;
}

double estimateRicianSigma(const cv::Mat &magnitude)
{
    return estimateNoise(magnitude, 1.0).sigma;
}

cv::Mat removeRicianBias(const cv::Mat &expectedMagnitude, double sigma)
{
    return removeNoiseFloor(expectedMagnitude, sigma, 1.0, 0.0);
}

FloorRemoval removeNoiseFloorOf(const cv::Mat &prediction, const cv::Mat &noisyInput, double coils, bool smooth)
{
    checkImage(noisyInput, "Noise estimation");
    cv::Mat signal = prediction.clone();
    FloorRemoval removal = removeNoiseFloorInPlace(signal, noisyInput, coils, smooth);
    removal.signal = signal;
    return removal;
}

FloorRemoval removeNoiseFloorInPlace(cv::Mat &prediction, const cv::Mat &noisyInput, double coils, bool smooth)
{
    const FloorMeasure measure = measureFloor(prediction, noisyInput, coils, smooth);
    removeMeasuredFloor(prediction, measure);
    FloorRemoval removal;
    removal.noise = measure.noise;
    removal.predictionError = measure.predictionError;
    removal.signal = prediction;
    return removal;
}

FloorMeasure measureFloor(const cv::Mat &prediction, const cv::Mat &noisyInput, double coils, bool smooth)
{
    checkSlice(noisyInput);
    if (coils > 0.0)
        checkCoils(coils);
    if (prediction.type() != CV_32FC1)
        throw EngineError("Noise floor removal needs a single-channel float image.");
    if (prediction.size() != noisyInput.size())
        throw EngineError("Noise floor removal needs the prediction and the noisy input at one size.");
    return measureSlice(noisyInput, coils, smooth ? &prediction : nullptr);
}

FloorMeasure poolFloorMeasures(const std::vector<FloorMeasure> &measures)
{
    if (measures.empty())
        return {};
    std::vector<float> sigmas, coils, tauRatios, floorRatios;
    const FloorMeasure *widest = nullptr;
    for (const auto &measure : measures) {
        if (measure.noise.backgroundPixels == 0 || !(measure.noise.sigma > 0.0))
            continue;
        sigmas.push_back(static_cast<float>(measure.noise.sigma));
        coils.push_back(static_cast<float>(measure.noise.coils));
        tauRatios.push_back(static_cast<float>(measure.predictionError / measure.noise.sigma));
        floorRatios.push_back(static_cast<float>(measure.floorRatio));
        if (!widest || measure.noise.backgroundPixels > widest->noise.backgroundPixels)
            widest = &measure;
    }
    if (!widest)
        return measures.front();
    FloorMeasure pooled = *widest;
    pooled.noise.sigma = median(sigmas);
    pooled.noise.coils = median(coils);
    pooled.predictionError = median(tauRatios) * pooled.noise.sigma;
    pooled.floorRatio = median(floorRatios);
    return pooled;
}

double effectiveSigma(const FloorMeasure &measure)
{
    const double ratio = std::isfinite(measure.floorRatio)
        ? std::clamp(measure.floorRatio, 1.0 - kFloorCalibrationLimit, 1.0 + kFloorCalibrationLimit)
        : 1.0;
    return measure.noise.sigma * ratio;
}

void removeMeasuredFloor(cv::Mat &prediction, const FloorMeasure &measure)
{
    if (prediction.type() != CV_32FC1)
        throw EngineError("Noise floor removal needs a single-channel float image.");
    checkCoils(measure.noise.coils);
    if (!(measure.predictionError >= 0.0) || !std::isfinite(measure.predictionError))
        throw EngineError("The prediction error for noise floor removal must be a finite number of at least 0.");
    applyFloorRemoval(prediction, effectiveSigma(measure), measure.noise.coils, measure.predictionError);
}

void removeMeasuredFloor(cv::Mat &prediction, const FloorMeasure &measure, const cv::Mat &relativeLevel)
{
    if (relativeLevel.empty()) {
        removeMeasuredFloor(prediction, measure);
        return;
    }
    if (relativeLevel.type() != CV_32FC1 || relativeLevel.size() != prediction.size())
        throw EngineError("A noise level map must be a float image of the prediction's size.");
    // A = sigma g F(E[M] / sigma g): the prediction in units of the local level, inverted, scaled back.
    cv::divide(prediction, relativeLevel, prediction);
    removeMeasuredFloor(prediction, measure);
    cv::multiply(prediction, relativeLevel, prediction);
}

} // namespace mri
