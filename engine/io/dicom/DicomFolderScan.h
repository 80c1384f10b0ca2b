#pragma once

// DICOM files found in folders with GDCM's Scanner, which reads headers only:
// the series of one folder that readDicom() reads, checked before any pixel
// is decoded. findDicomSeries() (io/DicomSeries.h) is defined beside it.

#include "io/dicom/DicomGeometry.h"

#include <filesystem>
#include <string>
#include <vector>

namespace mri::dicom {

// The series of `folder` that readDicomFolder() reads (`seriesUid` picks
// one), found and checked from the files' headers before any pixel is read.
struct FolderSeries
{
    std::vector<std::string> files; // the series' files
    SliceLayout layout;             // layoutSlices()'s; no slices for one file, read on its own
};

FolderSeries findFolderSeries(const std::filesystem::path &folder, const std::string &seriesUid);

} // namespace mri::dicom
