#pragma once

#include <opencv2/core/mat.hpp>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace mri {

// Real anatomy at any size, for measuring memory on content like a user's
// (a phantom or uniform noise has no background of the right shape and
// compresses differently): the middle axial slice of a Debian mricron-data
// template, scaled to 8 bits by the volume's maximum, resized to side x side
// with cubic interpolation, then Rician noise of `sigma` (fraction of the
// range). Throws EngineError when the volume cannot be read.
cv::Mat realContentSlice(const std::filesystem::path &volumeFile, int side, double sigma = 0.1,
                         std::uint64_t seed = 1);

// Writes `folder`/images/slice.png and a one-row `folder`/brain_tumor_info.csv.
void writeOneSliceDataset(const std::filesystem::path &folder, const cv::Mat &slice);

// Runs `arguments` (program first) with its output discarded and waits:
// the exit status (-1: did not start or ended by a signal), its own peak
// resident memory (wait4's ru_maxrss, this child alone) and wall time.
struct ChildRun
{
    int exitCode = -1;
    double peakMiB = 0.0;
    double seconds = 0.0;
};
ChildRun runMeasured(const std::vector<std::string> &arguments);

// Debian's mricron-data templates used for the measurements.
inline const char *const kMacaqueVolume = "/usr/share/mricron/templates/inia19-t1-brain.nii.gz";
inline const char *const kColinVolume = "/usr/share/mricron/templates/ch2.nii.gz";

} // namespace mri
