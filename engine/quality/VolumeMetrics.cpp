#include "quality/VolumeMetrics.h"

#include "base/EngineError.h"
#include "io/ScanVolume.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <deque>
#include <limits>
#include <vector>

namespace mri {

namespace {

constexpr int kWindow = 7;
constexpr int kPad = (kWindow - 1) / 2;
constexpr double kK1 = 0.01;
constexpr double kK2 = 0.03;

// The five moments' 7x7 sums of one slice over the window's interior positions
// ((ny - 6) x (nx - 6)): the outputs that survive scikit-image's crop never
// see a border, so no border rule is needed.
struct SliceSums
{
    cv::Mat x, y, xx, yy, xy;
};

SliceSums sumsOf(const float *reference, const float *test, int nx, int ny)
{
    const cv::Mat x = cv::Mat(ny, nx, CV_32FC1, const_cast<float *>(reference));
    const cv::Mat y = cv::Mat(ny, nx, CV_32FC1, const_cast<float *>(test));
    cv::Mat xd, yd;
    x.convertTo(xd, CV_64F);
    y.convertTo(yd, CV_64F);
    const cv::Rect interior(kPad, kPad, nx - 2 * kPad, ny - 2 * kPad);
    const auto boxSum = [&](const cv::Mat &image) {
        cv::Mat sum;
        cv::boxFilter(image, sum, CV_64F, cv::Size(kWindow, kWindow), cv::Point(-1, -1), false, cv::BORDER_REFLECT);
        return sum(interior).clone();
    };
    return {boxSum(xd), boxSum(yd), boxSum(xd.mul(xd)), boxSum(yd.mul(yd)), boxSum(xd.mul(yd))};
}

double meanSliceSsim(const float *reference, const float *test, const std::array<int, 3> &size, double dataRange)
{
    const std::size_t plane = static_cast<std::size_t>(size[0]) * size[1];
    double sum = 0.0;
    for (int z = 0; z < size[2]; ++z) {
        const cv::Mat x(size[1], size[0], CV_32FC1, const_cast<float *>(reference + z * plane));
        const cv::Mat y(size[1], size[0], CV_32FC1, const_cast<float *>(test + z * plane));
        sum += structuralSimilarity(x, y, dataRange);
    }
    return sum / size[2];
}

} // namespace

double volumePeakSignalNoiseRatio(const float *reference, const float *test, std::size_t count, double dataRange)
{
    if (count == 0)
        throw EngineError("Cannot compute PSNR of an empty volume.");
    double sum = 0.0;
    for (std::size_t i = 0; i < count; ++i) {
        const double difference = static_cast<double>(reference[i]) - static_cast<double>(test[i]);
        sum += difference * difference;
    }
    const double mse = sum / static_cast<double>(count);
    if (mse == 0.0)
        return std::numeric_limits<double>::infinity();
    return 10.0 * std::log10(dataRange * dataRange / mse);
}

double volumeStructuralSimilarity(const float *reference, const float *test, const std::array<int, 3> &size,
                                  double dataRange)
{
    const int nx = size[0], ny = size[1], nz = size[2];
    if (nx < kWindow || ny < kWindow)
        throw EngineError("Cannot compute SSIM of slices smaller than 7x7 pixels (" + std::to_string(nx) + "x"
                          + std::to_string(ny) + ").");
    if (nz < kWindow)
        return meanSliceSsim(reference, test, size, dataRange);

    constexpr double np = kWindow * kWindow * kWindow;
    constexpr double covNorm = np / (np - 1.0);
    const double c1 = (kK1 * dataRange) * (kK1 * dataRange);
    const double c2 = (kK2 * dataRange) * (kK2 * dataRange);
    const std::size_t plane = static_cast<std::size_t>(nx) * ny;

    // The 7x7x7 sums of an output slice are the 7x7 sums of the seven slices
    // around it: a window of slices' sums slides along z.
    std::deque<SliceSums> window;
    double sum = 0.0;
    for (int z = 0; z < nz; ++z) {
        window.push_back(sumsOf(reference + z * plane, test + z * plane, nx, ny));
        if (static_cast<int>(window.size()) > kWindow)
            window.pop_front();
        if (static_cast<int>(window.size()) < kWindow)
            continue;
        SliceSums total = {window[0].x.clone(), window[0].y.clone(), window[0].xx.clone(), window[0].yy.clone(),
                           window[0].xy.clone()};
        for (int k = 1; k < kWindow; ++k) {
            total.x += window[k].x;
            total.y += window[k].y;
            total.xx += window[k].xx;
            total.yy += window[k].yy;
            total.xy += window[k].xy;
        }
        for (int r = 0; r < total.x.rows; ++r) {
            const double *sx = total.x.ptr<double>(r);
            const double *sy = total.y.ptr<double>(r);
            const double *sxx = total.xx.ptr<double>(r);
            const double *syy = total.yy.ptr<double>(r);
            const double *sxy = total.xy.ptr<double>(r);
            for (int c = 0; c < total.x.cols; ++c) {
                const double mx = sx[c] / np;
                const double my = sy[c] / np;
                const double vx = covNorm * (sxx[c] / np - mx * mx);
                const double vy = covNorm * (syy[c] / np - my * my);
                const double vxy = covNorm * (sxy[c] / np - mx * my);
                sum += ((2.0 * mx * my + c1) * (2.0 * vxy + c2)) / ((mx * mx + my * my + c1) * (vx + vy + c2));
            }
        }
    }
    const double count = static_cast<double>(nx - 2 * kPad) * (ny - 2 * kPad) * (nz - 2 * kPad);
    return sum / count;
}

QualityMetrics compareVolumes(const ScanVolume &reference, const ScanVolume &test)
{
    if (reference.size != test.size || reference.voxels.size() != test.voxels.size())
        throw EngineError("Cannot compare '" + reference.source.string() + "' and '" + test.source.string()
                          + "': the volumes differ in size.");
    // Voxels without a value (NaN, Inf) in the reference are not scored: PSNR is
    // over the others, and SSIM's windows see 0 in both volumes there.
    const float *referenceVoxels = reference.voxels.data();
    const float *testVoxels = test.voxels.data();
    std::vector<float> finiteReference;
    std::vector<float> finiteTest;
    std::size_t unscored = 0;
    if (!std::all_of(reference.voxels.begin(), reference.voxels.end(), [](float v) { return std::isfinite(v); })) {
        finiteReference = reference.voxels;
        finiteTest = test.voxels;
        for (std::size_t i = 0; i < finiteReference.size(); ++i) {
            if (!std::isfinite(finiteReference[i])) {
                finiteReference[i] = finiteTest[i] = 0.0f;
                ++unscored;
            }
        }
        referenceVoxels = finiteReference.data();
        testVoxels = finiteTest.data();
    }
    QualityMetrics metrics;
    const std::size_t count = reference.voxels.size();
    if (unscored == count)
        throw EngineError("'" + reference.source.string() + "' has no voxel with a finite value to score.");
    metrics.psnr = volumePeakSignalNoiseRatio(referenceVoxels, testVoxels, count, reference.dataRange);
    // The mean squared error over the scored voxels only.
    if (unscored > 0 && std::isfinite(metrics.psnr))
        metrics.psnr -= 10.0 * std::log10(static_cast<double>(count) / static_cast<double>(count - unscored));
    const std::array<int, 3> size{reference.size[0], reference.size[1], reference.size[2]};
    double ssim = 0.0;
    for (int t = 0; t < reference.size[3]; ++t) {
        const std::size_t offset = static_cast<std::size_t>(t) * reference.voxelsPerVolume();
        ssim += volumeStructuralSimilarity(referenceVoxels + offset, testVoxels + offset, size, reference.dataRange);
    }
    metrics.ssim = ssim / reference.size[3];
    return metrics;
}

} // namespace mri
