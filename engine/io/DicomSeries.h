#pragma once

#include "io/ScanHeader.h"
#include "io/ScanVolume.h"

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
// MONOCHROME1 (inverted to MONOCHROME2's sense on display) are recorded. A
// slice (or frame) whose rescale differs from the first one's has its values
// put on the first one's scale, the physical values kept.
// Frames (or files) that share a position, every position the same number
// K > 1 of times (echoes, dynamics, diffusion directions), make a 4-D scan of
// K volumes, size {columns, rows, positions, K}: volume t takes each
// position's t-th frame ordered by the Frame Content's DimensionIndexValues,
// else TemporalPositionIndex, else InStackPositionNumber, else frame order (a
// series: AcquisitionNumber, TemporalPositionIdentifier, EchoNumbers,
// InstanceNumber, then file name). ScanVolume::frameSources records where
// each slice of each volume came from.
// The pixel data's length is checked against the header and the file's end
// before decoding: a file cut short is an error saying how much is missing.
// Throws EngineError naming the path for: no pixel data, missing or
// duplicated slices, positions held a different number of times (naming the
// position), slices of different sizes or orientations, RGB, several series
// without `seriesUid`; a series of one 2-D slice where a volume is needed is
// accepted as a volume of one slice.
ScanVolume readDicom(const std::filesystem::path &fileOrFolder, const std::string &seriesUid = {});

// What readDicom() would report of the same file or folder, from the headers
// up to Pixel Data: the checks readDicom() makes before decoding (the pixel
// data's length on every file, the series, sizes, orientations, missing or
// duplicated slices, positions held a different number of times, colour)
// with the same sentences; a 4-D scan's size[3] (its volumes) too; no pixel
// is decoded.
ScanHeader readDicomHeader(const std::filesystem::path &fileOrFolder, const std::string &seriesUid = {});

// Every reason writeDerivedDicomSeries() would refuse `source` (read by
// readDicom()), found from the files' headers, so that a row is refused before
// any work: the retired big-endian transfer syntax, palette colour, a frame
// layout that differs from what was read. Throws EngineError naming the file.
void checkDerivedDicomWritable(const ScanVolume &source);

// Writes `enhanced` (values of a volume read by readDicom(), same size) as a
// new derived series in `targetFolder`, one file per source file, each frame
// holding the slice of the volume it was read from (frameSources): the same
// patient, study, frame of reference and geometry; new SeriesInstanceUID and
// SOPInstanceUIDs; ImageType DERIVED\SECONDARY (and an enhanced file's frame
// types); `seriesDescription`; the same bits, sign and rescale, each slice
// back on its own rescale, values rounded and clamped to BitsStored. Written
// uncompressed (explicit VR little endian) into a temporary folder that is
// renamed into place, replacing an earlier result.
void writeDerivedDicomSeries(const ScanVolume &source, const ScanVolume &enhanced,
                             const std::filesystem::path &targetFolder, const std::string &seriesDescription);

// How writeDicomSeries() writes a new series.
struct DicomWriteOptions
{
    std::string patientId = "ANON";
    std::string patientName;
    std::string studyDate;         // YYYYMMDD; empty: none
    std::string seriesDescription;
    bool multiFrame = false;       // one Enhanced MR file instead of one MR file per slice
    // 16: unsigned with BitsStored 12 when every voxel is within 0..4095, else
    // 16; signed (BitsStored 12 or 16) when a voxel is negative. 8: unsigned
    // bytes, BitsStored 8. Values are rounded and clamped to the range.
    int bitsAllocated = 16;
    enum class Compression { None, JpegLossless, JpegLs, Jpeg2000Lossless, Rle } compression = Compression::None;
};

// Writes `volume` (its first volume, t = 0) as a new DICOM series in `folder`
// (created; files IM0001.dcm, ... or the one multi-frame file IM0001.dcm,
// each written under a temporary name and renamed): MR Image Storage or
// Enhanced MR Image Storage, geometry from voxelToPatient (converted to LPS),
// the volume's rescale, window and MONOCHROME1, new study, series, frame of
// reference and SOP instance UIDs. Throws EngineError naming the folder.
void writeDicomSeries(const ScanVolume &volume, const std::filesystem::path &folder, const DicomWriteOptions &options);

} // namespace mri
