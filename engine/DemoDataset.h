#pragma once

#include "Noise.h"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>

namespace mri {

inline constexpr const char *kDemoVolumePath = "/usr/share/mricron/templates/ch2better.nii.gz";

enum class SliceOrientation { Axial, Coronal, Sagittal };

std::string orientationName(SliceOrientation orientation);                 // "axial", ...
std::optional<SliceOrientation> parseOrientation(const std::string &name);

struct DemoDatasetOptions
{
    std::filesystem::path volumeFile = kDemoVolumePath;
    std::filesystem::path outputDir;
    int sliceCount = 40;        // slices, evenly spaced through the brain
    SliceOrientation orientation = SliceOrientation::Axial;
    double sigma = 0.08;        // noise std as a fraction of the intensity range
    NoiseSpec noise;            // default: Rician
    std::uint64_t seed = 1;
};

struct DemoDatasetResult
{
    std::filesystem::path csvFile;
    int sliceCount = 0;
};

// Writes outputDir/images/*.png (noisy slices), outputDir/clean/*.png (the same
// slices without noise: ground truth), outputDir/brain_tumor_info.csv
// (patient_id, image_path, clean_image_path, slice_index, noise, noise_sigma)
// and outputDir/README.txt. Existing files of the same names are replaced
// atomically. Throws EngineError.
DemoDatasetResult buildDemoDataset(const DemoDatasetOptions &options,
                                   const std::function<void(int done, int total)> &progress = {});

} // namespace mri
