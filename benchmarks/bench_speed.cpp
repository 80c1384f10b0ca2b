// Speed and memory of the engine on this machine: enhancement in ms per
// megapixel for several slice sizes (whole and tiled), the peak memory of an
// 8000 x 8000 slice, and training seconds per step and per epoch.
//   bench_speed [--quick | --large]
// --large measures only the 8000 x 8000 slice, in a process of its own, so
// that its peak memory is not hidden by the other runs.
#include "Enhancer.h"
#include "ImageIO.h"
#include "Noise.h"
#include "ThreadPolicy.h"
#include "Trainer.h"

#include <opencv2/imgproc.hpp>

#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <thread>

namespace {

using Clock = std::chrono::steady_clock;

double seconds(Clock::time_point since)
{
    return std::chrono::duration<double>(Clock::now() - since).count();
}

double peakMemoryMiB()
{
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return usage.ru_maxrss / 1024.0;
}

cv::Mat syntheticSlice(int width, int height)
{
    cv::Mat slice(height, width, CV_32FC1, cv::Scalar(0));
    cv::ellipse(slice, {width / 2, height / 2}, {width * 2 / 5, height * 9 / 20}, 0, 0, 360, cv::Scalar(0.6), cv::FILLED);
    cv::circle(slice, {width / 3, height / 2}, std::max(1, width / 10), cv::Scalar(0.9), cv::FILLED);
    return mri::fromUnitFloat(mri::addNoise(slice, mri::NoiseModel::Rician, 0.08, 1), CV_8U);
}

} // namespace

int main(int argc, char **argv)
{
    mri::adoptPassiveThreadWaiting(argv); // may re-execute the program, so first
    const bool quick = argc > 1 && std::strcmp(argv[1], "--quick") == 0;
    const bool largeOnly = argc > 1 && std::strcmp(argv[1], "--large") == 0;
    const auto folder = std::filesystem::temp_directory_path() / "mri-bench-speed";
    std::filesystem::create_directories(folder);
    std::printf("threads: %u cores, %d in this process's affinity mask, %d used\n", std::thread::hardware_concurrency(),
                mri::availableCpuCount(), mri::resolveThreadCount(0));

    // Training speed with the default options on 256 x 256 slices.
    std::vector<mri::TrainingSlice> slices;
    for (int i = 0; i < 8; ++i)
        slices.push_back({"s" + std::to_string(i), syntheticSlice(256, 256), {}});
    mri::TrainingOptions options;
    options.modelFile = folder / "bench.pt";
    options.epochs = 1;
    options.patchesPerImage = quick || largeOnly ? 4 : 16;
    options.validationFraction = 0.0;
    options.seed = 1;
    long long steps = 0;
    double firstStepAt = 0.0; // seconds into the run, from the step reports
    double lastStepAt = 0.0;
    mri::TrainingCallbacks callbacks;
    callbacks.onStep = [&](const mri::TrainingStep &step) {
        if (++steps == 1)
            firstStepAt = step.elapsedSeconds;
        lastStepAt = step.elapsedSeconds;
    };
    std::atomic_bool cancel{false};
    auto start = Clock::now();
    mri::trainOnSlices(slices, options, callbacks, cancel);
    const double trainSeconds = seconds(start);
    std::printf("training (default network %dx%d, batch %d of %dx%d patches): %.3f s per step, %.1f s per epoch of %lld steps\n",
                options.network.depth, options.network.baseChannels, options.batchSize, options.patchSize,
                options.patchSize, trainSeconds / steps, trainSeconds, steps);
    // The steps alone, without the set-up, batch normalisation's recalibration and the checkpoint.
    if (steps > 1)
        std::printf("training steps alone (2 to %lld): %.3f s per step\n", steps, (lastStepAt - firstStepAt) / (steps - 1));

    auto enhancer = mri::Enhancer::load(options.modelFile);
    std::vector<int> sizes;
    if (!largeOnly)
        sizes = {256, 512, 1024};
    if (!quick && !largeOnly)
        sizes.push_back(2048);
    for (const int size : sizes) {
        const cv::Mat slice = syntheticSlice(size, size);
        for (const int tile : {4096, 512}) {
            enhancer.setTiling(tile);
            enhancer.enhance(slice); // warm-up
            const int repeats = size <= 512 ? 5 : 2;
            start = Clock::now();
            for (int r = 0; r < repeats; ++r)
                enhancer.enhance(slice);
            const double each = seconds(start) / repeats;
            std::printf("enhance %4dx%-4d tile %4d: %7.1f ms per slice, %7.1f ms per megapixel, %6.2f slices/s\n", size,
                        size, tile, each * 1000, each * 1000 / (size * size / 1e6), 1.0 / each);
        }
    }

    if (largeOnly) {
        enhancer.setTiling(768);
        const cv::Mat large = syntheticSlice(8000, 8000);
        const double before = peakMemoryMiB();
        start = Clock::now();
        const cv::Mat output = enhancer.enhance(large);
        std::printf("enhance 8000x8000 (tiles of 768): %.1f s, %.1f ms per megapixel, peak resident memory %.0f MiB "
                    "(%.0f MiB before)\n",
                    seconds(start), seconds(start) * 1000 / 64.0, peakMemoryMiB(), before);
    }
    std::filesystem::remove_all(folder);
    return 0;
}
