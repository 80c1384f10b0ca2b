#include "io/dicom/DicomPixelDataCheck.h"

#include "base/EngineError.h"
#include "io/dicom/DicomBytes.h"
#include "io/dicom/DicomEncodingCheck.h"
#include "io/dicom/DicomTags.h"
#include "io/dicom/DicomValues.h"

#include <gdcmReader.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace fs = std::filesystem;

namespace mri::dicom {

namespace {

// The size and pixel format a compressed stream must have: its header's.
struct ImageShape
{
    int rows = 0;
    int columns = 0;
    int samples = 1;
    int bitsAllocated = 16;
};

// A JPEG 2000 codestream's size marker (SIZ) against the header: GDCM
// 3.0.21 decodes into a buffer of the header's size and writes the stream's
// whole image into it (a heap overflow found by fuzzing).
void checkJpeg2000Size(std::ifstream &stream, std::uint64_t at, std::uint32_t length, const ImageShape &shape,
                       int fragment, const fs::path &file)
{
    std::vector<unsigned char> head(std::min<std::uint32_t>(length, 4096));
    if (!readAt(stream, at, head.data(), head.size()))
        return;
    const unsigned char marker[4] = {0xff, 0x4f, 0xff, 0x51}; // SOC, then SIZ
    const auto found = std::search(head.begin(), head.end(), std::begin(marker), std::end(marker));
    const bool jp2 = head.size() >= 12 && head[4] == 'j' && head[5] == 'P';
    if (found == head.end()) {
        if (head.size() >= 2 && (head[0] == 0xff && head[1] == 0x4f)) // a codestream without its SIZ
            throw EngineError("The JPEG 2000 stream of fragment " + std::to_string(fragment) + " of the DICOM file "
                              + named(file) + " is damaged (no image size).");
        if (!jp2)
            return; // not the start of a frame
        throw EngineError("The JPEG 2000 stream of fragment " + std::to_string(fragment) + " of the DICOM file "
                          + named(file) + " is damaged (no image size).");
    }
    const std::size_t siz = static_cast<std::size_t>(found - head.begin()) + 4; // at Lsiz
    const auto u16 = [&](std::size_t i) { return (std::uint32_t{head[i]} << 8) | head[i + 1]; };
    const auto u32 = [&](std::size_t i) { return (u16(i) << 16) | u16(i + 2); };
    if (siz + 38 > head.size())
        throw EngineError("The JPEG 2000 stream of fragment " + std::to_string(fragment) + " of the DICOM file "
                          + named(file) + " is damaged (its image size is cut).");
    const std::uint64_t width = std::uint64_t{u32(siz + 4)} - std::min(u32(siz + 4), u32(siz + 12));
    const std::uint64_t height = std::uint64_t{u32(siz + 8)} - std::min(u32(siz + 8), u32(siz + 16));
    const std::uint32_t components = u16(siz + 36);
    bool good = width == std::uint64_t(shape.columns) && height == std::uint64_t(shape.rows)
        && components == std::uint32_t(shape.samples) && siz + 38 + 3 * components <= head.size();
    for (std::uint32_t c = 0; good && c < components; ++c) {
        const std::size_t component = siz + 38 + 3 * c;
        const int depth = (head[component] & 0x7f) + 1;
        good = depth <= shape.bitsAllocated && head[component + 1] == 1 && head[component + 2] == 1;
    }
    if (!good)
        throw EngineError("The JPEG 2000 stream of fragment " + std::to_string(fragment) + " of the DICOM file "
                          + named(file) + " is " + std::to_string(width) + "x" + std::to_string(height) + " with "
                          + std::to_string(components) + " components, which its header (" + std::to_string(shape.columns)
                          + "x" + std::to_string(shape.rows) + ", " + std::to_string(shape.samples) + " sample, "
                          + std::to_string(shape.bitsAllocated) + " bits) does not describe.");
    // The main header's marker segments, from SIZ to the first tile (SOT),
    // inside the fragment: GDCM read past a buffer on a later decode after a
    // segment whose length ran past the stream (a fuzz finding).
    std::uint64_t position = at + static_cast<std::uint64_t>(found - head.begin()) + 2; // at SIZ
    const std::uint64_t end = at + length;
    for (;;) {
        unsigned char segment[4];
        if (position + 4 > end || !readAt(stream, position, segment, 4) || segment[0] != 0xff || segment[1] < 0x40)
            throw EngineError("The JPEG 2000 stream of fragment " + std::to_string(fragment) + " of the DICOM file "
                              + named(file) + " is damaged (no marker where its main header expects one).");
        if (segment[1] == 0x90)
            break; // SOT: the first tile
        const std::uint32_t size = (std::uint32_t{segment[2]} << 8) | segment[3];
        if (size < 2 || position + 2 + size > end)
            throw EngineError("The JPEG 2000 stream of fragment " + std::to_string(fragment) + " of the DICOM file "
                              + named(file) + " is damaged (a marker segment's length goes past the fragment).");
        position += 2 + size;
    }
}

// A JPEG-LS stream's frame header (SOF55) against the header: GDCM asserts
// when the decoded stream does not fit the header's buffer (a fuzz finding).
void checkJpegLsSize(std::ifstream &stream, std::uint64_t at, std::uint32_t length, const ImageShape &shape,
                     int fragment, const fs::path &file)
{
    std::vector<unsigned char> head(std::min<std::uint32_t>(length, 4096));
    if (head.size() < 4 || !readAt(stream, at, head.data(), head.size()) || head[0] != 0xff || head[1] != 0xd8)
        return; // not the start of a frame
    const unsigned char marker[2] = {0xff, 0xf7};
    const auto found = std::search(head.begin() + 2, head.end(), std::begin(marker), std::end(marker));
    const std::size_t sof = static_cast<std::size_t>(found - head.begin());
    bool good = found != head.end() && sof + 10 <= head.size();
    if (good) {
        const int precision = head[sof + 4];
        const int rows = (head[sof + 5] << 8) | head[sof + 6];
        const int columns = (head[sof + 7] << 8) | head[sof + 8];
        const int components = head[sof + 9];
        good = rows == shape.rows && columns == shape.columns && components == shape.samples
            && precision <= shape.bitsAllocated;
    }
    if (!good)
        throw EngineError("The JPEG-LS stream of fragment " + std::to_string(fragment) + " of the DICOM file "
                          + named(file) + " does not have the size its header (" + std::to_string(shape.columns) + "x"
                          + std::to_string(shape.rows) + ", " + std::to_string(shape.bitsAllocated) + " bits) describes.");
}

// "... is damaged (why)." for the JPEG stream named by `what`.
EngineError damagedJpeg(const std::string &what, const std::string &why)
{
    return EngineError(what + " is damaged (" + why + ").");
}

// A JPEG frame header (SOFn `marker`, its `size` bytes at `payload`): a
// precision and sampling GDCM's codecs have, and the size, components and
// bits of the DICOM header.
void checkJpegFrameHeader(std::ifstream &stream, std::uint64_t payload, std::uint32_t size, unsigned char marker,
                          const ImageShape &shape, const std::string &what)
{
    unsigned char bytes[6];
    if (size < 6 || !readAt(stream, payload, bytes, 6))
        throw damagedJpeg(what, "its frame header is cut");
    const int precision = bytes[0];
    const int rows = (bytes[1] << 8) | bytes[2];
    const int columns = (bytes[3] << 8) | bytes[4];
    const int components = bytes[5];
    const bool lossless = marker == 0xc3 || marker == 0xc7 || marker == 0xcb || marker == 0xcf;
    const bool precisionKnown = lossless ? precision >= 2 && precision <= 16 : precision == 8 || precision == 12;
    if (size != 6 + 3u * components)
        throw damagedJpeg(what, "its frame header's length is not that of its components");
    bool samplingKnown = true;
    for (int c = 0; c < components; ++c) {
        unsigned char component[3];
        if (!readAt(stream, payload + 6 + 3 * c, component, 3))
            throw damagedJpeg(what, "its frame header is cut");
        const int horizontal = component[1] >> 4, vertical = component[1] & 0x0f;
        samplingKnown = samplingKnown && horizontal >= 1 && horizontal <= 4 && vertical >= 1 && vertical <= 4
            && component[2] <= 3;
    }
    if (!precisionKnown || !samplingKnown || rows != shape.rows || columns != shape.columns
        || components != shape.samples || precision > shape.bitsAllocated)
        throw EngineError(what + " is " + std::to_string(columns) + "x" + std::to_string(rows) + " with "
                          + std::to_string(components) + " components of " + std::to_string(precision)
                          + " bits, which its header (" + std::to_string(shape.columns) + "x"
                          + std::to_string(shape.rows) + ", " + std::to_string(shape.samples) + " sample, "
                          + std::to_string(shape.bitsAllocated) + " bits) does not describe.");
}

// A JPEG stream's header (ITU T.81 annex B: SOI, then marker segments up to
// the first SOS) walked before GDCM decodes it. GDCM's JPEG codec asserts on any
// libjpeg warning while it reads the header (bytes where a marker should be, a
// JFIF version other than 1, an unknown Adobe colour transform) and on a
// precision its codecs do not have; its frame header (SOFn: precision, rows,
// columns, components) must also be the DICOM header's (a fuzz finding: a
// damaged marker between SOF3 and DHT made the 16-bit decoder assert).
// True when the fragment starts a frame (SOI).
bool checkJpegHeader(std::ifstream &stream, std::uint64_t at, std::uint32_t length, const ImageShape &shape,
                     int fragment, const fs::path &file)
{
    unsigned char bytes[16];
    if (length < 4 || !readAt(stream, at, bytes, 2) || bytes[0] != 0xff || bytes[1] != 0xd8)
        return false; // not the start of a frame
    const std::string what = "The JPEG stream of fragment " + std::to_string(fragment) + " of the DICOM file " + named(file);
    const std::uint64_t end = at + length;
    std::uint64_t position = at + 2;
    bool frameHeader = false;
    for (;;) {
        if (position + 2 > end || !readAt(stream, position, bytes, 2))
            throw damagedJpeg(what, "its header does not end inside the fragment");
        if (bytes[0] != 0xff)
            throw damagedJpeg(what, "no marker where its header expects one");
        ++position;
        unsigned char marker = bytes[1];
        while (marker == 0xff) { // fill bytes
            if (++position >= end || !readAt(stream, position, &marker, 1))
                throw damagedJpeg(what, "its header does not end inside the fragment");
        }
        ++position; // past the marker's code
        if (marker == 0x00 || marker == 0xd8 || marker == 0xd9)
            throw damagedJpeg(what, "no marker where its header expects one");
        if ((marker >= 0xd0 && marker <= 0xd7) || marker == 0x01)
            continue; // no length
        if (position + 2 > end || !readAt(stream, position, bytes, 2))
            throw damagedJpeg(what, "its header does not end inside the fragment");
        const std::uint32_t segment = (std::uint32_t{bytes[0]} << 8) | bytes[1];
        if (segment < 2 || position + segment > end)
            throw damagedJpeg(what, "a marker segment's length goes past the fragment");
        const std::uint64_t payload = position + 2;
        const std::uint32_t size = segment - 2;
        position += segment;
        if (marker == 0xda) { // SOS: the header ends
            if (!frameHeader)
                throw damagedJpeg(what, "no frame header before its scan");
            return true;
        }
        if (marker >= 0xc0 && marker <= 0xcf && marker != 0xc4 && marker != 0xc8 && marker != 0xcc) { // SOFn
            if (frameHeader)
                throw damagedJpeg(what, "two frame headers");
            frameHeader = true;
            checkJpegFrameHeader(stream, payload, size, marker, shape, what);
        } else if (marker == 0xe0 && size >= 14) { // APP0: libjpeg warns on a JFIF version other than 1
            if (!readAt(stream, payload, bytes, 14))
                throw damagedJpeg(what, "its JFIF marker is cut");
            if (std::memcmp(bytes, "JFIF\0", 5) == 0 && bytes[5] != 1)
                throw damagedJpeg(what, "JFIF version " + std::to_string(bytes[5]) + ", not 1");
        } else if (marker == 0xee && size >= 12) { // APP14: libjpeg warns on an unknown colour transform
            if (!readAt(stream, payload, bytes, 12))
                throw damagedJpeg(what, "its Adobe marker is cut");
            if (std::memcmp(bytes, "Adobe", 5) == 0 && bytes[11] > 2)
                throw damagedJpeg(what, "an unknown Adobe colour transform");
        }
    }
}

// A JPEG frame's last fragment must end with EOI (then at most one padding
// byte): without it libjpeg waits for more input, and GDCM returns "decoded"
// from its suspension path and never frees the decoder (a fuzz finding).
void checkJpegEnd(std::ifstream &stream, std::uint64_t at, std::uint32_t length, int fragment, const fs::path &file)
{
    unsigned char tail[3] = {0, 0, 0};
    const std::uint32_t count = std::min<std::uint32_t>(length, 3);
    const bool read = readAt(stream, at + length - count, tail + 3 - count, count);
    if (!read || !((tail[1] == 0xff && tail[2] == 0xd9) || (tail[0] == 0xff && tail[1] == 0xd9)))
        throw EngineError("The JPEG stream ending in fragment " + std::to_string(fragment) + " of the DICOM file "
                          + named(file) + " is damaged (it does not end with an end-of-image marker).");
}

// RLE (PS3.5 annex G): one fragment a frame, each with a 64-byte header of
// its segments (one a byte of a sample) at increasing offsets inside it.
// GDCM's decoder runs away (gigabytes, tens of seconds) on a damaged one.
void checkRleHeaders(std::ifstream &stream, const std::vector<std::pair<std::uint64_t, std::uint32_t>> &fragmentsAt,
                     int fragments, int frames, int rleSegments, const fs::path &file)
{
    if (fragments != frames)
        throw EngineError("The DICOM file " + named(file) + " holds " + std::to_string(fragments)
                          + " RLE fragments for its " + std::to_string(frames)
                          + " frames (RLE takes one a frame): its pixel data is damaged.");
    for (std::size_t index = 0; index < fragmentsAt.size(); ++index) {
        const auto [at, length] = fragmentsAt[index];
        unsigned char header[64];
        bool good = length >= 64 && readAt(stream, at, header, 64) && uint32Of(header, false) == std::uint32_t(rleSegments);
        std::uint32_t previous = 0;
        for (int segment = 0; good && segment < rleSegments; ++segment) {
            const std::uint32_t segmentAt = uint32Of(header + 4 + 4 * segment, false);
            good = (segment == 0 ? segmentAt == 64 : segmentAt > previous) && segmentAt < length;
            previous = segmentAt;
        }
        if (!good)
            throw EngineError("The RLE header of frame " + std::to_string(index + 1) + " of the DICOM file "
                              + named(file) + " is damaged (it should list " + std::to_string(rleSegments)
                              + " segments inside the fragment).");
    }
}

// The encapsulated pixel data from `start` (its items: the offset table, then
// the fragments) checked against the file's end; the fragments counted.
void checkFragments(std::ifstream &stream, std::uint64_t start, std::uint64_t fileSize, int frames,
                    double decodedBytes, int rleSegments, const fs::path &file,
                    const std::optional<ImageShape> &jpeg2000 = std::nullopt,
                    const std::optional<ImageShape> &jpegLs = std::nullopt,
                    const std::optional<ImageShape> &jpeg = std::nullopt)
{
    std::uint64_t offset = start;
    int items = 0;
    std::vector<std::pair<std::uint64_t, std::uint32_t>> fragmentsAt; // value offset, length
    std::optional<std::pair<std::uint64_t, std::uint32_t>> jpegFrameEnd; // the last fragment of a JPEG frame so far
    for (;;) {
        unsigned char item[8];
        if (!readAt(stream, offset, item, 8))
            throw EngineError(named(file) + " is cut short: its compressed pixel data stops after "
                              + bytesText(fileSize - start) + ", before the end of its fragments.");
        const std::uint32_t tag = uint32Of(item, false);
        const std::uint32_t length = uint32Of(item + 4, false);
        if (tag == 0xe0ddfffeu) { // the sequence delimiter, of length 0 (GDCM would allocate any other)
            if (length != 0)
                throw EngineError("The compressed pixel data of the DICOM file " + named(file)
                                  + " is damaged (its end marker has a length).");
            break;
        }
        if (tag != 0xe000fffeu || length == 0xffffffffu)
            throw EngineError("The compressed pixel data of the DICOM file " + named(file)
                              + " is damaged (no fragment where one should begin, " + bytesText(offset - start)
                              + " into it).");
        if (offset + 8 + length > fileSize)
            throw EngineError(named(file) + " is cut short: its compressed pixel data holds "
                              + std::to_string(fileSize - start) + " of at least "
                              + bytesText(offset + 8 + length - start) + " (fragment " + std::to_string(items)
                              + " is incomplete).");
        if (items > 0 && rleSegments > 0)
            fragmentsAt.emplace_back(offset + 8, length);
        if (items > 0 && jpeg2000)
            checkJpeg2000Size(stream, offset + 8, length, *jpeg2000, items, file);
        if (items > 0 && jpegLs)
            checkJpegLsSize(stream, offset + 8, length, *jpegLs, items, file);
        if (items > 0 && jpeg) {
            const bool frameStart = checkJpegHeader(stream, offset + 8, length, *jpeg, items, file);
            if (frameStart && jpegFrameEnd)
                checkJpegEnd(stream, jpegFrameEnd->first, jpegFrameEnd->second, items - 1, file);
            if (frameStart || jpegFrameEnd)
                jpegFrameEnd = std::make_pair(offset + 8, length);
        }
        offset += 8 + std::uint64_t{length};
        ++items;
    }
    if (jpegFrameEnd)
        checkJpegEnd(stream, jpegFrameEnd->first, jpegFrameEnd->second, items - 1, file);
    const int fragments = std::max(0, items - 1); // the first item is the offset table
    if (rleSegments > 0)
        checkRleHeaders(stream, fragmentsAt, fragments, frames, rleSegments, file);
    if (fragments < frames)
        throw EngineError("The DICOM file " + named(file) + " holds " + std::to_string(fragments)
                          + " compressed fragments for its " + std::to_string(frames)
                          + " frames (each frame needs at least one): its pixel data is incomplete.");
    // GDCM allocates what the header claims before decoding: a few damaged
    // bytes must not claim gigabytes. A blank 512x512 frame in JPEG-LS or
    // JPEG 2000 takes a few hundred bytes; nothing real compresses more.
    const double compressed = double(offset - start);
    if (decodedBytes > 16.0 * (1 << 20) + 4096.0 * compressed)
        throw EngineError("The DICOM file " + named(file) + " claims " + std::to_string(std::llround(decodedBytes / (1 << 20)))
                          + " MB of pixels from " + bytesText(static_cast<std::uint64_t>(compressed))
                          + " of compressed data; its header is damaged.");
}

// The length of the pixel data's value at `start`, from the element's header
// just before it; none where that header is not where this check expects it.
std::optional<std::uint32_t> pixelDataLengthAt(std::istream &stream, std::uint64_t start, bool bigEndian)
{
    // The element's header just before its value: the tag, then (explicit VR)
    // two letters and two reserved bytes, then a 4-byte length.
    unsigned char before[12];
    if (!readAt(stream, start - 12, before, 12))
        return std::nullopt;
    const unsigned char littleTag[4] = {0xe0, 0x7f, 0x10, 0x00}, bigTag[4] = {0x7f, 0xe0, 0x00, 0x10};
    const unsigned char *tag = bigEndian ? bigTag : littleTag;
    const bool explicitHeader = std::equal(tag, tag + 4, before) && std::isupper(before[4]) && std::isupper(before[5]);
    const bool implicitHeader = std::equal(tag, tag + 4, before + 4);
    if (!explicitHeader && !implicitHeader)
        return std::nullopt; // not where this check expects it: left to GDCM
    return uint32Of(before + 8, bigEndian);
}

// What the header says the pixel data holds.
struct PixelDataShape
{
    int rows = 0;
    int columns = 0;
    int samples = 1;
    int bitsAllocated = 0;
    double frames = 1.0;
    double decodedBytes = 0.0; // every frame decoded
};

PixelDataShape pixelDataShapeOf(const gdcm::DataSet &dataSet, const fs::path &file)
{
    PixelDataShape shape;
    shape.rows = unsignedShortOf(dataSet, kRows, 0);
    shape.columns = unsignedShortOf(dataSet, kColumns, 0);
    shape.samples = unsignedShortOf(dataSet, kSamplesPerPixel, 1);
    shape.bitsAllocated = unsignedShortOf(dataSet, kBitsAllocated, 0);
    const int bitsAllocated = shape.bitsAllocated;
    // Refused before GDCM's codecs see them (its RLE decoder asserts on other sizes).
    if (dataSet.FindDataElement(kBitsAllocated) && bitsAllocated != 8 && bitsAllocated != 16 && bitsAllocated != 32)
        throw EngineError("The DICOM file " + named(file) + " has " + std::to_string(bitsAllocated)
                          + "-bit pixels (a mask or an unusual format); 8, 16 and 32 bits are supported.");
    const auto frameNumbers = numbersOf(stringOf(dataSet, kNumberOfFrames));
    shape.frames = frameNumbers.empty() ? 1.0 : std::max(1.0, std::floor(frameNumbers[0]));
    shape.decodedBytes = double(shape.rows) * shape.columns * shape.frames * std::max(1, shape.samples)
        * std::max(8, bitsAllocated) / 8.0;
    return shape;
}

// Compressed pixel data of undefined length (fragments): checkFragments()
// with the stream checks of `syntax`.
void checkCompressedPixelData(std::ifstream &stream, std::uint64_t start, std::uint64_t fileSize,
                              const gdcm::TransferSyntax &syntax, const PixelDataShape &shape, const fs::path &file)
{
    const int samples = shape.samples, bitsAllocated = shape.bitsAllocated;
    const ImageShape image{shape.rows, shape.columns, std::max(1, samples), bitsAllocated};
    const bool rle = syntax == gdcm::TransferSyntax::RLELossless;
    const int segments = rle && bitsAllocated % 8 == 0 ? std::max(1, samples) * bitsAllocated / 8 : 0;
    std::optional<ImageShape> jpeg2000;
    if (syntax == gdcm::TransferSyntax::JPEG2000Lossless || syntax == gdcm::TransferSyntax::JPEG2000
        || syntax == gdcm::TransferSyntax::JPEG2000Part2Lossless || syntax == gdcm::TransferSyntax::JPEG2000Part2)
        jpeg2000 = image;
    std::optional<ImageShape> jpegLs;
    if (syntax == gdcm::TransferSyntax::JPEGLSLossless || syntax == gdcm::TransferSyntax::JPEGLSNearLossless)
        jpegLs = image;
    std::optional<ImageShape> jpeg; // ITU T.81: baseline, extended, progressive, lossless
    if (syntax == gdcm::TransferSyntax::JPEGBaselineProcess1 || syntax == gdcm::TransferSyntax::JPEGExtendedProcess2_4
        || syntax == gdcm::TransferSyntax::JPEGExtendedProcess3_5
        || syntax == gdcm::TransferSyntax::JPEGSpectralSelectionProcess6_8
        || syntax == gdcm::TransferSyntax::JPEGFullProgressionProcess10_12
        || syntax == gdcm::TransferSyntax::JPEGLosslessProcess14 || syntax == gdcm::TransferSyntax::JPEGLosslessProcess14_1)
        jpeg = image;
    checkFragments(stream, start, fileSize, static_cast<int>(std::min(shape.frames, 1e9)), shape.decodedBytes,
                   segments, file, jpeg2000, jpegLs, jpeg);
}

// Any other pixel data's `length` against the header and the bytes the
// file holds from the value on (`available`).
void checkPixelDataLength(const gdcm::DataSet &dataSet, const gdcm::TransferSyntax &syntax, std::uint32_t length,
                          std::uint64_t available, const PixelDataShape &shape, const fs::path &file)
{
    const int rows = shape.rows, columns = shape.columns, samples = shape.samples;
    const int bitsAllocated = shape.bitsAllocated;
    const double frames = shape.frames;
    // GDCM reads such a value as fragments, then falls back to guessing the
    // encoding, allocating what garbage lengths claim (a fuzz finding).
    if (!syntax.IsEncapsulated() && length == 0xffffffffu)
        throw EngineError("The pixel data of the DICOM file " + named(file)
                          + " has an undefined length, which only compressed transfer syntaxes allow: it is damaged.");
    // Any value past the file's end: GDCM allocates the whole declared length first.
    if (length != 0xffffffffu && length > available && (syntax.IsEncapsulated() || rows <= 0 || columns <= 0 || bitsAllocated <= 0))
        throw EngineError(named(file) + " is cut short: its pixel data holds " + std::to_string(available) + " of "
                          + bytesText(length) + ".");
    if (syntax.IsEncapsulated() || length == 0xffffffffu || rows <= 0 || columns <= 0 || bitsAllocated <= 0)
        return; // GDCM refuses these
    // YBR_FULL_422 keeps two samples a pixel: then only the element's own length is checked.
    const bool subsampled = stringOf(dataSet, kPhotometric).find("_42") != std::string::npos;
    const double expected = subsampled ? double(length)
        : std::ceil(double(rows) * columns * frames * std::max(1, samples) * bitsAllocated / 8.0);
    const std::uint64_t held = std::min<std::uint64_t>(length, available);
    // Cut short even past what the header needs: GDCM allocates the whole declared length.
    if (held < length)
        throw EngineError(named(file) + " is cut short: its pixel data holds " + std::to_string(held) + " of "
                          + bytesText(double(held) < expected ? static_cast<std::uint64_t>(expected) : length) + ".");
    if (double(held) >= expected)
        return;
    const std::string wanted = bytesText(static_cast<std::uint64_t>(expected));
    throw EngineError("The DICOM file " + named(file) + " has " + bytesText(length) + " of pixel data where its header ("
                      + std::to_string(columns) + "x" + std::to_string(rows) + ", "
                      + std::to_string(static_cast<long long>(frames)) + (frames == 1 ? " frame, " : " frames, ")
                      + std::to_string(bitsAllocated) + " bits allocated) needs " + wanted + ".");
}

} // namespace

void checkFrameHeader(bool hasIncrementPointer, bool hasFrames, const fs::path &file)
{
    if (hasIncrementPointer && !hasFrames)
        throw EngineError("The DICOM file " + named(file)
                          + " has a Frame Increment Pointer but no Number of Frames (a damaged multi-frame header).");
}

gdcm::TransferSyntax checkPixelData(const fs::path &file, bool encodingChecked)
{
    if (!encodingChecked)
        checkEncoding(file);
    std::ifstream stream(file, std::ios::binary);
    if (!stream)
        return gdcm::TransferSyntax::TS_END; // decodeFile() says why
    gdcm::Reader reader;
    reader.SetStream(stream);
    // Stops with the stream at the pixel data's value, which is not read.
    if (!reader.ReadUpToTag(kPixelData, std::set<gdcm::Tag>{kPixelData}))
        return gdcm::TransferSyntax::TS_END;
    const auto &dataSet = reader.GetFile().GetDataSet();
    checkFrameHeader(dataSet.FindDataElement(kFrameIncrementPointer), dataSet.FindDataElement(kNumberOfFrames), file);
    const gdcm::TransferSyntax syntax = reader.GetFile().GetHeader().GetDataSetTransferSyntax();
    const std::streamoff position = stream.tellg();
    std::error_code error;
    const std::uint64_t fileSize = fs::file_size(file, error);
    if (error || position < 12 || syntax == gdcm::TransferSyntax::DeflatedExplicitVRLittleEndian
        || static_cast<std::uint64_t>(position) > fileSize)
        return syntax;
    const auto start = static_cast<std::uint64_t>(position);
    const bool bigEndian = syntax.GetSwapCode() == gdcm::SwapCode::BigEndian;
    const std::optional<std::uint32_t> length = pixelDataLengthAt(stream, start, bigEndian);
    if (!length)
        return syntax;

    const PixelDataShape shape = pixelDataShapeOf(dataSet, file);
    if (syntax.IsEncapsulated() && *length == 0xffffffffu)
        checkCompressedPixelData(stream, start, fileSize, syntax, shape, file);
    else
        checkPixelDataLength(dataSet, syntax, *length, fileSize - start, shape, file);
    return syntax;
}

} // namespace mri::dicom
