#pragma once

// DICOM RLE Lossless (PS3.5 annex G), decoded and encoded here rather than by
// GDCM: a damaged segment is then a sentence, and GDCM 3.0.21's encoder
// asserts on some image sizes.

#include "io/dicom/DicomImageHeader.h"

#include <gdcmDataElement.h>

#include <filesystem>
#include <vector>

namespace mri::dicom {

// DICOM RLE Lossless (PS3.5 annex G) decoded here into little-endian samples,
// every run checked against its segment and the frame, so that a damaged
// segment is a sentence whatever GDCM's decoder would make of it (the format
// is small; we write it too). checkFragments() has checked one fragment a
// frame and each header's segment offsets.
void decodeRle(const gdcm::DataElement &element, const ImageHeader &header, int frames, std::vector<char> &out,
               const std::filesystem::path &file);

// DICOM RLE Lossless, written here: GDCM 3.0.21's RLE encoder asserts on some
// image sizes. One fragment per frame; one segment per byte of a sample, the
// most significant first.
gdcm::DataElement encodeRle(const std::vector<char> &raw, int columns, int rows, int frames, int bitsAllocated);

} // namespace mri::dicom
