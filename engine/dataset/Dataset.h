#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace mri {

inline constexpr const char *kDefaultCsvName = "brain_tumor_info.csv";
inline constexpr const char *kDefaultMetricsCsvName = "brain_tumor_info_metrics.csv";
inline constexpr const char *kDefaultEnhancedDirName = "enhanced_images";

struct DatasetRow
{
    std::string patientId;
    std::string imagePathText;           // image_path exactly as written in the CSV
    std::filesystem::path imagePath;     // resolved: absolute, or relative to the CSV's folder
    std::string seriesUid;               // series_uid column: one DICOM series of a folder that holds several
    std::vector<std::string> fields;     // every column of the CSV row, in header order
    int sourceLine = 0;                  // 1-based line of the row in the CSV (0 for scanned folders)
};

struct Dataset
{
    std::filesystem::path folder;
    std::filesystem::path csvFile;       // empty when the folder was scanned for images
    std::vector<std::string> columns;    // CSV header as written (scanned: patient_id, image_path)
    std::vector<DatasetRow> rows;

    int columnIndex(const std::string &name) const; // case-insensitive; -1 when absent
    std::string describeRow(std::size_t index) const; // "row 12 (patient P-003) of /x/brain_tumor_info.csv"
};

// Opens a dataset folder. `csvFile` empty: use folder/brain_tumor_info.csv when
// it exists, otherwise scan the folder: its PNG, JPEG, BMP and TIFF images and
// NIfTI files (patient_id = the name without extension), and the DICOM series
// in it and its subfolders (one row each; patient_id = PatientID, else the
// folder's name; columns series_uid, study_date and series_description),
// sorted by path. The results folder (enhanced_images) is not scanned. A relative `csvFile` is
// taken relative to `folder`. Throws EngineError when the folder is missing,
// the CSV lacks patient_id or image_path, or no row is found. Rows with an
// empty patient_id or image_path are kept (imagePath stays empty) so that they
// fail later with a per-row message instead of hiding the rest of the dataset.
Dataset openDataset(const std::filesystem::path &folder, const std::filesystem::path &csvFile = {});

// Resolves a path written in the dataset's CSV (absolute, or relative to the
// CSV's folder; for scanned folders relative to the folder).
std::filesystem::path resolveDatasetPath(const Dataset &dataset, const std::string &pathText);

// The ground truth of a row, from an optional clean_image_path column (as in
// the demo dataset); empty when the dataset has none for that row.
std::filesystem::path cleanImagePathOf(const Dataset &dataset, std::size_t row);

// True for the picture file extensions the tool reads (case-insensitive).
bool isSupportedImageFile(const std::filesystem::path &file);
// True for .nii and .nii.gz (case-insensitive).
bool isNiftiFile(const std::filesystem::path &file);
// A NIfTI file's name without .nii or .nii.gz.
std::string niftiStem(const std::filesystem::path &file);

} // namespace mri
