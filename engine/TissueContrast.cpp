#include "TissueContrast.h"

#include "EngineError.h"

#include <opencv2/core.hpp>

#include <algorithm>
#include <cmath>
#include <limits>

namespace mri {

namespace {

cv::Mat asFloat(const cv::Mat &image)
{
    if (image.channels() != 1)
        throw EngineError("Tissue contrast needs a single-channel image.");
    cv::Mat values;
    image.convertTo(values, CV_32F);
    return values;
}

double quantile(std::vector<float> values, double q)
{
    if (values.empty())
        return 0.0;
    const auto index = static_cast<std::size_t>(std::min<double>(values.size() - 1, q * (values.size() - 1) + 0.5));
    std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(index), values.end());
    return values[index];
}

// Flattens several single-channel images into one 1 x n row (CV_32F).
cv::Mat concatenated(const std::vector<cv::Mat> &images)
{
    std::vector<cv::Mat> rows;
    for (const auto &image : images) {
        const cv::Mat values = asFloat(image);
        rows.push_back(values.isContinuous() ? values.reshape(1, 1) : values.clone().reshape(1, 1));
    }
    if (rows.empty())
        return {};
    cv::Mat all;
    cv::hconcat(rows, all);
    return all;
}

} // namespace

double contrastToNoiseRatio(const cv::Mat &image, const cv::Mat &maskA, const cv::Mat &maskB)
{
    const cv::Mat values = asFloat(image);
    if (maskA.size() != image.size() || maskB.size() != image.size())
        throw EngineError("Tissue masks must have the image's size.");
    const auto moments = [&](const cv::Mat &mask, double &mean, double &variance) {
        double sum = 0.0;
        double sumSquares = 0.0;
        std::size_t count = 0;
        for (int y = 0; y < values.rows; ++y) {
            const float *v = values.ptr<float>(y);
            const unsigned char *m = mask.ptr<unsigned char>(y);
            for (int x = 0; x < values.cols; ++x) {
                if (m[x] && std::isfinite(v[x])) {
                    sum += v[x];
                    ++count;
                }
            }
        }
        if (count < 2)
            return false;
        mean = sum / static_cast<double>(count);
        for (int y = 0; y < values.rows; ++y) { // two passes: no cancellation
            const float *v = values.ptr<float>(y);
            const unsigned char *m = mask.ptr<unsigned char>(y);
            for (int x = 0; x < values.cols; ++x) {
                if (m[x] && std::isfinite(v[x]))
                    sumSquares += (v[x] - mean) * (v[x] - mean);
            }
        }
        variance = sumSquares / static_cast<double>(count - 1);
        return true;
    };
    double meanA = 0.0, varA = 0.0, meanB = 0.0, varB = 0.0;
    if (!moments(maskA, meanA, varA) || !moments(maskB, meanB, varB))
        return std::numeric_limits<double>::quiet_NaN();
    const double difference = std::abs(meanA - meanB);
    const double noise = std::sqrt((varA + varB) / 2.0);
    if (noise == 0.0)
        return difference == 0.0 ? 0.0 : std::numeric_limits<double>::infinity();
    return difference / noise;
}

TissueMasks classifyTissue(const cv::Mat &clean)
{
    TissueMasks masks;
    const cv::Mat values = asFloat(clean);
    masks.csf = cv::Mat::zeros(clean.size(), CV_8UC1);
    masks.grey = cv::Mat::zeros(clean.size(), CV_8UC1);
    masks.white = cv::Mat::zeros(clean.size(), CV_8UC1);
    std::vector<float> finite;
    finite.reserve(values.total());
    for (int y = 0; y < values.rows; ++y) {
        const float *v = values.ptr<float>(y);
        for (int x = 0; x < values.cols; ++x)
            if (std::isfinite(v[x]))
                finite.push_back(v[x]);
    }
    masks.foregroundThreshold = 0.1 * quantile(finite, 0.99);
    // Lloyd's k-means in 1-D on a fine histogram of the foreground (each
    // bin's count and sum of values, so the means are exact; a value belongs
    // to the nearest centre, i.e. the boundaries are the midpoints, resolved
    // to a bin): O(pixels + bins x iterations).
    float low = std::numeric_limits<float>::max();
    float high = std::numeric_limits<float>::lowest();
    std::size_t foreground = 0;
    for (const float v : finite) {
        if (v > masks.foregroundThreshold) {
            low = std::min(low, v);
            high = std::max(high, v);
            ++foreground;
        }
    }
    if (foreground < 6 || !(high > low))
        return masks;
    constexpr int bins = 4096;
    std::vector<double> count(bins, 0.0);
    std::vector<double> sum(bins, 0.0);
    const double width = (static_cast<double>(high) - low) / bins;
    const auto binOf = [&](double v) { return std::min(bins - 1, static_cast<int>((v - low) / width)); };
    for (const float v : finite) {
        if (v > masks.foregroundThreshold) {
            const int b = binOf(v);
            count[b] += 1.0;
            sum[b] += v;
        }
    }
    // Deterministic start: the foreground's 1/6, 1/2 and 5/6 quantiles (bin means).
    double centre[3] = {0.0, 0.0, 0.0};
    {
        const double targets[3] = {foreground / 6.0, foreground / 2.0, foreground * 5.0 / 6.0};
        double cumulative = 0.0;
        int k = 0;
        for (int b = 0; b < bins && k < 3; ++b) {
            cumulative += count[b];
            while (k < 3 && cumulative >= targets[k] && count[b] > 0) {
                centre[k++] = sum[b] / count[b];
            }
        }
    }
    for (int iteration = 0; iteration < 200; ++iteration) {
        const double lowMid = (centre[0] + centre[1]) / 2.0;
        const double highMid = (centre[1] + centre[2]) / 2.0;
        double classSum[3] = {0, 0, 0};
        double classCount[3] = {0, 0, 0};
        for (int b = 0; b < bins; ++b) {
            if (count[b] == 0.0)
                continue;
            const double mean = sum[b] / count[b];
            const int k = mean <= lowMid ? 0 : (mean <= highMid ? 1 : 2);
            classSum[k] += sum[b];
            classCount[k] += count[b];
        }
        bool moved = false;
        for (int k = 0; k < 3; ++k) {
            if (classCount[k] == 0.0)
                continue;
            const double next = classSum[k] / classCount[k];
            moved = moved || std::abs(next - centre[k]) > 1e-12 * (std::abs(next) + 1.0);
            centre[k] = next;
        }
        if (!moved)
            break;
    }
    std::copy(centre, centre + 3, masks.centres);
    const double lowMid = (centre[0] + centre[1]) / 2.0;
    const double highMid = (centre[1] + centre[2]) / 2.0;
    // Pixels take their bin's class, as in the iterations.
    std::vector<unsigned char> classOfBin(bins, 0);
    for (int b = 0; b < bins; ++b) {
        const double mean = count[b] > 0.0 ? sum[b] / count[b] : low + (b + 0.5) * width;
        classOfBin[b] = static_cast<unsigned char>(mean <= lowMid ? 0 : (mean <= highMid ? 1 : 2));
    }
    int counts[3] = {0, 0, 0};
    for (int y = 0; y < values.rows; ++y) {
        const float *v = values.ptr<float>(y);
        unsigned char *c = masks.csf.ptr<unsigned char>(y);
        unsigned char *g = masks.grey.ptr<unsigned char>(y);
        unsigned char *w = masks.white.ptr<unsigned char>(y);
        for (int x = 0; x < values.cols; ++x) {
            if (!std::isfinite(v[x]) || v[x] <= masks.foregroundThreshold)
                continue;
            const int k = classOfBin[binOf(v[x])];
            (k == 0 ? c : k == 1 ? g : w)[x] = 255;
            ++counts[k];
        }
    }
    masks.found = centre[0] < centre[1] && centre[1] < centre[2] && counts[0] >= 2 && counts[1] >= 2 && counts[2] >= 2;
    return masks;
}

double greyWhiteCnr(const cv::Mat &image, const cv::Mat &cleanReference)
{
    if (image.size() != cleanReference.size())
        throw EngineError("The image and its reference for the contrast-to-noise ratio differ in size.");
    const auto masks = classifyTissue(cleanReference);
    if (!masks.found)
        return std::numeric_limits<double>::quiet_NaN();
    return contrastToNoiseRatio(image, masks.grey, masks.white);
}

cv::Mat sampleVoxels(const ScanVolume &volume, std::size_t maxSamples)
{
    const std::size_t total = volume.voxels.size();
    const std::size_t stride = std::max<std::size_t>(1, (total + maxSamples - 1) / std::max<std::size_t>(1, maxSamples));
    cv::Mat sample(1, static_cast<int>((total + stride - 1) / stride), CV_32FC1);
    float *out = sample.ptr<float>(0);
    // A voxel without a finite value counts as background (0), keeping two volumes' samples paired.
    for (std::size_t i = 0, j = 0; i < total; i += stride, ++j)
        out[j] = std::isfinite(volume.voxels[i]) ? volume.voxels[i] : 0.0f;
    return sample;
}

double greyWhiteCnr(const ScanVolume &image, const ScanVolume &cleanReference)
{
    if (image.voxels.size() != cleanReference.voxels.size())
        throw EngineError("The volume and its reference for the contrast-to-noise ratio differ in size.");
    if (image.voxels.empty())
        return std::numeric_limits<double>::quiet_NaN();
    return greyWhiteCnr(sampleVoxels(image), sampleVoxels(cleanReference));
}

double greyWhiteCnr(const std::vector<cv::Mat> &slices, const std::vector<cv::Mat> &cleanSlices)
{
    if (slices.size() != cleanSlices.size())
        throw EngineError("The slices and their references for the contrast-to-noise ratio differ in number.");
    for (std::size_t i = 0; i < slices.size(); ++i)
        if (slices[i].size() != cleanSlices[i].size())
            throw EngineError("A slice and its reference for the contrast-to-noise ratio differ in size.");
    if (slices.empty())
        return std::numeric_limits<double>::quiet_NaN();
    return greyWhiteCnr(concatenated(slices), concatenated(cleanSlices));
}

} // namespace mri
