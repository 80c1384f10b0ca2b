#include "quality/TissueContrast.h"

#include "base/EngineError.h"

#include <opencv2/core.hpp>

#include <algorithm>
#include <cmath>
#include <limits>

namespace mri {

namespace {

void checkSingleChannel(const cv::Mat &image)
{
    if (image.channels() != 1)
        throw EngineError("Tissue contrast needs a single-channel image.");
}

// An image's rows as float, one at a time (the values convertTo(CV_32F)
// gives): no float copy of a whole slice, which for an 8000 x 8000 picture
// was 256 MB, several times over.
class FloatRows
{
public:
    explicit FloatRows(const cv::Mat &image)
        : m_image(image)
    {
        checkSingleChannel(image);
    }

    int rows() const { return m_image.rows; }
    int cols() const { return m_image.cols; }

    const float *row(int y)
    {
        if (m_image.depth() == CV_32F)
            return m_image.ptr<float>(y);
        m_image.row(y).convertTo(m_buffer, CV_32F);
        return m_buffer.ptr<float>();
    }

private:
    const cv::Mat &m_image;
    cv::Mat m_buffer;
};

// The finite values' q-quantile as the element at round(q (n - 1)) of their
// sorted list (0 when there is none). 8- and 16-bit images by a histogram of
// their levels (the same element), others through one copy of the values.
double finiteQuantile(const cv::Mat &image, double q)
{
    const auto indexOf = [q](std::size_t n) {
        return static_cast<std::size_t>(std::min<double>(n - 1, q * (n - 1) + 0.5));
    };
    if (image.depth() == CV_8U || image.depth() == CV_16U) {
        const bool eight = image.depth() == CV_8U;
        std::vector<std::size_t> levels(eight ? 256 : 65536, 0);
        for (int y = 0; y < image.rows; ++y) {
            if (eight) {
                const auto *v = image.ptr<unsigned char>(y);
                for (int x = 0; x < image.cols; ++x)
                    ++levels[v[x]];
            } else {
                const auto *v = image.ptr<unsigned short>(y);
                for (int x = 0; x < image.cols; ++x)
                    ++levels[v[x]];
            }
        }
        const std::size_t n = image.total();
        if (n == 0)
            return 0.0;
        const std::size_t index = indexOf(n);
        std::size_t below = 0;
        for (std::size_t level = 0; level < levels.size(); ++level) {
            below += levels[level];
            if (below > index)
                return static_cast<float>(level);
        }
        return 0.0;
    }
    FloatRows rows(image);
    std::vector<float> finite;
    for (int y = 0; y < rows.rows(); ++y) {
        const float *v = rows.row(y);
        for (int x = 0; x < rows.cols(); ++x)
            if (std::isfinite(v[x]))
                finite.push_back(v[x]);
    }
    if (finite.empty())
        return 0.0;
    const std::size_t index = indexOf(finite.size());
    std::nth_element(finite.begin(), finite.begin() + static_cast<std::ptrdiff_t>(index), finite.end());
    return finite[index];
}

// classifyTissue()'s clustering without the masks: a pixel's class from its value.
struct TissueClasses
{
    double foregroundThreshold = 0.0;
    double centres[3] = {0.0, 0.0, 0.0};
    bool clustered = false; // false: no foreground to cluster (all pixels outside)
    bool found = false;
    float low = 0.0f;
    double width = 0.0;
    static constexpr int kBins = 4096;
    std::vector<unsigned char> classOfBin;

    int binOf(double v) const { return std::min(kBins - 1, static_cast<int>((v - low) / width)); }
    // 0, 1, 2 (CSF, grey, white) or -1 (not foreground).
    int classOf(float v) const
    {
        if (!clustered || !std::isfinite(v) || v <= foregroundThreshold)
            return -1;
        return classOfBin[static_cast<std::size_t>(binOf(v))];
    }
};

// Calls `visit` with every foreground value of `rows` (finite, above
// `threshold`), row by row.
template<typename Visit>
void forEachForeground(FloatRows &rows, double threshold, Visit visit)
{
    for (int y = 0; y < rows.rows(); ++y) {
        const float *values = rows.row(y);
        for (int x = 0; x < rows.cols(); ++x) {
            const float v = values[x];
            if (std::isfinite(v) && v > threshold)
                visit(v);
        }
    }
}

// Deterministic start: the foreground's 1/6, 1/2 and 5/6 quantiles (bin means).
void startingCentres(const std::vector<double> &count, const std::vector<double> &sum, std::size_t foreground,
                     double centre[3])
{
    const double targets[3] = {foreground / 6.0, foreground / 2.0, foreground * 5.0 / 6.0};
    double cumulative = 0.0;
    int k = 0;
    for (int b = 0; b < TissueClasses::kBins && k < 3; ++b) {
        cumulative += count[b];
        while (k < 3 && cumulative >= targets[k] && count[b] > 0) {
            centre[k++] = sum[b] / count[b];
        }
    }
}

// Lloyd's iterations on the bins (a bin goes to the nearest centre by its
// mean) until no centre moves, at most 200.
void refineCentres(const std::vector<double> &count, const std::vector<double> &sum, double centre[3])
{
    for (int iteration = 0; iteration < 200; ++iteration) {
        const double lowMid = (centre[0] + centre[1]) / 2.0;
        const double highMid = (centre[1] + centre[2]) / 2.0;
        double classSum[3] = {0, 0, 0};
        double classCount[3] = {0, 0, 0};
        for (int b = 0; b < TissueClasses::kBins; ++b) {
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
}

// Streams the reference a row at a time (see TissueContrast.h for the method).
TissueClasses clusterTissue(const cv::Mat &clean)
{
    TissueClasses classes;
    classes.foregroundThreshold = 0.1 * finiteQuantile(clean, 0.99);
    // Lloyd's k-means in 1-D on a fine histogram of the foreground (each
    // bin's count and sum of values, so the means are exact; a value belongs
    // to the nearest centre, i.e. the boundaries are the midpoints, resolved
    // to a bin): O(pixels + bins x iterations).
    float low = std::numeric_limits<float>::max();
    float high = std::numeric_limits<float>::lowest();
    std::size_t foreground = 0;
    FloatRows rows(clean);
    forEachForeground(rows, classes.foregroundThreshold, [&](float v) {
        low = std::min(low, v);
        high = std::max(high, v);
        ++foreground;
    });
    if (foreground < 6 || !(high > low))
        return classes;
    constexpr int bins = TissueClasses::kBins;
    classes.low = low;
    classes.width = (static_cast<double>(high) - low) / bins;
    std::vector<double> count(bins, 0.0);
    std::vector<double> sum(bins, 0.0);
    forEachForeground(rows, classes.foregroundThreshold, [&](float v) {
        const int b = classes.binOf(v);
        count[b] += 1.0;
        sum[b] += v;
    });
    double centre[3] = {0.0, 0.0, 0.0};
    startingCentres(count, sum, foreground, centre);
    refineCentres(count, sum, centre);
    std::copy(centre, centre + 3, classes.centres);
    const double lowMid = (centre[0] + centre[1]) / 2.0;
    const double highMid = (centre[1] + centre[2]) / 2.0;
    // Pixels take their bin's class, as in the iterations; a class's pixels
    // are its bins' counts.
    classes.classOfBin.assign(bins, 0);
    double counts[3] = {0.0, 0.0, 0.0};
    for (int b = 0; b < bins; ++b) {
        const double mean = count[b] > 0.0 ? sum[b] / count[b] : low + (b + 0.5) * classes.width;
        classes.classOfBin[b] = static_cast<unsigned char>(mean <= lowMid ? 0 : (mean <= highMid ? 1 : 2));
        counts[classes.classOfBin[b]] += count[b];
    }
    classes.clustered = true;
    classes.found = centre[0] < centre[1] && centre[1] < centre[2] && counts[0] >= 2 && counts[1] >= 2
        && counts[2] >= 2;
    return classes;
}

// Sums over a class's finite values, in row order.
struct Moments
{
    double sum = 0.0;
    double sumSquares = 0.0;
    std::size_t count = 0;
};

// CNR from two classes' values (two passes: no cancellation); membership(y,
// members) writes row y's classes, bit 0 for A and bit 1 for B.
template <typename Membership>
double cnrOfClasses(const cv::Mat &image, Membership &&membership)
{
    FloatRows rows(image);
    std::vector<unsigned char> members(static_cast<std::size_t>(rows.cols()));
    // Calls add(k, value) for every finite pixel of class k, row by row.
    const auto visit = [&](auto &&add) {
        for (int y = 0; y < rows.rows(); ++y) {
            const float *v = rows.row(y);
            membership(y, members.data());
            for (int x = 0; x < rows.cols(); ++x) {
                if (!members[x] || !std::isfinite(v[x]))
                    continue;
                for (int k = 0; k < 2; ++k) {
                    if (members[x] & (1 << k))
                        add(k, v[x]);
                }
            }
        }
    };
    Moments moments[2];
    visit([&](int k, float value) {
        moments[k].sum += value;
        ++moments[k].count;
    });
    if (moments[0].count < 2 || moments[1].count < 2)
        return std::numeric_limits<double>::quiet_NaN();
    const double mean[2] = {moments[0].sum / static_cast<double>(moments[0].count),
                            moments[1].sum / static_cast<double>(moments[1].count)};
    visit([&](int k, float value) { moments[k].sumSquares += (value - mean[k]) * (value - mean[k]); });
    const double varA = moments[0].sumSquares / static_cast<double>(moments[0].count - 1);
    const double varB = moments[1].sumSquares / static_cast<double>(moments[1].count - 1);
    const double difference = std::abs(mean[0] - mean[1]);
    const double noise = std::sqrt((varA + varB) / 2.0);
    if (noise == 0.0)
        return difference == 0.0 ? 0.0 : std::numeric_limits<double>::infinity();
    return difference / noise;
}

// Flattens several single-channel images into one 1 x n row (CV_32F).
cv::Mat concatenated(const std::vector<cv::Mat> &images)
{
    std::vector<cv::Mat> rows;
    for (const auto &image : images) {
        checkSingleChannel(image);
        cv::Mat values;
        image.convertTo(values, CV_32F);
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
    checkSingleChannel(image);
    if (maskA.size() != image.size() || maskB.size() != image.size())
        throw EngineError("Tissue masks must have the image's size.");
    // A pixel in both masks counts in both classes.
    return cnrOfClasses(image, [&](int y, unsigned char *members) {
        const auto *m = maskA.ptr<unsigned char>(y);
        const auto *n = maskB.ptr<unsigned char>(y);
        for (int x = 0; x < image.cols; ++x)
            members[x] = static_cast<unsigned char>((m[x] ? 1 : 0) | (n[x] ? 2 : 0));
    });
}

TissueMasks classifyTissue(const cv::Mat &clean)
{
    checkSingleChannel(clean);
    TissueMasks masks;
    masks.csf = cv::Mat::zeros(clean.size(), CV_8UC1);
    masks.grey = cv::Mat::zeros(clean.size(), CV_8UC1);
    masks.white = cv::Mat::zeros(clean.size(), CV_8UC1);
    const TissueClasses classes = clusterTissue(clean);
    masks.foregroundThreshold = classes.foregroundThreshold;
    if (!classes.clustered)
        return masks;
    std::copy(classes.centres, classes.centres + 3, masks.centres);
    FloatRows rows(clean);
    for (int y = 0; y < rows.rows(); ++y) {
        const float *v = rows.row(y);
        unsigned char *c = masks.csf.ptr<unsigned char>(y);
        unsigned char *g = masks.grey.ptr<unsigned char>(y);
        unsigned char *w = masks.white.ptr<unsigned char>(y);
        for (int x = 0; x < rows.cols(); ++x) {
            const int k = classes.classOf(v[x]);
            if (k >= 0)
                (k == 0 ? c : k == 1 ? g : w)[x] = 255;
        }
    }
    masks.found = classes.found;
    return masks;
}

double greyWhiteCnr(const cv::Mat &image, const cv::Mat &cleanReference)
{
    if (image.size() != cleanReference.size())
        throw EngineError("The image and its reference for the contrast-to-noise ratio differ in size.");
    checkSingleChannel(image);
    const TissueClasses classes = clusterTissue(cleanReference);
    if (!classes.found)
        return std::numeric_limits<double>::quiet_NaN();
    // The classes straight from the reference's rows: no masks of the slice's size.
    FloatRows reference(cleanReference);
    return cnrOfClasses(image, [&](int y, unsigned char *members) {
        const float *v = reference.row(y);
        for (int x = 0; x < reference.cols(); ++x) {
            const int k = classes.classOf(v[x]);
            members[x] = k == 1 ? 1 : (k == 2 ? 2 : 0);
        }
    });
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
