#pragma once

// Headers only (readDicomHeader()): what readDicom() would report of a file
// or a folder's series, with its checks and sentences, no pixel decoded.

#include "io/ScanHeader.h"

#include <filesystem>
#include <string>

namespace mri::dicom {

// As readDicomFile(), without the pixels.
ScanHeader readDicomFileHeader(const std::filesystem::path &file);

// As readDicomFolder(), without the pixels: every file's header is checked
// in the order readDicomFolder() decodes them, so the first problem is the same.
ScanHeader readDicomFolderHeader(const std::filesystem::path &folder, const std::string &seriesUid);

} // namespace mri::dicom
