#include "dataset/DemoDataset.h"

#include "base/EngineError.h"
#include "dataset/Dataset.h"
#include "dataset/OutputPolicy.h"
#include "io/AtomicFile.h"
#include "io/CsvTable.h"
#include "io/DicomSeries.h"
#include "io/ImageIO.h"
#include "io/NiftiFile.h"

#include <opencv2/core.hpp>

#include <algorithm>
#include <fstream>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <vector>

namespace mri {

namespace {

// A slice belongs to the brain when more than this fraction of its voxels is
// brighter than kForegroundLevel of the volume maximum.
constexpr double kForegroundLevel = 0.10;
constexpr double kBrainSliceFraction = 0.02;
// Slices are taken from the middle of the brain, where it fills the slice.
constexpr double kMiddlePart = 0.70;

std::string quotedPath(const std::filesystem::path &file)
{
    return "'" + file.string() + "'";
}

// to_chars: locale-independent (Qt sets the C locale from the environment) and
// the shortest text that reads back as the same float or double.
template<typename T>
std::string shortestNumber(T value)
{
    char buffer[64];
    const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
    return std::string(buffer, result.ptr);
}

std::string fixedNumber(double value, int decimals)
{
    char buffer[400];
    const auto result = std::to_chars(buffer, buffer + sizeof buffer, value, std::chars_format::fixed, decimals);
    return std::string(buffer, result.ptr);
}

std::string sliceFileName(SlicePlane orientation, int index)
{
    char name[48];
    if (orientation == SlicePlane::Axial)
        std::snprintf(name, sizeof name, "demo_%03d.png", index);
    else
        std::snprintf(name, sizeof name, "demo_%s_%03d.png", slicePlaneName(orientation).c_str(), index);
    return name;
}

// Slice axis in the volume: z for axial, y for coronal, x for sagittal.
int sliceAxis(SlicePlane orientation)
{
    switch (orientation) {
    case SlicePlane::Axial: return 2;
    case SlicePlane::Coronal: return 1;
    case SlicePlane::Sagittal: return 0;
    }
    return 2;
}

// The voxel at (row, column) of slice `index`, displayed the radiological way
// round: axial with anterior up, coronal and sagittal with superior up.
float sliceVoxel(const ScanVolume &volume, SlicePlane orientation, int index, int row, int column)
{
    const auto &n = volume.size;
    switch (orientation) {
    case SlicePlane::Axial: return volume.at(column, n[1] - 1 - row, index);
    case SlicePlane::Coronal: return volume.at(column, index, n[2] - 1 - row);
    case SlicePlane::Sagittal: return volume.at(index, column, n[2] - 1 - row);
    }
    return 0.0f;
}

cv::Size sliceSize(const ScanVolume &volume, SlicePlane orientation)
{
    const auto &n = volume.size;
    switch (orientation) {
    case SlicePlane::Axial: return {n[0], n[1]};
    case SlicePlane::Coronal: return {n[0], n[2]};
    case SlicePlane::Sagittal: return {n[1], n[2]};
    }
    return {n[0], n[1]};
}

cv::Mat demoSlice(const ScanVolume &volume, SlicePlane orientation, int index, float maximum)
{
    const cv::Size size = sliceSize(volume, orientation);
    cv::Mat image(size, CV_8UC1);
    const double scale = 255.0 / maximum;
    for (int row = 0; row < size.height; ++row) {
        auto *out = image.ptr<std::uint8_t>(row);
        for (int column = 0; column < size.width; ++column)
            out[column] = cv::saturate_cast<std::uint8_t>(sliceVoxel(volume, orientation, index, row, column) * scale);
    }
    return image;
}

std::vector<int> pickSlices(const ScanVolume &volume, SlicePlane orientation, float maximum, int wanted,
                            const std::filesystem::path &file)
{
    const int count = volume.size[static_cast<std::size_t>(sliceAxis(orientation))];
    const cv::Size size = sliceSize(volume, orientation);
    const float level = static_cast<float>(kForegroundLevel) * maximum;
    int first = -1;
    int last = -1;
    for (int index = 0; index < count; ++index) {
        long long bright = 0;
        for (int row = 0; row < size.height; ++row) {
            for (int column = 0; column < size.width; ++column)
                bright += sliceVoxel(volume, orientation, index, row, column) > level;
        }
        if (static_cast<double>(bright) > kBrainSliceFraction * size.area()) {
            if (first < 0)
                first = index;
            last = index;
        }
    }
    if (first < 0)
        throw EngineError(quotedPath(file) + " has no slice with enough signal to be a brain.");

    const double margin = (1.0 - kMiddlePart) / 2.0 * (last - first);
    const double low = first + margin;
    const double high = last - margin;
    std::vector<int> slices;
    for (int i = 0; i < wanted; ++i) {
        const double t = wanted == 1 ? 0.5 : static_cast<double>(i) / (wanted - 1);
        slices.push_back(static_cast<int>(std::lround(low + t * (high - low))));
    }
    // More slices asked for than the range holds: each index once.
    slices.erase(std::unique(slices.begin(), slices.end()), slices.end());
    return slices;
}

std::string readmeText(const DemoDatasetOptions &options, const ScanVolume &volume, int sliceCount)
{
    const std::string sigma = shortestNumber(options.sigma);
    return "MRI Enhance Studio demo dataset\n"
           "===============================\n\n"
           "Source: " + options.volumeFile.string() + "\n"
           + (options.volumeFile == kDemoVolumePath
                  ? "This is the Colin27 (ch2better) T1-weighted brain template shipped by Debian's\n"
                    "mricron-data package: one real subject, scanned many times and averaged.\n"
                  : std::string())
           +
           "Volume size " + std::to_string(volume.size[0]) + " x " + std::to_string(volume.size[1]) + " x "
           + std::to_string(volume.size[2]) + " voxels of " + shortestNumber(static_cast<float>(volume.spacing[0])) + " x "
           + shortestNumber(static_cast<float>(volume.spacing[1])) + " x " + shortestNumber(static_cast<float>(volume.spacing[2])) + " mm.\n\n"
           "The " + std::to_string(sliceCount) + " \"patients\" (DEMO-001, ...) are " + slicePlaneName(options.orientation)
           + " slices of that one volume,\n"
           "evenly spaced through the middle of the brain, shown with anterior up and scaled\n"
           "to 8 bits with the volume maximum as 255. They are not different people.\n\n"
           "images/  the slices with synthetic " + noiseSpecName(options.noise) + " noise added, sigma = " + sigma
           + " of the\n"
           "         intensity range (" + fixedNumber(options.sigma * 255.0, 1) + " grey levels), seed "
           + std::to_string(options.seed) + " + slice index.\n"
           "clean/   the same slices without noise: the ground truth for PSNR and SSIM.\n"
           "brain_tumor_info.csv  one row per slice: patient_id, image_path, clean_image_path,\n"
           "         slice_index (z in the volume), noise, noise_sigma.\n";
}

// images/ (noisy) and clean/ (ground truth) under the demo's folder.
void createDemoFolders(const std::filesystem::path &outputDir)
{
    for (const auto &dir : {outputDir / "images", outputDir / "clean"}) {
        std::error_code error;
        std::filesystem::create_directories(dir, error);
        if (error)
            throw EngineError("The folder " + quotedPath(dir) + " cannot be created: " + error.message() + ".");
    }
}

// The data set's table and README, written after its images. Returns the
// table's file.
std::filesystem::path writeTableAndReadme(const std::filesystem::path &outputDir, const CsvTable &table,
                                          const std::string &readme)
{
    const std::filesystem::path csvFile = outputDir / kDefaultCsvName;
    writeCsvFileAtomically(csvFile, table);
    writeFileAtomically(outputDir / "README.txt", readme);
    return csvFile;
}

std::string volumeReadmeText(const DemoDatasetOptions &options, const ScanVolume &volume, int patients)
{
    const bool nifti = options.format == DemoFormat::Nifti;
    return "MRI Enhance Studio demo dataset (" + std::string(nifti ? "NIfTI volumes" : "DICOM series") + ")\n"
           "================================================\n\n"
           "Source: " + options.volumeFile.string() + ", " + std::to_string(volume.size[0]) + " x "
           + std::to_string(volume.size[1]) + " x " + std::to_string(volume.size[2]) + " voxels.\n\n"
           "The " + std::to_string(patients) + " \"patients\" (DEMO-001, ...) are slabs of "
           + std::to_string(options.sliceCount) + " " + slicePlaneName(options.orientation)
           + " slices of that one volume,\n"
           "from evenly spaced places in the brain, with the geometry of where they were cut.\n"
           "They are not different people.\n\n"
           "images/  " + std::string(nifti ? "DEMO-nnn.nii.gz: float32, the template scaled to 0..1000"
                                           : "DEMO-nnn/: a 12-bit MR series, the template scaled to 0..4000")
           + ",\n         with synthetic " + noiseSpecName(options.noise) + " noise, sigma = "
           + shortestNumber(options.sigma) + " of the range, seed " + std::to_string(options.seed) + ".\n"
           "clean/   the same volumes without noise: the ground truth.\n"
           "brain_tumor_info.csv  one row per volume: patient_id, image_path, clean_image_path,\n"
           "         slab_first, slab_slices, noise, noise_sigma.\n";
}

DemoDatasetResult buildVolumeDemo(const DemoDatasetOptions &options, const ScanVolume &volume, float maximum,
                                  const std::function<void(int done, int total)> &progress)
{
    if (options.patientCount < 1)
        throw EngineError("The demo dataset needs at least one patient.");
    const bool nifti = options.format == DemoFormat::Nifti;
    const double scale = nifti ? 1000.0 : 4000.0; // float NIfTI; 12-bit DICOM
    const int axis = sliceAxisOf(volume, options.orientation);
    const int extent = volume.size[static_cast<std::size_t>(axis)];
    const int slab = std::min(options.sliceCount, extent);
    const auto centres = pickSlices(volume, options.orientation, maximum, options.patientCount, options.volumeFile);

    createDemoFolders(options.outputDir);
    CsvTable table;
    table.header = {"patient_id", "image_path", "clean_image_path", "slab_first", "slab_slices", "noise", "noise_sigma"};
    const int total = static_cast<int>(centres.size());
    if (progress)
        progress(0, total);
    for (int i = 0; i < total; ++i) {
        char patient[32];
        std::snprintf(patient, sizeof patient, "DEMO-%03d", i + 1);
        const int first = std::clamp(centres[static_cast<std::size_t>(i)] - slab / 2, 0, extent - slab);
        ScanVolume clean = slabOf(volume, axis, first, slab);
        for (auto &value : clean.voxels)
            value = value / maximum;
        // Noise on unit slices (its sigma is a share of the range), one seed per slice.
        ScanVolume noisy = clean;
        const std::size_t plane = static_cast<std::size_t>(clean.size[0]) * clean.size[1];
        for (int z = 0; z < clean.size[2]; ++z) {
            const cv::Mat slice(clean.size[1], clean.size[0], CV_32FC1, clean.voxels.data() + z * plane);
            const cv::Mat withNoise = addNoise(slice, options.noise, options.sigma,
                                               options.seed + static_cast<std::uint64_t>(i) * 1000 + z);
            std::copy_n(withNoise.ptr<float>(), plane, noisy.voxels.data() + z * plane);
        }
        for (auto *scan : {&clean, &noisy}) {
            for (auto &value : scan->voxels)
                value = static_cast<float>(std::clamp(value * scale, 0.0, scale));
        }
        std::string image, cleanImage;
        if (nifti) {
            image = "images/" + std::string(patient) + ".nii.gz";
            cleanImage = "clean/" + std::string(patient) + ".nii.gz";
            writeNiftiVolume(noisy, options.outputDir / image, "MRI Enhance Studio demo, noisy", kNiftiFloat32);
            writeNiftiVolume(clean, options.outputDir / cleanImage, "MRI Enhance Studio demo, clean", kNiftiFloat32);
        } else {
            image = "images/" + std::string(patient);
            cleanImage = "clean/" + std::string(patient);
            DicomWriteOptions dicom;
            dicom.patientId = patient;
            dicom.patientName = std::string("DEMO^") + patient;
            dicom.studyDate = "20261130";
            dicom.seriesDescription = "Demo T1 " + slicePlaneName(options.orientation) + ", noisy";
            writeDicomSeries(noisy, options.outputDir / image, dicom);
            dicom.seriesDescription = "Demo T1 " + slicePlaneName(options.orientation) + ", clean";
            writeDicomSeries(clean, options.outputDir / cleanImage, dicom);
        }
        table.rows.push_back({patient, image, cleanImage, std::to_string(first), std::to_string(slab),
                              noiseSpecName(options.noise), shortestNumber(options.sigma)});
        if (progress)
            progress(i + 1, total);
    }
    return {writeTableAndReadme(options.outputDir, table, volumeReadmeText(options, volume, total)), total * slab, total};
}

} // namespace

std::string demoFormatName(DemoFormat format)
{
    switch (format) {
    case DemoFormat::Png: return "png";
    case DemoFormat::Nifti: return "nifti";
    case DemoFormat::Dicom: return "dicom";
    }
    return "png";
}

std::optional<DemoFormat> parseDemoFormat(const std::string &name)
{
    for (const auto format : {DemoFormat::Png, DemoFormat::Nifti, DemoFormat::Dicom}) {
        if (demoFormatName(format) == name)
            return format;
    }
    return std::nullopt;
}

// The demo writes brain_tumor_info.csv, README.txt, images/ and clean/ into
// its folder: a folder that holds anything but an earlier demo (another
// dataset, the user's pictures), or the volume it reads, is refused before
// anything is written.
static void checkDemoFolderIsOurs(const DemoDatasetOptions &options)
{
    const auto &folder = options.outputDir;
    std::error_code error;
    if (std::filesystem::is_directory(folder, error) && !std::filesystem::is_empty(folder, error)) {
        std::ifstream readme(folder / "README.txt");
        std::string firstLine;
        std::getline(readme, firstLine);
        if (firstLine.rfind("MRI Enhance Studio demo dataset", 0) != 0)
            throw EngineError("The folder '" + folder.string() + "' already holds files that are not a demo dataset"
                              + (std::filesystem::exists(folder / kDefaultCsvName, error)
                                     ? " (it holds a dataset, " + std::string(kDefaultCsvName) + ")"
                                     : std::string())
                              + "; choose an empty folder for the demo.");
    }
    OutputPolicy policy;
    policy.protectFile(options.volumeFile, "the volume the demo is cut from");
    for (const char *name : {kDefaultCsvName, "README.txt"})
        policy.addOutput(folder / name, "the demo's " + std::string(name));
    policy.check();
}

DemoDatasetResult buildDemoDataset(const DemoDatasetOptions &options,
                                   const std::function<void(int done, int total)> &progress)
{
    if (options.outputDir.empty())
        throw EngineError("No output folder was given for the demo dataset.");
    if (options.sliceCount < 1)
        throw EngineError("The demo dataset needs at least one slice.");
    if (!(options.sigma >= 0.0) || !std::isfinite(options.sigma))
        throw EngineError("The demo noise level must be a finite, non-negative fraction of the intensity range.");

    checkDemoFolderIsOurs(options);
    const ScanVolume volume = readNiftiFile(options.volumeFile);
    const float maximum = *std::max_element(volume.voxels.begin(), volume.voxels.end());
    if (!(maximum > 0.0f))
        throw EngineError(quotedPath(options.volumeFile) + " contains no positive intensity.");
    if (options.format != DemoFormat::Png)
        return buildVolumeDemo(options, volume, maximum, progress);
    const std::vector<int> slices = pickSlices(volume, options.orientation, maximum, options.sliceCount, options.volumeFile);

    const std::filesystem::path imagesDir = options.outputDir / "images";
    const std::filesystem::path cleanDir = options.outputDir / "clean";
    createDemoFolders(options.outputDir);

    CsvTable table;
    table.header = {"patient_id", "image_path", "clean_image_path", "slice_index", "noise", "noise_sigma"};
    const int total = static_cast<int>(slices.size());
    if (progress)
        progress(0, total);
    for (int i = 0; i < total; ++i) {
        const int z = slices[static_cast<std::size_t>(i)];
        const std::string name = sliceFileName(options.orientation, z);
        const cv::Mat clean = demoSlice(volume, options.orientation, z, maximum);
        const cv::Mat noisy = addNoise(clean, options.noise, options.sigma, options.seed + static_cast<std::uint64_t>(z));
        saveImageAtomically(cleanDir / name, clean);
        saveImageAtomically(imagesDir / name, noisy);

        char patient[32];
        std::snprintf(patient, sizeof patient, "DEMO-%03d", i + 1);
        table.rows.push_back({patient, "images/" + name, "clean/" + name, std::to_string(z),
                              noiseSpecName(options.noise), shortestNumber(options.sigma)});
        if (progress)
            progress(i + 1, total);
    }

    return {writeTableAndReadme(options.outputDir, table, readmeText(options, volume, total)), total, total};
}

} // namespace mri
