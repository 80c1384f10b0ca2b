#include "quality/NoiseMap.h"

#include "base/EngineError.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <limits>

namespace mri {

namespace {

constexpr int kMapBlock = 4;          // voxels per coarse block along each axis
constexpr double kMapWidth = 8.0;     // the Gaussian's sigma in voxels: g-factors vary over tens of voxels
constexpr int kMapPasses = 4;         // v at sigma, then at the level found
constexpr double kOutlierZ = 6.0;     // residuals beyond this many standard deviations are the network's errors or ghosts
constexpr double kRangeShare = 0.005; // the range kept and reported: 0.5th to 99.5th percentile of the blocks
constexpr double kVaryingLevel = 1.2; // highest over lowest level from which the map is used
constexpr double kBrightSignal = 3.0; // A / sigma from which a voxel's residual measures the level
constexpr double kTableEnd = 40.0;    // E[M] / sigma beyond: variance sigma^2
constexpr double kTableStep = 0.01;

// Var[M] / sigma^2 of non-central chi as a function of E[M] / sigma.
class VarianceTable
{
public:
    explicit VarianceTable(double coils)
    {
        const int points = static_cast<int>(kTableEnd / kTableStep) + 1;
        m_values.resize(static_cast<std::size_t>(points));
        const double floor = chiMeanOverSigma(0.0, coils);
        double a = 0.0;
        double mean = floor;
        for (int i = 0; i < points; ++i) {
            const double m = i * kTableStep;
            // The signal whose mean is m (0 at or below the floor); the mean rises with a.
            while (mean < m) {
                a += 0.002;
                mean = chiMeanOverSigma(a, coils);
            }
            const double variance = a * a + 2.0 * coils - mean * mean;
            m_values[static_cast<std::size_t>(i)] = static_cast<float>(std::max(variance, 1e-3));
        }
    }
    float operator()(double meanOverSigma) const
    {
        const double position = std::clamp(meanOverSigma, 0.0, kTableEnd) / kTableStep;
        const auto below = static_cast<std::size_t>(position);
        if (below + 1 >= m_values.size())
            return m_values.back();
        const auto t = static_cast<float>(position - static_cast<double>(below));
        return m_values[below] * (1.0f - t) + m_values[below + 1] * t;
    }

private:
    std::vector<float> m_values;
};

int blocksOf(int length) { return (length + kMapBlock - 1) / kMapBlock; }

// A Gaussian of `width` coarse blocks along the three axes of a slice-major grid.
void smoothGrid(std::vector<float> &grid, int slices, int rows, int columns, double width)
{
    const int radius = static_cast<int>(std::ceil(3.0 * width));
    for (int s = 0; s < slices; ++s) {
        cv::Mat plane(rows, columns, CV_32FC1, grid.data() + static_cast<std::size_t>(s) * rows * columns);
        cv::GaussianBlur(plane, plane, cv::Size(2 * radius + 1, 2 * radius + 1), width, width, cv::BORDER_REFLECT);
    }
    if (slices < 2)
        return;
    std::vector<double> kernel(static_cast<std::size_t>(2 * radius + 1));
    for (int k = -radius; k <= radius; ++k)
        kernel[static_cast<std::size_t>(k + radius)] = std::exp(-0.5 * k * k / (width * width));
    const std::size_t planeSize = static_cast<std::size_t>(rows) * columns;
    std::vector<float> column(static_cast<std::size_t>(slices));
    for (std::size_t p = 0; p < planeSize; ++p) {
        for (int s = 0; s < slices; ++s)
            column[static_cast<std::size_t>(s)] = grid[s * planeSize + p];
        for (int s = 0; s < slices; ++s) {
            double sum = 0.0, weight = 0.0;
            for (int k = -radius; k <= radius; ++k) {
                int t = s + k; // reflected at both ends
                t = t < 0 ? -t - 1 : t;
                t = t >= slices ? 2 * slices - t - 1 : t;
                if (t < 0 || t >= slices)
                    continue;
                sum += kernel[static_cast<std::size_t>(k + radius)] * column[static_cast<std::size_t>(t)];
                weight += kernel[static_cast<std::size_t>(k + radius)];
            }
            grid[s * planeSize + p] = static_cast<float>(sum / weight);
        }
    }
}

double medianOf(std::vector<float> values)
{
    if (values.empty())
        return 1.0;
    const auto middle = values.begin() + static_cast<std::ptrdiff_t>(values.size() / 2);
    std::nth_element(values.begin(), middle, values.end());
    return *middle;
}

// What every pass reads: the slices, their background, the pooled noise.
struct MapInput
{
    const std::vector<cv::Mat> &predictions;
    const std::vector<cv::Mat> &noisy;
    std::vector<cv::Mat> backgrounds;
    double sigma;
    VarianceTable variance;
    double airSpread;   // of central chi, over sigma
    double brightMean;  // E[M] / sigma from which tissue counts
};

// Per coarse block: the residuals' squares, and what the map's current level expects of them.
struct Residuals
{
    std::vector<float> observed;
    std::vector<float> expected;
};

Residuals sumResiduals(const MapInput &input, const NoiseMap &map, int rows, int columns, std::size_t cells)
{
    Residuals sums{std::vector<float>(cells, 0.0f), std::vector<float>(cells, 0.0f)};
    const double sigma = input.sigma;
    const cv::Size size = input.noisy.front().size();
    for (std::size_t k = 0; k < input.noisy.size(); ++k) {
        const cv::Mat level = map.slice(static_cast<int>(k), size);
        const std::size_t plane = (k / kMapBlock) * static_cast<std::size_t>(rows) * columns;
        for (int y = 0; y < size.height; ++y) {
            const float *m = input.noisy[k].ptr<float>(y);
            const float *p = input.predictions[k].ptr<float>(y);
            const float *g = level.ptr<float>(y);
            const auto *air = input.backgrounds[k].empty() ? nullptr : input.backgrounds[k].ptr<unsigned char>(y);
            const std::size_t row = plane + static_cast<std::size_t>(y / kMapBlock) * columns;
            for (int x = 0; x < size.width; ++x) {
                if (!std::isfinite(m[x]) || !std::isfinite(p[x]) || m[x] == 0.0f)
                    continue; // padding outside the field of view holds no noise
                const double local = sigma * g[x];
                const double r = m[x] - p[x];
                double v = input.airSpread * input.airSpread; // air: central chi's variance, whatever the level
                if (!(air && air[x])) {
                    // Bright tissue: nearly sigma^2. Fainter signal is left out: there v moves with
                    // the level itself, and the estimate fed back on itself (a level found low made it lower).
                    if (p[x] < input.brightMean * local)
                        continue;
                    v = input.variance(p[x] / local);
                }
                if (r * r > kOutlierZ * kOutlierZ * local * local * v)
                    continue;
                sums.observed[row + x / kMapBlock] += static_cast<float>(r * r);
                sums.expected[row + x / kMapBlock] += static_cast<float>(sigma * sigma * v);
            }
        }
    }
    return sums;
}

// The map's median over the background the pooled sigma was measured in (every other pixel).
double backgroundMedian(const MapInput &input, const NoiseMap &map)
{
    const cv::Size size = input.noisy.front().size();
    std::vector<float> inBackground;
    for (std::size_t k = 0; k < input.noisy.size(); ++k) {
        const cv::Mat &mask = input.backgrounds[k];
        if (mask.empty())
            continue;
        const cv::Mat level = map.slice(static_cast<int>(k), size);
        for (int y = 0; y < size.height; y += 2) {
            const auto *inside = mask.ptr<unsigned char>(y);
            const float *g = level.ptr<float>(y);
            for (int x = 0; x < size.width; x += 2) {
                if (inside[x])
                    inBackground.push_back(g[x]);
            }
        }
    }
    return medianOf(std::move(inBackground));
}

} // namespace

NoiseMap NoiseMap::estimateVolume(const std::vector<cv::Mat> &predictions, const std::vector<cv::Mat> &noisy,
                                  const FloorMeasure &pooled)
{
    if (predictions.size() != noisy.size() || predictions.empty())
        throw EngineError("A noise map needs one prediction for every noisy slice.");
    const cv::Size size = noisy.front().size();
    for (std::size_t i = 0; i < noisy.size(); ++i) {
        if (noisy[i].type() != CV_32FC1 || predictions[i].type() != CV_32FC1 || noisy[i].size() != size
            || predictions[i].size() != size)
            throw EngineError("A noise map needs float slices of one size.");
    }
    const double sigma = effectiveSigma(pooled);
    if (!(sigma > 0.0) || pooled.noise.backgroundPixels == 0
        || static_cast<std::size_t>(size.area()) > kNoiseSamplePixels)
        return {};

    const VarianceTable variance(pooled.noise.coils);
    MapInput input{predictions, noisy, {}, sigma, variance, std::sqrt(variance(0.0)),
                   chiMeanOverSigma(kBrightSignal, pooled.noise.coils)};
    for (const cv::Mat &slice : noisy)
        input.backgrounds.push_back(backgroundMask(slice));
    NoiseMap map;
    map.m_slices = blocksOf(static_cast<int>(noisy.size()));
    map.m_rows = blocksOf(size.height);
    map.m_columns = blocksOf(size.width);
    const std::size_t cells = static_cast<std::size_t>(map.m_slices) * map.m_rows * map.m_columns;
    map.m_levels.assign(cells, 1.0f);
    for (int pass = 0; pass < kMapPasses; ++pass) {
        Residuals sums = sumResiduals(input, map, map.m_rows, map.m_columns, cells);
        const std::vector<float> weight = sums.expected;
        smoothGrid(sums.observed, map.m_slices, map.m_rows, map.m_columns, kMapWidth / kMapBlock);
        smoothGrid(sums.expected, map.m_slices, map.m_rows, map.m_columns, kMapWidth / kMapBlock);
        for (std::size_t c = 0; c < cells; ++c)
            map.m_levels[c] = sums.expected[c] > 0.0f ? std::sqrt(sums.observed[c] / sums.expected[c]) : 1.0f;
        const double reference = backgroundMedian(input, map);
        if (!(reference > 0.0) || !std::isfinite(reference))
            return {};
        map.scale(1.0 / reference);
        if (!map.keepRange(weight))
            return {};
    }
    // A level that varies less is kept as one: the network's residual is a few per cent
    // smaller in tissue than in air (Colin27's whole head at one level: a map of 0.97 to 1.13
    // cost 0.25 dB), and a g-factor map of parallel imaging varies more.
    if (map.m_maximum < kVaryingLevel * map.m_minimum)
        return {};
    return map;
}

bool NoiseMap::keepRange(const std::vector<float> &weight)
{
    std::vector<float> measured;
    for (std::size_t c = 0; c < m_levels.size(); ++c) {
        if (weight[c] > 0.0f)
            measured.push_back(m_levels[c]);
    }
    if (measured.empty())
        return false;
    std::sort(measured.begin(), measured.end());
    const auto percentile = [&measured](double share) {
        return static_cast<double>(measured[static_cast<std::size_t>(share * static_cast<double>(measured.size() - 1))]);
    };
    m_minimum = percentile(kRangeShare);
    m_maximum = percentile(1.0 - kRangeShare);
    // Blocks at the volume's edges see few voxels; their extremes are noise.
    for (float &level : m_levels)
        level = std::clamp(level, static_cast<float>(m_minimum), static_cast<float>(m_maximum));
    return true;
}

float NoiseMap::at(int slice, int row, int column) const
{
    return m_levels[(static_cast<std::size_t>(slice) * m_rows + row) * m_columns + column];
}

void NoiseMap::scale(double factor)
{
    for (float &level : m_levels)
        level = static_cast<float>(level * factor);
}

cv::Mat NoiseMap::slice(int index, cv::Size size) const
{
    if (flat())
        return {};
    // Between the two coarse planes around this slice's centre.
    const double position = std::clamp((index + 0.5) / kMapBlock - 0.5, 0.0, static_cast<double>(m_slices - 1));
    const int below = static_cast<int>(position);
    const int above = std::min(below + 1, m_slices - 1);
    const auto t = static_cast<float>(position - below);
    cv::Mat coarse(m_rows, m_columns, CV_32FC1);
    for (int r = 0; r < m_rows; ++r) {
        for (int c = 0; c < m_columns; ++c)
            coarse.at<float>(r, c) = at(below, r, c) * (1.0f - t) + at(above, r, c) * t;
    }
    // Block centres at kMapBlock i + (kMapBlock - 1) / 2, as resize's pixel centres put them.
    cv::Mat level;
    cv::resize(coarse, level, cv::Size(m_columns * kMapBlock, m_rows * kMapBlock), 0, 0, cv::INTER_LINEAR);
    return level(cv::Rect(0, 0, size.width, size.height)).clone();
}

} // namespace mri
