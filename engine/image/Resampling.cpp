#include "image/Resampling.h"

#include "base/EngineError.h"

#include <opencv2/core.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <functional>
#include <vector>

namespace mri {

namespace {

using Dims = std::array<int, 4>; // extents, fastest first
using LineFunction = std::function<void(const std::vector<float> &in, std::vector<float> &out)>;

void checkFactor(int factor)
{
    if (factor < 1 || factor > 16)
        throw EngineError("A resampling factor must lie between 1 and 16, not " + std::to_string(factor) + ".");
}

// Applies `line` to every line of `source` along `axis`, whose length becomes `newLength`.
std::vector<float> mapLines(const std::vector<float> &source, const Dims &dims, int axis, int newLength,
                            const LineFunction &line)
{
    std::size_t stride = 1;
    for (int a = 0; a < axis; ++a)
        stride *= static_cast<std::size_t>(dims[a]);
    std::size_t outer = 1;
    for (int a = axis + 1; a < 4; ++a)
        outer *= static_cast<std::size_t>(dims[a]);
    const auto length = static_cast<std::size_t>(dims[axis]);
    const auto outLength = static_cast<std::size_t>(newLength);
    std::vector<float> result(stride * outLength * outer);
    std::vector<float> in(length);
    std::vector<float> out(outLength);
    for (std::size_t o = 0; o < outer; ++o) {
        for (std::size_t s = 0; s < stride; ++s) {
            const float *from = source.data() + o * stride * length + s;
            for (std::size_t i = 0; i < length; ++i) {
                const float value = from[i * stride];
                in[i] = std::isnan(value) ? 0.0f : value;
            }
            line(in, out);
            float *to = result.data() + o * stride * outLength + s;
            for (std::size_t i = 0; i < outLength; ++i)
                to[i * stride] = out[i];
        }
    }
    return result;
}

// Whole-sample mirror of an index into [0, n) (period 2n - 2), as the prefilter assumes.
int mirrored(int index, int n)
{
    if (n == 1)
        return 0;
    const int period = 2 * n - 2;
    index %= period;
    if (index < 0)
        index += period;
    return index < n ? index : period - index;
}

void degradeLine(const std::vector<float> &in, std::vector<float> &out, int factor, SliceProfile profile)
{
    const int n = static_cast<int>(in.size());
    if (profile == SliceProfile::Area) {
        for (std::size_t k = 0; k < out.size(); ++k) {
            double sum = 0.0;
            for (int i = 0; i < factor; ++i)
                sum += in[k * factor + i];
            out[k] = static_cast<float>(sum / factor);
        }
        return;
    }
    // FWHM = factor: sigma = F / (2 sqrt(2 ln 2)).
    const double sigma = factor / 2.3548200450309493;
    const int reach = static_cast<int>(std::ceil(3.0 * sigma)) + 1;
    for (std::size_t k = 0; k < out.size(); ++k) {
        const double centre = static_cast<double>(k) * factor + (factor - 1) / 2.0;
        double sum = 0.0;
        double weights = 0.0;
        for (int j = static_cast<int>(std::floor(centre)) - reach; j <= static_cast<int>(std::ceil(centre)) + reach; ++j) {
            const double d = (j - centre) / sigma;
            const double w = std::exp(-0.5 * d * d);
            sum += w * in[static_cast<std::size_t>(mirrored(j, n))];
            weights += w;
        }
        out[k] = static_cast<float>(sum / weights);
    }
}

// Cubic B-spline coefficients of `samples` (Unser, Aldroubi & Eden 1991), mirror boundaries.
std::vector<double> bsplineCoefficients(const std::vector<float> &samples)
{
    const int n = static_cast<int>(samples.size());
    std::vector<double> c(samples.begin(), samples.end());
    if (n == 1)
        return c;
    const double z = std::sqrt(3.0) - 2.0;
    const double gain = (1.0 - z) * (1.0 - 1.0 / z);
    for (auto &value : c)
        value *= gain;
    // Causal initialisation, exact for the mirror boundary.
    {
        double zn = z;
        const double iz = 1.0 / z;
        double z2n = std::pow(z, n - 1);
        double sum = c[0] + z2n * c[static_cast<std::size_t>(n - 1)];
        z2n *= z2n * iz;
        for (int k = 1; k < n - 1; ++k) {
            sum += (zn + z2n) * c[static_cast<std::size_t>(k)];
            zn *= z;
            z2n *= iz;
        }
        c[0] = sum / (1.0 - zn * zn);
    }
    for (int k = 1; k < n; ++k)
        c[static_cast<std::size_t>(k)] += z * c[static_cast<std::size_t>(k - 1)];
    c[static_cast<std::size_t>(n - 1)] = (z / (z * z - 1.0)) * (z * c[static_cast<std::size_t>(n - 2)] + c[static_cast<std::size_t>(n - 1)]);
    for (int k = n - 2; k >= 0; --k)
        c[static_cast<std::size_t>(k)] = z * (c[static_cast<std::size_t>(k + 1)] - c[static_cast<std::size_t>(k)]);
    return c;
}

double cubicBspline(double x)
{
    x = std::abs(x);
    if (x < 1.0)
        return 2.0 / 3.0 - x * x + 0.5 * x * x * x;
    if (x < 2.0) {
        const double t = 2.0 - x;
        return t * t * t / 6.0;
    }
    return 0.0;
}

void upsampleLine(const std::vector<float> &in, std::vector<float> &out, int factor)
{
    const int n = static_cast<int>(in.size());
    const auto c = bsplineCoefficients(in);
    for (std::size_t j = 0; j < out.size(); ++j) {
        const double t = (static_cast<double>(j) - (factor - 1) / 2.0) / factor;
        const int base = static_cast<int>(std::floor(t));
        double value = 0.0;
        for (int m = base - 1; m <= base + 2; ++m)
            value += c[static_cast<std::size_t>(mirrored(m, n))] * cubicBspline(t - m);
        out[j] = static_cast<float>(value);
    }
}

Dims dimsOf(const cv::Mat &image)
{
    return {image.cols, image.rows, 1, 1};
}

cv::Mat continuousFloat(const cv::Mat &image, const char *what)
{
    if (image.empty() || image.type() != CV_32FC1)
        throw EngineError(std::string(what) + " needs a one-channel float image.");
    return image.isContinuous() ? image : image.clone();
}

cv::Mat mapImage(const cv::Mat &image, int axis, int newLength, const LineFunction &line, const char *what)
{
    if (axis != 0 && axis != 1)
        throw EngineError(std::string(what) + ": an image's axis is 0 (x) or 1 (y), not " + std::to_string(axis) + ".");
    const cv::Mat source = continuousFloat(image, what);
    const std::vector<float> values(source.ptr<float>(), source.ptr<float>() + source.total());
    const auto result = mapLines(values, dimsOf(source), axis, newLength, line);
    const int rows = axis == 1 ? newLength : source.rows;
    const int cols = axis == 0 ? newLength : source.cols;
    return cv::Mat(rows, cols, CV_32FC1, const_cast<float *>(result.data())).clone();
}

int lengthOf(const cv::Mat &image, int axis)
{
    return axis == 0 ? image.cols : image.rows;
}

void checkDegradable(int length, int factor, const std::string &what)
{
    if (length < factor)
        throw EngineError(what + " has " + std::to_string(length) + " samples along the axis, fewer than the factor "
                          + std::to_string(factor) + ".");
}

// Moves the voxel grid along `axis`: new index i sits at old index offset + scale * i.
void regrid(ScanVolume &volume, int axis, double scale, double offset, int length)
{
    for (auto &row : volume.voxelToPatient) {
        row[3] += offset * row[static_cast<std::size_t>(axis)];
        row[static_cast<std::size_t>(axis)] *= scale;
    }
    volume.spacing[static_cast<std::size_t>(axis)] *= scale;
    volume.size[static_cast<std::size_t>(axis)] = length;
}

void checkVolumeAxis(const ScanVolume &volume, int axis)
{
    if (axis < 0 || axis > 2)
        throw EngineError("A volume's axis is 0 (x), 1 (y) or 2 (z), not " + std::to_string(axis) + ".");
    if (volume.voxels.size() != volume.voxelsPerVolume() * static_cast<std::size_t>(volume.size[3]))
        throw EngineError("The volume '" + volume.source.string() + "' holds fewer voxels than its size says.");
}

// The two array axes other than `across`, lower first.
std::pair<int, int> otherAxes(int across)
{
    if (across == 0)
        return {1, 2};
    if (across == 1)
        return {0, 2};
    return {0, 1};
}

} // namespace

cv::Mat degradeAlongAxis(const cv::Mat &image, int axis, int factor, SliceProfile profile)
{
    checkFactor(factor);
    const int length = lengthOf(image, axis == 1 ? 1 : 0);
    checkDegradable(length, factor, "The image");
    return mapImage(image, axis, length / factor,
                    [&](const std::vector<float> &in, std::vector<float> &out) { degradeLine(in, out, factor, profile); },
                    "Degrading");
}

cv::Mat degradeInPlane(const cv::Mat &image, int factor, SliceProfile profile)
{
    return degradeAlongAxis(degradeAlongAxis(image, 0, factor, profile), 1, factor, profile);
}

cv::Mat bsplineUpsampleAlongAxis(const cv::Mat &image, int axis, int factor, int length)
{
    checkFactor(factor);
    if (length < 1)
        throw EngineError("Up-sampling needs a length of at least 1, not " + std::to_string(length) + ".");
    return mapImage(image, axis, length,
                    [&](const std::vector<float> &in, std::vector<float> &out) { upsampleLine(in, out, factor); },
                    "B-spline up-sampling");
}

cv::Mat bsplineUpsampleInPlane(const cv::Mat &image, int factor, cv::Size size)
{
    return bsplineUpsampleAlongAxis(bsplineUpsampleAlongAxis(image, 0, factor, size.width), 1, factor, size.height);
}

cv::Mat replicateAlongAxis(const cv::Mat &image, int axis, int factor)
{
    checkFactor(factor);
    return mapImage(image, axis, lengthOf(image, axis == 1 ? 1 : 0) * factor,
                    [&](const std::vector<float> &in, std::vector<float> &out) {
                        for (std::size_t j = 0; j < out.size(); ++j)
                            out[j] = in[j / static_cast<std::size_t>(factor)];
                    },
                    "Replicating");
}

ScanVolume degradeVolumeAlongAxis(const ScanVolume &volume, int axis, int factor, SliceProfile profile)
{
    checkFactor(factor);
    checkVolumeAxis(volume, axis);
    checkDegradable(volume.size[static_cast<std::size_t>(axis)], factor, "The volume '" + volume.source.string() + "'");
    const int length = volume.size[static_cast<std::size_t>(axis)] / factor;
    ScanVolume result = volume;
    result.voxels = mapLines(volume.voxels, volume.size, axis, length,
                             [&](const std::vector<float> &in, std::vector<float> &out) {
                                 degradeLine(in, out, factor, profile);
                             });
    regrid(result, axis, factor, (factor - 1) / 2.0, length);
    result.sliceFiles.clear();
    result.frameSources.clear();
    return result;
}

ScanVolume bsplineUpsampleVolumeAlongAxis(const ScanVolume &volume, int axis, int factor, int length)
{
    checkFactor(factor);
    checkVolumeAxis(volume, axis);
    if (length < 1)
        throw EngineError("Up-sampling needs a length of at least 1, not " + std::to_string(length) + ".");
    ScanVolume result = volume;
    result.voxels = mapLines(volume.voxels, volume.size, axis, length,
                             [&](const std::vector<float> &in, std::vector<float> &out) { upsampleLine(in, out, factor); });
    regrid(result, axis, 1.0 / factor, -(factor - 1) / (2.0 * factor), length);
    result.sliceFiles.clear();
    result.frameSources.clear();
    return result;
}

cv::Mat arraySlice(const ScanVolume &volume, int across, int index, int frame)
{
    checkVolumeAxis(volume, across);
    const auto [columnAxis, rowAxis] = otherAxes(across);
    cv::Mat slice(volume.size[static_cast<std::size_t>(rowAxis)], volume.size[static_cast<std::size_t>(columnAxis)],
                  CV_32FC1);
    std::array<int, 3> at{0, 0, 0};
    at[static_cast<std::size_t>(across)] = index;
    for (int r = 0; r < slice.rows; ++r) {
        at[static_cast<std::size_t>(rowAxis)] = r;
        auto *row = slice.ptr<float>(r);
        for (int c = 0; c < slice.cols; ++c) {
            at[static_cast<std::size_t>(columnAxis)] = c;
            row[c] = volume.at(at[0], at[1], at[2], frame);
        }
    }
    return slice;
}

void insertArraySlice(ScanVolume &volume, int across, int index, int frame, const cv::Mat &values)
{
    checkVolumeAxis(volume, across);
    const auto [columnAxis, rowAxis] = otherAxes(across);
    if (values.type() != CV_32FC1 || values.rows != volume.size[static_cast<std::size_t>(rowAxis)]
        || values.cols != volume.size[static_cast<std::size_t>(columnAxis)])
        throw EngineError("A slice put back into '" + volume.source.string() + "' does not match the volume's size.");
    std::array<int, 3> at{0, 0, 0};
    at[static_cast<std::size_t>(across)] = index;
    for (int r = 0; r < values.rows; ++r) {
        at[static_cast<std::size_t>(rowAxis)] = r;
        const auto *row = values.ptr<float>(r);
        for (int c = 0; c < values.cols; ++c) {
            at[static_cast<std::size_t>(columnAxis)] = c;
            volume.voxels[((static_cast<std::size_t>(frame) * volume.size[2] + at[2]) * volume.size[1] + at[1])
                              * volume.size[0]
                          + at[0]] = row[c];
        }
    }
}

int inPlaneScaleOf(cv::Size original, cv::Size enhanced, int stated)
{
    if (enhanced == original && stated <= 1)
        return 1;
    const int factor = stated > 1 ? stated : (original.width > 0 ? enhanced.width / original.width : 0);
    if (factor < 2 || enhanced.width != original.width * factor || enhanced.height != original.height * factor)
        return 0;
    return factor;
}

int thickestAxisOf(const ScanVolume &volume)
{
    int axis = 0;
    for (int a = 1; a < 3; ++a) {
        if (volume.spacing[static_cast<std::size_t>(a)] > volume.spacing[static_cast<std::size_t>(axis)] * (1.0 + 1e-6))
            axis = a;
    }
    return axis;
}

} // namespace mri
