#include "io/dicom/DicomPixelDecoding.h"

#include "base/EngineError.h"
#include "io/dicom/DicomPixelDataCheck.h"
#include "io/dicom/DicomRle.h"
#include "io/dicom/DicomTags.h"
#include "io/dicom/DicomValues.h"

#include <gdcmPixmapReader.h>
#include <gdcmReader.h>
#include <gdcmTransferSyntax.h>
#include <gdcmUIDs.h>

#include <cstdint>
#include <cstring>
#include <optional>
#include <set>
#include <string>

namespace fs = std::filesystem;

namespace mri::dicom {

namespace {

// Stored values of a decoded frame buffer, BitsStored applied (masked, sign extended).
void appendStoredValues(const char *buffer, std::size_t count, const ImageHeader &header, float *out,
                        const fs::path &file)
{
    const int bits = header.bitsStored;
    const auto convert = [&](auto raw) -> float {
        using Raw = decltype(raw);
        std::int64_t value = static_cast<std::int64_t>(raw);
        if (bits < static_cast<int>(8 * sizeof(Raw))) {
            const std::uint64_t mask = (std::uint64_t{1} << bits) - 1;
            std::uint64_t bitsValue = static_cast<std::uint64_t>(value) & mask;
            if (header.isSigned && (bitsValue >> (bits - 1)) & 1)
                value = static_cast<std::int64_t>(bitsValue) - (std::int64_t{1} << bits);
            else
                value = static_cast<std::int64_t>(bitsValue);
        }
        return static_cast<float>(value);
    };
    switch (header.bitsAllocated) {
    case 8:
        for (std::size_t i = 0; i < count; ++i)
            out[i] = header.isSigned ? convert(reinterpret_cast<const std::int8_t *>(buffer)[i])
                                     : convert(reinterpret_cast<const std::uint8_t *>(buffer)[i]);
        return;
    case 16: {
        for (std::size_t i = 0; i < count; ++i) {
            std::uint16_t raw;
            std::memcpy(&raw, buffer + 2 * i, 2);
            out[i] = header.isSigned ? convert(static_cast<std::int16_t>(raw)) : convert(raw);
        }
        return;
    }
    case 32: {
        for (std::size_t i = 0; i < count; ++i) {
            std::uint32_t raw;
            std::memcpy(&raw, buffer + 4 * i, 4);
            out[i] = header.isSigned ? convert(static_cast<std::int32_t>(raw)) : convert(raw);
        }
        return;
    }
    default: break;
    }
    throw EngineError("The DICOM file " + named(file) + " has " + std::to_string(header.bitsAllocated)
                      + "-bit pixels; 8, 16 and 32 bits are supported.");
}

// Decodes the pixels `reader` has read into `decoded` (its header from the
// file, corrected by what GDCM's pixmap says of the buffer's layout).
void decodePixmap(const gdcm::PixmapReader &reader, const fs::path &file, DecodedFile &decoded)
{
    decoded.header = headerOf(reader.GetFile().GetDataSet());
    auto &header = decoded.header;
    const gdcm::Pixmap &image = reader.GetPixmap();
    const gdcm::PixelFormat &format = image.GetPixelFormat();
    if (format.GetSamplesPerPixel() != 1 || header.samplesPerPixel != 1)
        throwColour(header, file);
    // The buffer's layout is GDCM's; the header's BitsStored and sign say what
    // the values mean (a JPEG 2000 stream may declare other ones, as pydicom
    // also goes by the header).
    header.bitsAllocated = format.GetBitsAllocated();
    if (header.bitsStored <= 0 || header.bitsStored > header.bitsAllocated)
        header.bitsStored = format.GetBitsStored();
    header.columns = static_cast<int>(image.GetDimension(0));
    header.rows = static_cast<int>(image.GetDimension(1));
    const int frames = image.GetNumberOfDimensions() > 2 ? static_cast<int>(image.GetDimension(2)) : 1;
    if (frames != header.frames) {
        header.frames = frames;
        header.frameHeaders.resize(static_cast<std::size_t>(frames), header.frameHeaders.front());
    }
    if (header.rows <= 0 || header.columns <= 0)
        throwNoPixels(file);
    if (header.bitsAllocated != 8 && header.bitsAllocated != 16 && header.bitsAllocated != 32)
        throw EngineError("The DICOM file " + named(file) + " has " + std::to_string(header.bitsAllocated)
                          + "-bit pixels (a mask or an unusual format); 8, 16 and 32 bits are supported.");
    const std::size_t count = static_cast<std::size_t>(header.rows) * header.columns * frames;
    const std::size_t bytes = count * static_cast<std::size_t>(header.bitsAllocated / 8);
    const gdcm::TransferSyntax syntax = image.GetTransferSyntax();
    const gdcm::ByteValue *raw = image.GetDataElement().GetByteValue();
    const char *pixels = nullptr;
    if (raw && raw->GetLength() >= bytes && !syntax.IsEncapsulated() && syntax.GetSwapCode() == gdcm::SwapCode::LittleEndian
        && image.GetPhotometricInterpretation() != gdcm::PhotometricInterpretation::PALETTE_COLOR) {
        pixels = raw->GetPointer(); // little-endian and uncompressed: GDCM's buffer would be a copy
    } else if (syntax == gdcm::TransferSyntax::RLELossless) {
        decodeRle(image.GetDataElement(), header, frames, decoded.buffer, file);
        pixels = decoded.buffer.data();
    } else {
        if (decoded.buffer.size() < image.GetBufferLength())
            decoded.buffer.resize(image.GetBufferLength());
        if (image.GetBufferLength() < bytes || !image.GetBuffer(decoded.buffer.data()))
            throwUnreadable(file);
        pixels = decoded.buffer.data();
    }
    decoded.values.resize(count);
    appendStoredValues(pixels, count, header, decoded.values.data(), file);
}

// What a child decoding a file sends back: the layout GDCM found, then the values.
struct DecodedLayout
{
    std::int32_t columns, rows, frames, bitsAllocated, bitsStored;
};

// GDCM reads pixels in a child process, whatever the transfer syntax: its
// reader asserts on damaged headers (an unknown ACR-NEMA recognition code, as
// the fuzzer found; its overlay, curve and palette checks are asserts too) and
// its JPEG 2000 decoder reads out of bounds after earlier decodes. One damaged file then fails its row, the run goes
// on, and no GDCM state outlives a file.

// The child that decodes the files of one readDicom() call (DecoderSession);
// none outside one, and then each file gets a child of its own.
thread_local ChildWorker *t_decoder = nullptr;

// In the child: decodes the file named by `request`; the answer is its
// DecodedLayout, then its stored values.
void decodeRequest(const std::vector<char> &request, std::vector<char> &answer)
{
    const fs::path file(std::string(request.begin(), request.end()));
    gdcm::PixmapReader reader;
    reader.SetFileName(file.c_str());
    if (!reader.Read())
        throwUnreadable(file);
    DecodedFile decoded;
    decodePixmap(reader, file, decoded);
    const auto &header = decoded.header;
    const DecodedLayout layout{header.columns, header.rows, header.frames, header.bitsAllocated, header.bitsStored};
    const std::size_t valueBytes = decoded.values.size() * sizeof(float);
    answer.resize(sizeof layout + valueBytes);
    std::memcpy(answer.data(), &layout, sizeof layout);
    std::memcpy(answer.data() + sizeof layout, decoded.values.data(), valueBytes);
}

// "1.2.840.10008.1.2.4.90 (JPEG 2000 Image Compression (Lossless Only))".
std::string syntaxNamed(const gdcm::TransferSyntax &syntax)
{
    const std::string uid = trimmed(gdcm::TransferSyntax::GetTSString(syntax));
    gdcm::UIDs known;
    if (known.SetFromUID(uid.c_str()) && known.GetName()) {
        const std::string name = known.GetName();
        return uid + " (" + name.substr(0, name.find(": ")) + ")"; // without GDCM's ": Default Transfer Syntax for ..."
    }
    return uid;
}

[[noreturn]] void throwReaderStopped(const fs::path &file, const gdcm::TransferSyntax &syntax, const std::string &how)
{
    if (syntax.IsEncapsulated() && syntax != gdcm::TransferSyntax::RLELossless)
        throw EngineError("The DICOM file " + named(file) + " could not be decoded: GDCM's decoder for its transfer syntax "
                          + syntaxNamed(syntax) + " " + how + ", so its compressed pixel data is probably damaged.");
    throw EngineError("The DICOM file " + named(file) + " could not be read: GDCM's reader " + how
                      + ", so the file is probably damaged.");
}

// How long a decoding child may stay silent: a large multi-frame JPEG 2000
// file takes seconds; a hang is what this catches.
constexpr int kDecoderSilenceSeconds = 600;

void decodeInChild(const fs::path &file, DecodedFile &decoded, ScanVolume *facts)
{
    // The header, from the data set up to the pixel data (GDCM's pixel reading runs in the child).
    gdcm::Reader reader;
    reader.SetFileName(file.c_str());
    if (!reader.ReadUpToTag(kPixelData, std::set<gdcm::Tag>{kPixelData}))
        throwUnreadable(file);
    const std::string path = file.string();
    const std::vector<char> request(path.begin(), path.end());
    std::optional<ChildWorker> ownWorker;
    ChildWorker *worker = t_decoder;
    if (!worker)
        worker = &ownWorker.emplace(decodeRequest, kDecoderSilenceSeconds);
    const auto outcome = worker->call(request, decoded.buffer);
    switch (outcome.ending) {
    case ChildOutcome::Ending::Finished: break;
    case ChildOutcome::Ending::Failed: throw EngineError(outcome.sentence);
    case ChildOutcome::Ending::Crashed:
    case ChildOutcome::Ending::TimedOut:
        throwReaderStopped(file, reader.GetFile().GetHeader().GetDataSetTransferSyntax(), outcome.sentence);
    }
    DecodedLayout layout{};
    if (decoded.buffer.size() < sizeof layout)
        throwUnreadable(file);
    std::memcpy(&layout, decoded.buffer.data(), sizeof layout);
    decoded.header = headerOf(reader.GetFile().GetDataSet());
    auto &header = decoded.header;
    header.columns = layout.columns;
    header.rows = layout.rows;
    header.bitsAllocated = layout.bitsAllocated;
    header.bitsStored = layout.bitsStored;
    if (layout.frames != header.frames) {
        header.frames = layout.frames;
        header.frameHeaders.resize(static_cast<std::size_t>(layout.frames), header.frameHeaders.front());
    }
    const std::size_t count = (decoded.buffer.size() - sizeof layout) / sizeof(float);
    if (count != static_cast<std::size_t>(header.rows) * header.columns * header.frames)
        throwUnreadable(file);
    decoded.values.resize(count);
    std::memcpy(decoded.values.data(), decoded.buffer.data() + sizeof layout, count * sizeof(float));
    if (facts)
        fillFacts(*facts, reader.GetFile().GetDataSet(), header);
}

} // namespace

DecoderSession::DecoderSession() : m_worker(decodeRequest, kDecoderSilenceSeconds), m_outer(t_decoder)
{
    if (!m_outer)
        t_decoder = &m_worker;
}

DecoderSession::~DecoderSession()
{
    if (!m_outer)
        t_decoder = nullptr;
}

void decodeFile(const fs::path &file, DecodedFile &decoded, ScanVolume *facts)
{
    checkPixelData(file); // the header's refusals, in this process
    decodeInChild(file, decoded, facts);
}

bool sameRescale(double slope, double intercept, double volumeSlope, double volumeIntercept)
{
    return slope == volumeSlope && intercept == volumeIntercept;
}

void toVolumeScale(float *values, std::size_t count, double slope, double intercept, double volumeSlope,
                   double volumeIntercept)
{
    if (sameRescale(slope, intercept, volumeSlope, volumeIntercept))
        return;
    for (std::size_t i = 0; i < count; ++i)
        values[i] = static_cast<float>((slope * values[i] + intercept - volumeIntercept) / volumeSlope);
}

} // namespace mri::dicom
