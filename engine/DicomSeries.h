#pragma once

#include "ScanVolume.h"

#include <filesystem>
#include <string>
#include <vector>

namespace mri {

// One DICOM series found in a folder tree.
struct DicomSeriesEntry
{
    std::filesystem::path folder;        // the folder that holds its files
    std::string seriesInstanceUid;
    std::string patientId;
    std::string studyDate;               // as in the header, YYYYMMDD
    std::string seriesDescription;
    std::string modality;
    int fileCount = 0;
};

// Every DICOM series under `folder` (its subfolders too, a few levels deep),
// grouped by SeriesInstanceUID, sorted by folder then description. Files that
// are not DICOM are ignored; headers only are read, so it is quick.
std::vector<DicomSeriesEntry> findDicomSeries(const std::filesystem::path &folder);

// Reads one DICOM file (single-frame, or multi-frame / enhanced MR) or the
// series in a folder (`seriesUid` picks one when the folder holds several)
// with GDCM: every transfer syntax GDCM decodes (JPEG lossless, JPEG-LS,
// JPEG 2000, RLE, ...), 8-, 12- and 16-bit signed and unsigned pixels,
// slices ordered by ImagePositionPatient along the slice normal. Voxels are
// the stored values; RescaleSlope/Intercept, window centre/width and
// MONOCHROME1 (inverted to MONOCHROME2's sense on display) are recorded.
// Throws EngineError naming the path for: no pixel data, missing or
// duplicated slices, slices of different sizes or orientations, RGB, several
// series without `seriesUid`, and a series of one 2-D slice where a volume is
// needed is accepted as a volume of one slice.
ScanVolume readDicom(const std::filesystem::path &fileOrFolder, const std::string &seriesUid = {});

// Writes `enhanced` (values of a volume read by readDicom(), same size) as a
// new derived series in `targetFolder`, one file per source file: the same
// patient, study, frame of reference and geometry; new SeriesInstanceUID and
// SOPInstanceUIDs; ImageType DERIVED\SECONDARY; `seriesDescription`; the same
// bits, sign and rescale, values rounded and clamped to BitsStored. Written
// uncompressed (explicit VR little endian) into a temporary folder that is
// renamed into place, replacing an earlier result.
void writeDerivedDicomSeries(const ScanVolume &source, const ScanVolume &enhanced,
                             const std::filesystem::path &targetFolder, const std::string &seriesDescription);

} // namespace mri
