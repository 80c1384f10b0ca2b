#include "dataset/Dataset.h"

#include "base/EngineError.h"
#include "base/Text.h"
#include "io/CsvTable.h"
#include "io/DicomSeries.h"

#include <algorithm>
#include <map>
#include <cctype>
#include <string_view>
#include <system_error>

namespace fs = std::filesystem;

namespace mri {

namespace {

std::string trimmed(std::string_view text)
{
    const auto isBlank = [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; };
    while (!text.empty() && isBlank(text.front()))
        text.remove_prefix(1);
    while (!text.empty() && isBlank(text.back()))
        text.remove_suffix(1);
    return std::string(text);
}

std::string quoted(const fs::path &path)
{
    return "'" + path.string() + "'";
}

std::string joined(const std::vector<std::string> &items)
{
    std::string out;
    for (std::size_t i = 0; i < items.size(); ++i) {
        if (i > 0)
            out += ", ";
        out += items[i];
    }
    return out;
}

int requiredColumn(const CsvTable &table, const char *name, const fs::path &csvFile)
{
    const int index = table.columnIndex(name);
    if (index < 0) {
        throw EngineError(quoted(csvFile) + " has no " + name + " column; its columns are: " + joined(table.header)
                          + ".");
    }
    return index;
}

Dataset readCsvDataset(const fs::path &folder, const fs::path &csvFile)
{
    const CsvTable table = readCsvFile(csvFile);
    const int patientColumn = requiredColumn(table, "patient_id", csvFile);
    const int imageColumn = requiredColumn(table, "image_path", csvFile);
    const int seriesColumn = table.columnIndex("series_uid");

    Dataset dataset;
    dataset.folder = folder;
    dataset.csvFile = csvFile;
    dataset.columns = table.header;
    dataset.rows.reserve(table.rows.size());
    for (std::size_t i = 0; i < table.rows.size(); ++i) {
        DatasetRow row;
        row.fields = table.rows[i];
        row.patientId = trimmed(row.fields[static_cast<std::size_t>(patientColumn)]);
        row.imagePathText = trimmed(row.fields[static_cast<std::size_t>(imageColumn)]);
        row.imagePath = resolveDatasetPath(dataset, row.imagePathText);
        row.sourceLine = table.rowLines[i];
        if (seriesColumn >= 0)
            row.seriesUid = trimmed(row.fields[static_cast<std::size_t>(seriesColumn)]);
        dataset.rows.push_back(std::move(row));
    }
    if (dataset.rows.empty())
        throw EngineError(quoted(csvFile) + " has a header but no data rows.");
    return dataset;
}

Dataset scanFolder(const fs::path &folder)
{
    std::vector<fs::path> files;
    std::error_code ec;
    for (fs::directory_iterator it(folder, ec), end; !ec && it != end; it.increment(ec)) {
        const fs::path &file = it->path();
        // Hidden files are our own temporaries or macOS "._x.png" metadata, not slices.
        if (file.filename().string().rfind('.', 0) == 0)
            continue;
        std::error_code statusError;
        if (it->is_regular_file(statusError) && (isSupportedImageFile(file) || isNiftiFile(file)))
            files.push_back(file);
    }
    if (ec)
        throw EngineError("Cannot list the folder " + quoted(folder) + ": " + ec.message() + ".");
    // DICOM series anywhere below, except in our own results.
    const fs::path results = folder / kDefaultEnhancedDirName;
    std::vector<DicomSeriesEntry> series;
    for (auto &entry : findDicomSeries(folder)) {
        const auto relative = entry.folder.lexically_relative(results);
        if (!relative.empty() && *relative.begin() != "..")
            continue;
        series.push_back(std::move(entry));
    }
    if (files.empty() && series.empty()) {
        throw EngineError("The folder " + quoted(folder) + " has no " + kDefaultCsvName
                          + " and no PNG, JPEG, BMP, TIFF, NIfTI or DICOM images.");
    }

    Dataset dataset;
    dataset.folder = folder;
    dataset.columns = {"patient_id", "image_path"};
    if (!series.empty())
        dataset.columns.insert(dataset.columns.end(), {"series_uid", "study_date", "series_description"});
    for (const fs::path &file : files) {
        DatasetRow row;
        row.patientId = isNiftiFile(file) ? niftiStem(file) : file.stem().string();
        row.imagePathText = file.filename().string();
        row.imagePath = file;
        row.fields = {row.patientId, row.imagePathText};
        row.fields.resize(dataset.columns.size());
        dataset.rows.push_back(std::move(row));
    }
    // A folder that holds several series names each by its UID.
    std::map<fs::path, int> seriesPerFolder;
    for (const auto &entry : series)
        ++seriesPerFolder[entry.folder];
    for (const auto &entry : series) {
        DatasetRow row;
        const auto relative = entry.folder.lexically_relative(folder);
        row.imagePathText = relative.empty() || relative == "." ? "." : relative.generic_string();
        row.imagePath = entry.folder;
        row.patientId = !trimmed(entry.patientId).empty()
            ? trimmed(entry.patientId)
            : (row.imagePathText == "." ? folder.filename().string() : entry.folder.filename().string());
        if (seriesPerFolder[entry.folder] > 1)
            row.seriesUid = entry.seriesInstanceUid;
        row.fields = {row.patientId, row.imagePathText, row.seriesUid, entry.studyDate, entry.seriesDescription};
        dataset.rows.push_back(std::move(row));
    }
    std::stable_sort(dataset.rows.begin(), dataset.rows.end(), [](const DatasetRow &a, const DatasetRow &b) {
        return a.imagePathText < b.imagePathText;
    });
    return dataset;
}

} // namespace

fs::path resolveDatasetPath(const Dataset &dataset, const std::string &pathText)
{
    if (pathText.empty())
        return {};
    const fs::path written(pathText);
    const fs::path base = dataset.csvFile.empty() ? dataset.folder : dataset.csvFile.parent_path();
    return (written.is_absolute() ? written : base / written).lexically_normal();
}

fs::path cleanImagePathOf(const Dataset &dataset, std::size_t row)
{
    const int column = dataset.columnIndex("clean_image_path");
    const auto &fields = dataset.rows.at(row).fields;
    if (column < 0 || static_cast<std::size_t>(column) >= fields.size())
        return {};
    return resolveDatasetPath(dataset, trimmed(fields[static_cast<std::size_t>(column)]));
}

int Dataset::columnIndex(const std::string &name) const
{
    const std::string wanted = lowerCase(trimmed(name));
    for (std::size_t i = 0; i < columns.size(); ++i) {
        if (lowerCase(trimmed(columns[i])) == wanted)
            return static_cast<int>(i);
    }
    return -1;
}

std::string Dataset::describeRow(std::size_t index) const
{
    const DatasetRow &row = rows.at(index);
    const std::string patient = row.patientId.empty() ? "no patient_id" : "patient " + row.patientId;
    if (csvFile.empty())
        return "image '" + row.imagePathText + "' (" + patient + ") in " + quoted(folder);
    return "row " + std::to_string(row.sourceLine) + " (" + patient + ") of " + quoted(csvFile);
}

Dataset openDataset(const fs::path &folder, const fs::path &csvFile)
{
    std::error_code ec;
    fs::path root = fs::absolute(folder, ec).lexically_normal();
    if (!root.has_filename() && root.has_relative_path())
        root = root.parent_path(); // "/data/" -> "/data", so messages and joins stay tidy
    const fs::file_status status = fs::status(root, ec);
    if (!fs::exists(status))
        throw EngineError("The dataset folder " + quoted(folder) + " does not exist.");
    if (!fs::is_directory(status))
        throw EngineError("The dataset path " + quoted(folder) + " is not a folder.");

    if (!csvFile.empty())
        return readCsvDataset(root, (csvFile.is_absolute() ? csvFile : root / csvFile).lexically_normal());
    const fs::path defaultCsv = root / kDefaultCsvName;
    if (fs::is_regular_file(defaultCsv, ec))
        return readCsvDataset(root, defaultCsv);
    return scanFolder(root);
}

std::string niftiStem(const fs::path &file)
{
    std::string name = file.filename().string();
    const std::string lower = lowerCase(name);
    const auto cut = lower.size() >= 7 && lower.compare(lower.size() - 7, 7, ".nii.gz") == 0 ? 7 : 4;
    return name.substr(0, name.size() - cut);
}

bool isNiftiFile(const fs::path &file)
{
    const std::string name = lowerCase(file.filename().string());
    const auto endsWith = [&](const std::string &suffix) {
        return name.size() > suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
    };
    return endsWith(".nii") || endsWith(".nii.gz");
}

bool isSupportedImageFile(const fs::path &file)
{
    static const char *const extensions[] = {".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff"};
    const std::string extension = lowerCase(file.extension().string());
    return std::any_of(std::begin(extensions), std::end(extensions),
                       [&](const char *known) { return extension == known; });
}

} // namespace mri
