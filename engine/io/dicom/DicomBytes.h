#pragma once

// A file's raw bytes, read beside GDCM: the checks made before GDCM parses a
// file, and DICOM RLE, read lengths and numbers themselves.

#include <cstddef>
#include <cstdint>
#include <istream>
#include <string>

namespace mri::dicom {

// "1 byte", "2 bytes", ...
std::string bytesText(std::uint64_t bytes);

// Reads `count` bytes at `offset`; false when the file ends before.
bool readAt(std::istream &stream, std::uint64_t offset, unsigned char *out, std::size_t count);

// The unsigned 32-bit number in four bytes of either order.
std::uint32_t uint32Of(const unsigned char *bytes, bool bigEndian);

} // namespace mri::dicom
