#include "io/dicom/DicomBytes.h"

namespace mri::dicom {

std::string bytesText(std::uint64_t bytes)
{
    return std::to_string(bytes) + (bytes == 1 ? " byte" : " bytes");
}

bool readAt(std::istream &stream, std::uint64_t offset, unsigned char *out, std::size_t count)
{
    stream.clear();
    stream.seekg(static_cast<std::streamoff>(offset));
    stream.read(reinterpret_cast<char *>(out), static_cast<std::streamsize>(count));
    return stream.gcount() == static_cast<std::streamsize>(count);
}

std::uint32_t uint32Of(const unsigned char *bytes, bool bigEndian)
{
    return bigEndian ? (std::uint32_t{bytes[0]} << 24) | (std::uint32_t{bytes[1]} << 16) | (std::uint32_t{bytes[2]} << 8) | bytes[3]
                     : (std::uint32_t{bytes[3]} << 24) | (std::uint32_t{bytes[2]} << 16) | (std::uint32_t{bytes[1]} << 8) | bytes[0];
}

} // namespace mri::dicom
