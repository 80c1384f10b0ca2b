#include "RealContentSlice.h"

#include "io/AtomicFile.h"
#include "io/ImageIO.h"
#include "io/ScanVolume.h"
#include "quality/Noise.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>

#include <fcntl.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

namespace mri {

cv::Mat realContentSlice(const std::filesystem::path &volumeFile, int side, double sigma, std::uint64_t seed)
{
    cv::Mat slice8;
    {
        const ScanVolume volume = readScan(volumeFile);
        float maximum = 0.0f;
        for (const float value : volume.voxels) {
            if (std::isfinite(value))
                maximum = std::max(maximum, value);
        }
        const int middle = sliceCountOf(volume, SlicePlane::Axial) / 2;
        const cv::Mat values = extractSlice(volume, SlicePlane::Axial, middle);
        values.convertTo(slice8, CV_8U, maximum > 0.0f ? 255.0 / maximum : 1.0);
    }
    cv::Mat resized;
    cv::resize(slice8, resized, cv::Size(side, side), 0.0, 0.0, cv::INTER_CUBIC);
    slice8.release();
    if (sigma <= 0.0)
        return resized;
    return addNoise(resized, NoiseModel::Rician, sigma, seed);
}

void writeOneSliceDataset(const std::filesystem::path &folder, const cv::Mat &slice)
{
    std::filesystem::create_directories(folder / "images");
    saveImageAtomically(folder / "images" / "slice.png", slice);
    writeFileAtomically(folder / "brain_tumor_info.csv", "patient_id,image_path\nP1,images/slice.png\n");
}

ChildRun runMeasured(const std::vector<std::string> &arguments)
{
    ChildRun run;
    std::vector<char *> argv;
    for (const auto &argument : arguments)
        argv.push_back(const_cast<char *>(argument.c_str()));
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
    const auto start = std::chrono::steady_clock::now();
    pid_t child = 0;
    const int failed = posix_spawn(&child, argv[0], &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (failed != 0)
        return run;
    int status = 0;
    rusage usage{};
    if (wait4(child, &status, 0, &usage) != child)
        return run;
    run.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    run.peakMiB = usage.ru_maxrss / 1024.0; // kilobytes on Linux
    run.exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return run;
}

} // namespace mri
