#include "io/dicom/DicomFolderScan.h"

#include "base/EngineError.h"
#include "base/Text.h"
#include "io/DicomSeries.h"
#include "io/dicom/DicomEncodingCheck.h"
#include "io/dicom/DicomPixelDataCheck.h"
#include "io/dicom/DicomTags.h"
#include "io/dicom/DicomValues.h"

#include <gdcmScanner.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <tuple>
#include <utility>

namespace fs = std::filesystem;

namespace mri::dicom {

namespace {

bool isHidden(const fs::path &path)
{
    const std::string name = path.filename().string();
    return !name.empty() && name[0] == '.';
}

bool looksLikeOtherFormat(const fs::path &path)
{
    static const std::set<std::string> others = {".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".nii", ".gz",
                                                 ".csv", ".txt", ".json", ".pt", ".xml", ".html", ".md", ".zip"};
    return others.count(lowerCase(path.extension().string())) > 0;
}

// The header tags readDicom() and findDicomSeries() look at.
void addScanTags(gdcm::Scanner &scanner)
{
    for (const auto &tag : {kSeriesInstanceUid, kRows, kColumns, kImagePosition, kImageOrientation, kInstanceNumber,
                            kNumberOfFrames, kFrameIncrementPointer, kPatientId, kStudyDate, kSeriesDescription, kModality,
                            kSopClassUid, kAcquisitionNumber, kTemporalPositionIdentifier, kEchoNumbers})
        scanner.AddTag(tag);
}

std::string scannedValue(const gdcm::Scanner &scanner, const std::string &file, const gdcm::Tag &tag)
{
    const char *value = scanner.GetValue(file.c_str(), tag);
    return value ? trimmed(value) : std::string();
}

// The files of `folder` (not of its subfolders) that may be DICOM, sorted:
// neither hidden nor of another format, and with the DICM preamble.
std::vector<std::string> dicomFilesIn(const fs::path &folder)
{
    std::vector<std::string> files;
    std::error_code error;
    for (fs::directory_iterator it(folder, fs::directory_options::skip_permission_denied, error), end;
         !error && it != end; it.increment(error)) {
        if (it->is_regular_file(error) && !isHidden(it->path()) && !looksLikeOtherFormat(it->path()))
            files.push_back(it->path().string());
    }
    if (error)
        throw EngineError("The DICOM folder " + named(folder) + " cannot be read (" + error.message() + ").");
    std::sort(files.begin(), files.end());
    // GDCM's scanner parses every file: files without the DICM preamble are
    // left out, a damaged one is the folder's error.
    files.erase(std::remove_if(files.begin(), files.end(), [](const std::string &file) {
                    bool isDicom = false;
                    const std::string problem = encodingProblem(file, isDicom);
                    if (isDicom && !problem.empty())
                        throw EngineError("The DICOM file " + named(file) + " is damaged: " + problem + ".");
                    return !isDicom;
                }),
                files.end());
    return files;
}

// The files of the one series to read among the scanned `files` of
// `folder`: `seriesUid`'s, or the only one.
std::vector<std::string> seriesFilesOf(const gdcm::Scanner &scanner, const std::vector<std::string> &files,
                                       const fs::path &folder, const std::string &seriesUid)
{
    // Image files (they have Rows) grouped by series.
    std::map<std::string, std::vector<std::string>> series;
    int dicomFiles = 0;
    for (const auto &file : files) {
        if (!scanner.IsKey(file.c_str()))
            continue;
        ++dicomFiles;
        if (scannedValue(scanner, file, kRows).empty())
            continue;
        series[scannedValue(scanner, file, kSeriesInstanceUid)].push_back(file);
    }
    if (dicomFiles == 0)
        throw EngineError("The folder " + named(folder) + " holds no DICOM files.");
    if (series.empty())
        throw EngineError("The DICOM files in " + named(folder) + " hold no images (no pixel data).");
    if (!seriesUid.empty()) {
        const auto found = series.find(seriesUid);
        if (found == series.end())
            throw EngineError("The folder " + named(folder) + " holds no DICOM series with SeriesInstanceUID "
                              + seriesUid + " (it holds " + std::to_string(series.size()) + ").");
        return found->second;
    }
    if (series.size() > 1)
        throw EngineError("The folder " + named(folder) + " holds " + std::to_string(series.size())
                          + " DICOM series; name one in a series_uid column or put each series in its own folder.");
    return series.begin()->second;
}

// The slices of a series' files (`chosen`, scanned), each file's header
// checked against the first one's.
std::vector<SliceSource> checkedSlicesOf(const gdcm::Scanner &scanner, const std::vector<std::string> &chosen,
                                         const fs::path &folder)
{
    std::vector<SliceSource> slices;
    const std::string &first = chosen.front();
    const std::string size = scannedValue(scanner, first, kColumns) + "x" + scannedValue(scanner, first, kRows);
    const auto firstOrientation = orientationOf(scannedValue(scanner, first, kImageOrientation));
    for (const auto &file : chosen) {
        const auto frames = numbersOf(scannedValue(scanner, file, kNumberOfFrames));
        checkFrameHeader(scanner.GetValue(file.c_str(), kFrameIncrementPointer) != nullptr,
                         scanner.GetValue(file.c_str(), kNumberOfFrames) != nullptr, file);
        if (!frames.empty() && frames[0] > 1)
            throw EngineError("The DICOM series in " + named(folder) + " mixes the multi-frame file " + named(file)
                              + " with other files; read it on its own.");
        const std::string fileSize = scannedValue(scanner, file, kColumns) + "x" + scannedValue(scanner, file, kRows);
        if (fileSize != size)
            throw EngineError("The DICOM series in " + named(folder) + " has slices of different sizes: " + named(file)
                              + " is " + fileSize + ", " + named(first) + " is " + size + ".");
        SliceSource slice;
        slice.file = file;
        slice.geometry.position = vec3Of(scannedValue(scanner, file, kImagePosition));
        slice.geometry.orientation = orientationOf(scannedValue(scanner, file, kImageOrientation));
        if (firstOrientation.has_value() != slice.geometry.orientation.has_value()
            || (firstOrientation && !sameOrientation(*firstOrientation, *slice.geometry.orientation)))
            throw EngineError("The DICOM series in " + named(folder) + " has slices of different orientations: "
                              + named(file) + " and " + named(first) + ".");
        const auto instance = numbersOf(scannedValue(scanner, file, kInstanceNumber));
        slice.instanceNumber = instance.empty() ? 0 : static_cast<int>(instance[0]);
        // Files at one position (a 4-D series) are ordered by acquisition,
        // temporal position, echo, then instance number (then file name);
        // two files agreeing on all of them are the same slice twice.
        for (const auto &tag : {kAcquisitionNumber, kTemporalPositionIdentifier, kEchoNumbers, kInstanceNumber}) {
            const auto numbers = numbersOf(scannedValue(scanner, file, tag));
            slice.keyIdentifies = slice.keyIdentifies || !numbers.empty();
            slice.key.push_back(numbers.empty() ? 0 : std::llround(numbers[0]));
        }
        slice.order = static_cast<int>(slices.size());
        slices.push_back(slice);
    }
    return slices;
}

} // namespace

FolderSeries findFolderSeries(const fs::path &folder, const std::string &seriesUid)
{
    const std::vector<std::string> files = dicomFilesIn(folder);
    gdcm::Scanner scanner;
    addScanTags(scanner);
    scanner.Scan(files);
    const std::vector<std::string> chosen = seriesFilesOf(scanner, files, folder, seriesUid);
    if (chosen.size() == 1)
        return {chosen, {}};

    // Header checks before any pixel is decoded.
    std::vector<SliceSource> slices = checkedSlicesOf(scanner, chosen, folder);
    // The slice distance falls back to the header's in fillGeometry().
    return {chosen, layoutSlices(std::move(slices), folder, 0.0)};
}

} // namespace mri::dicom

namespace mri {

using namespace dicom; // the private units of io/dicom/

std::vector<DicomSeriesEntry> findDicomSeries(const fs::path &folder)
{
    quietGdcm();
    std::vector<std::string> files;
    std::error_code error;
    fs::recursive_directory_iterator it(folder, fs::directory_options::skip_permission_denied, error);
    if (error)
        throw EngineError("The folder " + named(folder) + " cannot be read (" + error.message() + ").");
    for (const fs::recursive_directory_iterator end; it != end; it.increment(error)) {
        if (error)
            break;
        if (isHidden(it->path())) {
            if (it->is_directory(error))
                it.disable_recursion_pending();
            continue;
        }
        if (it->is_directory(error)) {
            if (it.depth() >= 4)
                it.disable_recursion_pending();
            continue;
        }
        if (it->is_regular_file(error) && !looksLikeOtherFormat(it->path()))
            files.push_back(it->path().string());
    }
    std::sort(files.begin(), files.end());
    // GDCM's scanner parses every file: only well-formed DICOM files go to it.
    files.erase(std::remove_if(files.begin(), files.end(), [](const std::string &file) {
                    bool isDicom = false;
                    return !encodingProblem(file, isDicom).empty() || !isDicom;
                }),
                files.end());
    gdcm::Scanner scanner;
    addScanTags(scanner);
    scanner.Scan(files);

    std::map<std::pair<std::string, std::string>, DicomSeriesEntry> found;
    for (const auto &file : files) {
        if (!scanner.IsKey(file.c_str()) || scannedValue(scanner, file, kRows).empty())
            continue;
        const fs::path parent = fs::path(file).parent_path();
        const std::string uid = scannedValue(scanner, file, kSeriesInstanceUid);
        auto &entry = found[{parent.string(), uid}];
        if (entry.fileCount == 0) {
            entry.folder = parent;
            entry.seriesInstanceUid = uid;
            entry.patientId = scannedValue(scanner, file, kPatientId);
            entry.studyDate = scannedValue(scanner, file, kStudyDate);
            entry.seriesDescription = scannedValue(scanner, file, kSeriesDescription);
            entry.modality = scannedValue(scanner, file, kModality);
        }
        ++entry.fileCount;
    }
    std::vector<DicomSeriesEntry> entries;
    for (auto &item : found)
        entries.push_back(std::move(item.second));
    std::sort(entries.begin(), entries.end(), [](const DicomSeriesEntry &a, const DicomSeriesEntry &b) {
        return std::tie(a.folder, a.seriesDescription, a.seriesInstanceUid)
            < std::tie(b.folder, b.seriesDescription, b.seriesInstanceUid);
    });
    return entries;
}

} // namespace mri
