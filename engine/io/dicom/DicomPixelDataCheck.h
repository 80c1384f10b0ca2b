#pragma once

// The pixel data checked before GDCM reads it: its length against the header
// and the file's end, and compressed data (fragments; JPEG, JPEG-LS, JPEG 2000
// and RLE headers) against the header, so that a damaged file is a sentence
// rather than a value GDCM fills with zeros, a guess or an abort.

#include <gdcmTransferSyntax.h>

#include <filesystem>

namespace mri::dicom {

// GDCM 3.0.21 aborts (a failed assertion) on a Frame Increment Pointer
// without Number of Frames: refused here before GDCM reads the pixels.
void checkFrameHeader(bool hasIncrementPointer, bool hasFrames, const std::filesystem::path &file);

// The pixel data's length against the header (rows x columns x frames x
// samples x bits allocated, or for compressed syntaxes the fragments against
// the frames) and the file's end, before GDCM reads it: GDCM fills a value cut
// short with zeros, and would decode a damaged file as if it were whole. Also
// refuses what would make GDCM abort (checkFrameHeader()). The file's
// encoding is checked first (checkEncoding()) unless the caller has. Returns
// the data set's transfer syntax (TS_END where it was not reached).
gdcm::TransferSyntax checkPixelData(const std::filesystem::path &file, bool encodingChecked = false);

} // namespace mri::dicom
