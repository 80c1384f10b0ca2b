#include "io/dicom/DicomRle.h"

#include "base/EngineError.h"
#include "io/dicom/DicomBytes.h"
#include "io/dicom/DicomTags.h"
#include "io/dicom/DicomValues.h"

#include <gdcmFragment.h>
#include <gdcmSequenceOfFragments.h>

#include <algorithm>
#include <cstdint>
#include <string>

namespace fs = std::filesystem;

namespace mri::dicom {

namespace {

// PackBits, as DICOM's RLE uses it (one row at a time).
void packBits(const unsigned char *in, std::size_t count, std::vector<char> &out)
{
    std::size_t i = 0;
    while (i < count) {
        std::size_t run = 1;
        while (i + run < count && run < 128 && in[i + run] == in[i])
            ++run;
        if (run >= 2) {
            out.push_back(static_cast<char>(1 - static_cast<int>(run)));
            out.push_back(static_cast<char>(in[i]));
            i += run;
            continue;
        }
        const std::size_t start = i;
        std::size_t length = 0;
        while (i < count && length < 128 && !(i + 1 < count && in[i + 1] == in[i])) {
            ++i;
            ++length;
        }
        out.push_back(static_cast<char>(length - 1));
        out.insert(out.end(), in + start, in + start + length);
    }
}

} // namespace

void decodeRle(const gdcm::DataElement &element, const ImageHeader &header, int frames, std::vector<char> &out,
               const fs::path &file)
{
    const gdcm::SequenceOfFragments *fragments = element.GetSequenceOfFragments();
    const std::size_t bytes = static_cast<std::size_t>(header.bitsAllocated / 8);
    const std::size_t pixels = static_cast<std::size_t>(header.rows) * header.columns;
    const auto damaged = [&](int frame) {
        return EngineError("The RLE data of frame " + std::to_string(frame + 1) + " of the DICOM file " + named(file)
                           + " is damaged.");
    };
    if (!fragments || fragments->GetNumberOfFragments() != static_cast<unsigned>(frames) || bytes == 0)
        throw damaged(0);
    out.assign(pixels * bytes * static_cast<std::size_t>(frames), 0);
    for (int frame = 0; frame < frames; ++frame) {
        const gdcm::ByteValue *value = fragments->GetFragment(static_cast<unsigned>(frame)).GetByteValue();
        if (!value || value->GetLength() < 64)
            throw damaged(frame);
        const auto *data = reinterpret_cast<const unsigned char *>(value->GetPointer());
        const std::size_t length = value->GetLength();
        if (uint32Of(data, false) != bytes)
            throw damaged(frame);
        char *frameOut = out.data() + static_cast<std::size_t>(frame) * pixels * bytes;
        for (std::size_t segment = 0; segment < bytes; ++segment) {
            std::size_t in = uint32Of(data + 4 + 4 * segment, false);
            const std::size_t end = segment + 1 < bytes ? std::min<std::size_t>(uint32Of(data + 8 + 4 * segment, false), length)
                                                        : length;
            const std::size_t byteIndex = bytes - 1 - segment; // the most significant byte first
            std::size_t pixel = 0;
            while (pixel < pixels) {
                if (in >= end)
                    throw damaged(frame);
                const int control = static_cast<signed char>(data[in++]);
                if (control >= 0) { // control + 1 literal bytes
                    const std::size_t count = static_cast<std::size_t>(control) + 1;
                    if (in + count > end || pixel + count > pixels)
                        throw damaged(frame);
                    for (std::size_t i = 0; i < count; ++i)
                        frameOut[(pixel++) * bytes + byteIndex] = static_cast<char>(data[in++]);
                } else if (control != -128) { // 1 - control copies of the next byte
                    const std::size_t count = static_cast<std::size_t>(1 - control);
                    if (in >= end || pixel + count > pixels)
                        throw damaged(frame);
                    const char repeated = static_cast<char>(data[in++]);
                    for (std::size_t i = 0; i < count; ++i)
                        frameOut[(pixel++) * bytes + byteIndex] = repeated;
                }
            }
        }
    }
}

gdcm::DataElement encodeRle(const std::vector<char> &raw, int columns, int rows, int frames, int bitsAllocated)
{
    const std::size_t bytes = static_cast<std::size_t>(bitsAllocated / 8);
    const std::size_t pixels = static_cast<std::size_t>(columns) * rows;
    gdcm::SmartPointer<gdcm::SequenceOfFragments> fragments = new gdcm::SequenceOfFragments;
    std::vector<unsigned char> plane(static_cast<std::size_t>(columns));
    for (int frame = 0; frame < frames; ++frame) {
        std::vector<char> fragment(64, 0);
        const auto putUint32 = [&](std::size_t offset, std::uint32_t value) {
            for (int b = 0; b < 4; ++b)
                fragment[offset + static_cast<std::size_t>(b)] = static_cast<char>((value >> (8 * b)) & 0xff);
        };
        putUint32(0, static_cast<std::uint32_t>(bytes));
        const char *frameData = raw.data() + static_cast<std::size_t>(frame) * pixels * bytes;
        for (std::size_t segment = 0; segment < bytes; ++segment) {
            putUint32(4 + 4 * segment, static_cast<std::uint32_t>(fragment.size()));
            const std::size_t byteIndex = bytes - 1 - segment; // little-endian samples, high byte first
            for (int row = 0; row < rows; ++row) {
                for (int column = 0; column < columns; ++column)
                    plane[static_cast<std::size_t>(column)] = static_cast<unsigned char>(
                        frameData[(static_cast<std::size_t>(row) * columns + column) * bytes + byteIndex]);
                packBits(plane.data(), plane.size(), fragment);
            }
            if (fragment.size() % 2)
                fragment.push_back(0);
        }
        gdcm::Fragment item;
        item.SetByteValue(fragment.data(), static_cast<gdcm::VL::Type>(fragment.size()));
        fragments->AddFragment(item);
    }
    gdcm::DataElement pixelData(kPixelData);
    pixelData.SetValue(*fragments);
    pixelData.SetVLToUndefined(); // before the VR: GDCM asserts on an OB of undefined length
    pixelData.SetVR(gdcm::VR::OB);
    return pixelData;
}

} // namespace mri::dicom
