#pragma once

#include "io/SlicePlane.h"
#include "quality/Noise.h"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>

namespace mri {

inline constexpr const char *kDemoVolumePath = "/usr/share/mricron/templates/ch2better.nii.gz";

// How the demo's patients are stored: PNG slices, one NIfTI volume each, or
// one DICOM series each.
enum class DemoFormat { Png, Nifti, Dicom };

std::string demoFormatName(DemoFormat format);                  // "png", "nifti", "dicom"
std::optional<DemoFormat> parseDemoFormat(const std::string &name);

struct DemoDatasetOptions
{
    std::filesystem::path volumeFile = kDemoVolumePath;
    std::filesystem::path outputDir;
    DemoFormat format = DemoFormat::Png;
    int sliceCount = 40;        // PNG: slices, evenly spaced through the brain; volumes: slices per volume
    int patientCount = 4;       // NIfTI and DICOM: volumes (slabs from evenly spaced places in the brain)
    SlicePlane orientation = SlicePlane::Axial;
    double sigma = 0.08;        // noise std as a fraction of the intensity range
    NoiseSpec noise;            // default: Rician
    std::uint64_t seed = 1;
};

struct DemoDatasetResult
{
    std::filesystem::path csvFile;
    int sliceCount = 0;         // slices written (all volumes' together)
    int patientCount = 0;
};

// PNG: writes outputDir/images/*.png (noisy slices), outputDir/clean/*.png (the
// same slices without noise: ground truth), outputDir/brain_tumor_info.csv
// (patient_id, image_path, clean_image_path, slice_index, noise, noise_sigma)
// and outputDir/README.txt. NIfTI and DICOM: the same with one volume per
// patient, a slab of `sliceCount` slices of the orientation (images/DEMO-001.nii.gz
// as float32, or images/DEMO-001/ as a 12-bit DICOM series), columns
// slab_first and slab_slices instead of slice_index. Existing files of the same names are replaced
// atomically. Throws EngineError.
DemoDatasetResult buildDemoDataset(const DemoDatasetOptions &options,
                                   const std::function<void(int done, int total)> &progress = {});

} // namespace mri
