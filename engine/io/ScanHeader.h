#pragma once

#include "io/ScanVolume.h"

#include <array>
#include <filesystem>
#include <string>

namespace mri {

// What a scan's headers say about it, read without decoding its voxels: what
// the dataset table shows for a row before the row is viewed or processed.
struct ScanHeader
{
    ScanFormat format = ScanFormat::Picture;
    std::filesystem::path source;                 // the file or folder read
    std::array<int, 4> size{0, 0, 1, 1};          // x (columns), y (rows), z (slices), t (volumes)
    std::array<double, 3> spacing{1.0, 1.0, 1.0}; // mm along x, y, z as readScan() gives it; 1 for pictures
    // Bits a value takes in the file (DICOM BitsAllocated, the NIfTI
    // datatype's size, a picture's 8 or 16) and the bits that carry it (DICOM
    // BitsStored; the same as bitsAllocated otherwise).
    int bitsAllocated = 0;
    int bitsStored = 0;
    std::string dataType; // the stored values' type: "uint8", "int16", "uint16", "float32", ...
    // DICOM: the series' header facts (as ScanVolume's) and its file count.
    std::string patientId;
    std::string studyDate;
    std::string seriesDescription;
    std::string seriesInstanceUid;
    int fileCount = 0;
};

// Reads what readScan() (and, for pictures, loadGrayscaleImage()) would
// report of `path` and runs the checks they make that need no pixel decoding,
// throwing the same EngineError sentence for the same problem:
//  - DICOM (a file or a series folder; `seriesUid` picks a series): the
//    headers up to Pixel Data of every file, the pixel data's length against
//    the header and the file's end (compressed fragments walked), the series
//    grouping, slices of one size and orientation, missing or duplicated
//    slices, colour images. A codestream that decodes badly is found only
//    when the scan is read.
//  - NIfTI: the header and the file's size against it; a .nii.gz whose gzip
//    trailer does not give the expected length is read through to say how
//    much is missing.
//  - Pictures are decoded (a cut PNG shows only when decoded; a slice
//    decodes in milliseconds).
ScanHeader readScanHeader(const std::filesystem::path &path, const std::string &seriesUid = {});

} // namespace mri
