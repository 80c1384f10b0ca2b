#include "io/ImageIO.h"

#include "base/EngineError.h"
#include "base/Text.h"
#include "io/AtomicFile.h"

#include <opencv2/core.hpp>
#include <opencv2/core/utils/logger.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <csetjmp>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <mutex>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

// jpeglib.h needs FILE and size_t declared first (<cstdio> above).
#include <jpeglib.h>
#include <jerror.h>

namespace fs = std::filesystem;

namespace mri {

namespace {

// A 16384 x 16384 RGBA image with 16-bit samples, plus room for metadata: any
// larger file cannot be an image we accept, so it is not read into memory.
constexpr std::uintmax_t kMaxFileBytes =
    static_cast<std::uintmax_t>(kMaxImageSide) * kMaxImageSide * 8 + (64u << 20);

// `source` names the file (or the buffer) in the sentence.
[[noreturn]] void failRead(const std::string &source, const std::string &reason)
{
    throw EngineError("Cannot read image '" + source + "': " + reason + ".");
}

[[noreturn]] void failRead(const fs::path &file, const std::string &reason)
{
    failRead(file.string(), reason);
}

[[noreturn]] void failWrite(const fs::path &file, const std::string &reason)
{
    throw EngineError("Cannot write image '" + file.string() + "': " + reason + ".");
}

std::string lowerFirst(std::string text)
{
    if (!text.empty())
        text[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(text[0])));
    return text;
}

// OpenCV logs decoder warnings for damaged files; our EngineError already says
// what went wrong. The level is process-wide, so concurrent loads share one
// silenced period and the last one out restores the caller's level.
class OpenCvLogSilencer final
{
public:
    OpenCvLogSilencer()
    {
        const std::lock_guard<std::mutex> lock(mutex());
        if (users()++ == 0)
            saved() = cv::utils::logging::setLogLevel(cv::utils::logging::LOG_LEVEL_SILENT);
    }
    ~OpenCvLogSilencer()
    {
        const std::lock_guard<std::mutex> lock(mutex());
        if (--users() == 0)
            cv::utils::logging::setLogLevel(saved());
    }
    OpenCvLogSilencer(const OpenCvLogSilencer &) = delete;
    OpenCvLogSilencer &operator=(const OpenCvLogSilencer &) = delete;

private:
    static std::mutex &mutex()
    {
        static std::mutex instance;
        return instance;
    }
    static int &users()
    {
        static int count = 0;
        return count;
    }
    static cv::utils::logging::LogLevel &saved()
    {
        static cv::utils::logging::LogLevel level = cv::utils::logging::LOG_LEVEL_INFO;
        return level;
    }
};

// Bounds-checked reads of the header bytes.
class ByteReader final
{
public:
    ByteReader(const std::vector<unsigned char> &bytes, bool littleEndian)
        : m_bytes(bytes), m_little(littleEndian)
    {
    }

    bool has(std::uint64_t offset, std::uint64_t count) const
    {
        return offset <= m_bytes.size() && count <= m_bytes.size() - offset;
    }
    std::uint64_t read(std::uint64_t offset, int count) const
    {
        std::uint64_t value = 0;
        for (int i = 0; i < count; ++i) {
            const int shift = m_little ? 8 * i : 8 * (count - 1 - i);
            value |= static_cast<std::uint64_t>(m_bytes[static_cast<std::size_t>(offset) + i]) << shift;
        }
        return value;
    }

private:
    const std::vector<unsigned char> &m_bytes;
    bool m_little;
};

struct HeaderInfo
{
    std::int64_t width = 0;
    std::int64_t height = 0;
    std::uint64_t dataEnd = 0; // TIFF: where its last strip or tile ends
};

bool startsWith(const std::vector<unsigned char> &bytes, std::initializer_list<unsigned char> prefix)
{
    return bytes.size() >= prefix.size() && std::equal(prefix.begin(), prefix.end(), bytes.begin());
}

HeaderInfo sniffPng(const std::vector<unsigned char> &bytes, const std::string &file)
{
    const ByteReader reader(bytes, false);
    if (!reader.has(0, 24))
        failRead(file, "the PNG file is truncated");
    if (std::memcmp(bytes.data() + 12, "IHDR", 4) != 0)
        failRead(file, "the PNG header is damaged");
    return {static_cast<std::int64_t>(reader.read(16, 4)), static_cast<std::int64_t>(reader.read(20, 4))};
}

HeaderInfo sniffBmp(const std::vector<unsigned char> &bytes, const std::string &file)
{
    const ByteReader reader(bytes, true);
    if (!reader.has(14, 4))
        failRead(file, "the BMP file is truncated");
    const std::uint64_t dibSize = reader.read(14, 4);
    if (dibSize == 12) { // OS/2 BITMAPCOREHEADER: unsigned 16-bit sides
        if (!reader.has(18, 4))
            failRead(file, "the BMP file is truncated");
        return {static_cast<std::int64_t>(reader.read(18, 2)), static_cast<std::int64_t>(reader.read(20, 2))};
    }
    if (!reader.has(18, 8))
        failRead(file, "the BMP file is truncated");
    const auto width = static_cast<std::int32_t>(static_cast<std::uint32_t>(reader.read(18, 4)));
    const auto height = static_cast<std::int32_t>(static_cast<std::uint32_t>(reader.read(22, 4)));
    // A negative height means rows stored top-down.
    return {width, height < 0 ? -static_cast<std::int64_t>(height) : height};
}

// Walks the marker segments up to the first frame header (SOFn). Segments
// before it, such as an EXIF thumbnail, are skipped whole.
HeaderInfo sniffJpeg(const std::vector<unsigned char> &bytes, const std::string &file)
{
    const ByteReader reader(bytes, false);
    std::uint64_t pos = 2;
    while (true) {
        if (!reader.has(pos, 1))
            failRead(file, "the JPEG file is truncated before its frame header");
        if (bytes[pos] != 0xFF)
            failRead(file, "the JPEG data is damaged");
        while (reader.has(pos, 1) && bytes[pos] == 0xFF)
            ++pos;
        if (!reader.has(pos, 1))
            failRead(file, "the JPEG file is truncated before its frame header");
        const unsigned char marker = bytes[pos++];
        if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD8))
            continue; // markers without a length
        if (marker == 0xD9 || marker == 0xDA)
            failRead(file, "the JPEG data has no frame header");
        if (!reader.has(pos, 2))
            failRead(file, "the JPEG file is truncated before its frame header");
        const std::uint64_t length = reader.read(pos, 2);
        if (length < 2)
            failRead(file, "the JPEG data is damaged");
        const bool isFrameHeader = marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8
            && marker != 0xCC;
        if (isFrameHeader) {
            if (!reader.has(pos, 7))
                failRead(file, "the JPEG file is truncated in its frame header");
            const HeaderInfo info{static_cast<std::int64_t>(reader.read(pos + 5, 2)),
                                  static_cast<std::int64_t>(reader.read(pos + 3, 2))};
            // libjpeg fills a cut-off scan with grey and only warns; a missing
            // end-of-image marker is how we tell. Inside the scan 0xFF is always
            // followed by 0x00 or a restart marker, so 0xFF 0xD9 is the real end.
            const unsigned char endMarker[] = {0xFF, 0xD9};
            const std::uint64_t afterHeader = std::min<std::uint64_t>(pos + length, bytes.size());
            const auto rest = bytes.begin() + static_cast<std::ptrdiff_t>(afterHeader);
            if (std::search(rest, bytes.end(), std::begin(endMarker), std::end(endMarker)) == bytes.end())
                failRead(file, "the JPEG file is truncated (it has no end-of-image marker)");
            return info;
        }
        pos += length;
    }
}

// The values of a TIFF entry of SHORT, LONG or LONG8 type, inline or at their offset.
std::vector<std::uint64_t> tiffEntryValues(const ByteReader &reader, std::uint64_t entry, bool big,
                                           std::size_t fileSize, const std::string &file)
{
    const std::string damaged = "the TIFF file is truncated or damaged";
    const std::uint64_t valueOffset = big ? 12 : 8;
    const std::uint64_t type = reader.read(entry + 2, 2);
    const int size = type == 3 ? 2 : type == 4 ? 4 : type == 16 && big ? 8 : 0;
    const std::uint64_t count = reader.read(entry + 4, big ? 8 : 4);
    if (size == 0 || count == 0 || count > fileSize)
        failRead(file, damaged);
    const std::uint64_t inlineBytes = big ? 8 : 4;
    const std::uint64_t at = count * size <= inlineBytes ? entry + valueOffset : reader.read(entry + valueOffset, big ? 8 : 4);
    if (!reader.has(at, count * size))
        failRead(file, damaged);
    std::vector<std::uint64_t> list(count);
    for (std::uint64_t i = 0; i < count; ++i)
        list[i] = reader.read(at + i * size, size);
    return list;
}

// Where the last strip (or tile) ends, from the offsets and byte counts entries.
std::uint64_t tiffDataEnd(const ByteReader &reader, std::uint64_t offsetsEntry, std::uint64_t countsEntry, bool big,
                          std::size_t fileSize, const std::string &file)
{
    const auto offsets = tiffEntryValues(reader, offsetsEntry, big, fileSize, file);
    const auto counts = tiffEntryValues(reader, countsEntry, big, fileSize, file);
    std::uint64_t end = 0;
    for (std::size_t i = 0; i < std::min(offsets.size(), counts.size()); ++i) {
        if (offsets[i] > UINT64_MAX / 2 || counts[i] > UINT64_MAX / 2)
            failRead(file, "the TIFF file is truncated or damaged");
        end = std::max(end, offsets[i] + counts[i]);
    }
    return end;
}

HeaderInfo sniffTiff(const std::vector<unsigned char> &bytes, const std::string &file)
{
    const ByteReader reader(bytes, bytes[0] == 'I');
    const bool big = reader.read(2, 2) == 43;
    const std::string damaged = "the TIFF file is truncated or damaged";
    std::uint64_t ifd = 0;
    if (big) {
        if (!reader.has(0, 16) || reader.read(4, 2) != 8)
            failRead(file, damaged);
        ifd = reader.read(8, 8);
    } else {
        if (!reader.has(0, 8))
            failRead(file, damaged);
        ifd = reader.read(4, 4);
    }
    const int countBytes = big ? 8 : 2;
    const std::uint64_t entryBytes = big ? 20 : 12;
    const std::uint64_t valueOffset = big ? 12 : 8;
    if (!reader.has(ifd, countBytes))
        failRead(file, damaged);
    const std::uint64_t entries = reader.read(ifd, countBytes);
    std::optional<std::int64_t> width;
    std::optional<std::int64_t> height;
    // Strip (or tile) offsets and byte counts: tag -> the entry, the first one as libtiff.
    std::optional<std::uint64_t> offsetsEntry, countsEntry;
    for (std::uint64_t i = 0; i < entries; ++i) {
        const std::uint64_t entry = ifd + countBytes + i * entryBytes;
        if (!reader.has(entry, entryBytes))
            failRead(file, damaged);
        const std::uint64_t tag = reader.read(entry, 2);
        if ((tag == 273 || tag == 324) && !offsetsEntry)
            offsetsEntry = entry;
        if ((tag == 279 || tag == 325) && !countsEntry)
            countsEntry = entry;
        if (tag != 256 && tag != 257)
            continue;
        // libtiff ignores a repeated tag: the first one is the size it decodes.
        if ((tag == 256 && width) || (tag == 257 && height))
            continue;
        const std::uint64_t type = reader.read(entry + 2, 2);
        std::uint64_t value = 0;
        if (type == 3)
            value = reader.read(entry + valueOffset, 2);
        else if (type == 4)
            value = reader.read(entry + valueOffset, 4);
        else if (type == 16 && big)
            value = reader.read(entry + valueOffset, 8);
        else
            failRead(file, damaged);
        // Clamp so absurd 64-bit values still compare as too large.
        const auto side = static_cast<std::int64_t>(std::min<std::uint64_t>(value, INT64_MAX / 2));
        (tag == 256 ? width : height) = side;
    }
    if (!width || !height)
        failRead(file, "the TIFF header gives no image size");
    // The image data must lie inside the file: a decoder fills a strip past
    // its end with zeros (or fails somewhere less clear).
    if (offsetsEntry && countsEntry)
        return {*width, *height, tiffDataEnd(reader, *offsetsEntry, *countsEntry, big, bytes.size(), file)};
    return {*width, *height};
}

// Reads the size from the header so that a corrupt or hostile file is refused
// before the decoder allocates anything.
void checkHeader(const std::vector<unsigned char> &bytes, const std::string &file, int largestSide)
{
    HeaderInfo info;
    if (startsWith(bytes, {0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A}))
        info = sniffPng(bytes, file);
    else if (startsWith(bytes, {0xFF, 0xD8, 0xFF}))
        info = sniffJpeg(bytes, file);
    else if (startsWith(bytes, {'B', 'M'}))
        info = sniffBmp(bytes, file);
    else if (startsWith(bytes, {'I', 'I', 42, 0}) || startsWith(bytes, {'M', 'M', 0, 42})
             || startsWith(bytes, {'I', 'I', 43, 0}) || startsWith(bytes, {'M', 'M', 0, 43}))
        info = sniffTiff(bytes, file);
    else
        failRead(file, "it is not a PNG, JPEG, BMP or TIFF image");

    const std::string size = std::to_string(info.width) + " x " + std::to_string(info.height);
    if (info.width <= 0 || info.height <= 0)
        failRead(file, "its header gives an invalid size of " + size + " pixels");
    // Both sides bounded also bounds the pixel count by largestSide^2.
    if (info.width > largestSide || info.height > largestSide) {
        failRead(file, "it is " + size + " pixels; the largest side accepted is " + std::to_string(largestSide)
                           + " pixels");
    }
    if (info.dataEnd > bytes.size())
        failRead(file, "the TIFF file is cut short: its image data runs to byte " + std::to_string(info.dataEnd)
                           + " of a " + std::to_string(bytes.size()) + "-byte file");
}

// libjpeg decodes a damaged scan with only a warning, filling what is missing
// with grey: a JPEG cut short and given its end marker back looks complete.
// This decodes the scan once more at 1/8 scale (the entropy decoding that
// warns is the same, the inverse DCT nearly free) and refuses the image when
// libjpeg reports corrupt data. Benign warnings (an unknown JFIF revision, an
// ICC profile it cannot use) are not refused.
struct JpegErrorManager
{
    jpeg_error_mgr base;
    std::jmp_buf jump;
    int corruptCode; // the first corrupt-data warning, 0 for none
};

bool isCorruptDataWarning(int code)
{
    switch (code) {
    case JWRN_ARITH_BAD_CODE:
    case JWRN_BOGUS_PROGRESSION:
    case JWRN_HIT_MARKER:
    case JWRN_HUFF_BAD_CODE:
    case JWRN_JPEG_EOF:
    case JWRN_MUST_RESYNC:
    case JWRN_NOT_SEQUENTIAL:
        return true;
    default:
        return false;
    }
}

void onJpegError(j_common_ptr info)
{
    std::longjmp(reinterpret_cast<JpegErrorManager *>(info->err)->jump, 1);
}

void onJpegMessage(j_common_ptr info, int level)
{
    auto *errors = reinterpret_cast<JpegErrorManager *>(info->err);
    if (level < 0 && errors->corruptCode == 0 && isCorruptDataWarning(errors->base.msg_code))
        errors->corruptCode = errors->base.msg_code;
}

// Only plain C data lives across setjmp here; the frames longjmp skips are libjpeg's.
void checkJpegScan(const std::vector<unsigned char> &bytes, const std::string &file)
{
    jpeg_decompress_struct info{};
    JpegErrorManager errors{};
    info.err = jpeg_std_error(&errors.base);
    errors.base.error_exit = onJpegError;
    errors.base.emit_message = onJpegMessage;
    std::vector<JSAMPLE> row;
    char message[JMSG_LENGTH_MAX] = {};
    if (setjmp(errors.jump) != 0) {
        errors.base.format_message(reinterpret_cast<j_common_ptr>(&info), message);
        jpeg_destroy_decompress(&info);
        failRead(file, "the JPEG data is damaged (" + lowerFirst(message) + ")");
    }
    jpeg_create_decompress(&info);
    jpeg_mem_src(&info, bytes.data(), static_cast<unsigned long>(bytes.size()));
    jpeg_read_header(&info, TRUE);
    if (info.jpeg_color_space == JCS_YCbCr || info.jpeg_color_space == JCS_GRAYSCALE)
        info.out_color_space = JCS_GRAYSCALE; // no colour conversion needed for a check
    info.scale_num = 1;
    info.scale_denom = 8;
    info.dct_method = JDCT_IFAST;
    info.do_fancy_upsampling = FALSE;
    jpeg_start_decompress(&info);
    row.resize(static_cast<std::size_t>(info.output_width) * static_cast<std::size_t>(info.output_components));
    JSAMPROW rows[] = {row.data()};
    while (info.output_scanline < info.output_height && errors.corruptCode == 0)
        jpeg_read_scanlines(&info, rows, 1);
    if (errors.corruptCode == 0)
        jpeg_finish_decompress(&info);
    if (errors.corruptCode != 0) {
        errors.base.msg_code = errors.corruptCode;
        errors.base.format_message(reinterpret_cast<j_common_ptr>(&info), message);
        jpeg_destroy_decompress(&info);
        failRead(file, "the JPEG data is truncated or damaged (libjpeg: " + lowerFirst(message) + ")");
    }
    jpeg_destroy_decompress(&info);
}

std::vector<unsigned char> readBytes(const fs::path &file)
{
    if (file.empty())
        failRead(file, "no file name was given");
    // The system would read the name only up to a NUL byte: another file.
    if (const auto nul = file.native().find('\0'); nul != std::string::npos) {
        std::string shown = file.native();
        for (auto at = shown.find('\0'); at != std::string::npos; at = shown.find('\0', at))
            shown.replace(at, 1, "\\0");
        failRead(shown, "its name contains a NUL byte");
    }
    std::error_code ec;
    const fs::file_status status = fs::status(file, ec);
    // A loop of links or a name too long is not "missing": say what the system says.
    if (ec && ec != std::errc::no_such_file_or_directory)
        failRead(file, lowerFirst(ec.message()));
    if (!fs::exists(status))
        failRead(file, "the file does not exist");
    if (fs::is_directory(status))
        failRead(file, "it is a folder, not an image");
    const std::uintmax_t size = fs::file_size(file, ec);
    if (ec)
        failRead(file, lowerFirst(ec.message()));
    if (size == 0)
        failRead(file, "the file is empty (0 bytes)");
    if (size > kMaxFileBytes)
        failRead(file, "the file is too large (" + std::to_string(size) + " bytes) to be an image we accept");

    std::ifstream in(file, std::ios::binary);
    if (!in)
        failRead(file, lowerFirst(std::strerror(errno)));
    std::vector<unsigned char> bytes(static_cast<std::size_t>(size));
    in.read(reinterpret_cast<char *>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    if (static_cast<std::uintmax_t>(in.gcount()) != size)
        failRead(file, "the file could not be read completely");
    return bytes;
}

std::string depthDescription(int depth)
{
    switch (depth) {
    case CV_8S: return "8-bit signed";
    case CV_16S: return "16-bit signed";
    case CV_32S: return "32-bit integer";
    case CV_32F: return "32-bit floating-point";
    case CV_64F: return "64-bit floating-point";
    case CV_16F: return "16-bit floating-point";
    default: return "unusual";
    }
}

std::string extensionOf(const fs::path &file)
{
    return lowerCase(file.extension().string());
}

} // namespace

cv::Mat decodeGrayscaleImage(const std::vector<unsigned char> &bytes, const std::string &sourceName,
                             int largestSide)
{
    if (bytes.empty())
        failRead(sourceName, "the file is empty (0 bytes)");
    checkHeader(bytes, sourceName, largestSide);
    if (startsWith(bytes, {0xFF, 0xD8, 0xFF}))
        checkJpegScan(bytes, sourceName);

    cv::Mat decoded;
    {
        const OpenCvLogSilencer silencer;
        try {
            const cv::Mat buffer(1, static_cast<int>(bytes.size()), CV_8U, const_cast<unsigned char *>(bytes.data()));
            decoded = cv::imdecode(buffer, cv::IMREAD_UNCHANGED);
        } catch (const cv::Exception &) {
            decoded.release();
        }
    }
    if (decoded.empty())
        failRead(sourceName, "the image data is truncated or damaged");

    const int depth = decoded.depth();
    if (depth != CV_8U && depth != CV_16U) {
        failRead(sourceName, "it has " + depthDescription(depth)
                                 + " samples; only 8- and 16-bit unsigned images are supported");
    }
    cv::Mat gray;
    switch (decoded.channels()) {
    case 1: gray = decoded; break;
    case 2: cv::extractChannel(decoded, gray, 0); break; // gray + alpha
    case 3: cv::cvtColor(decoded, gray, cv::COLOR_BGR2GRAY); break;
    case 4: cv::cvtColor(decoded, gray, cv::COLOR_BGRA2GRAY); break;
    default:
        failRead(sourceName, "it has " + std::to_string(decoded.channels())
                                 + " channels; only grayscale, RGB and RGBA images are supported");
    }
    return gray;
}

cv::Mat loadGrayscaleImage(const fs::path &file)
{
    return decodeGrayscaleImage(readBytes(file), file.string());
}

void saveImageAtomically(const fs::path &file, const cv::Mat &image)
{
    if (image.empty())
        failWrite(file, "the image is empty");
    const bool slice = image.channels() == 1 && (image.depth() == CV_8U || image.depth() == CV_16U);
    const bool figure = image.type() == CV_8UC3;
    if (!slice && !figure)
        failWrite(file, "only single-channel 8- or 16-bit images and 8-bit colour figures can be saved");

    std::string extension = extensionOf(file);
    if (extension.empty())
        extension = ".png";
    static const char *const supported[] = {".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff"};
    if (std::find(std::begin(supported), std::end(supported), extension) == std::end(supported))
        failWrite(file, "'" + extension + "' is not a PNG, JPEG, BMP or TIFF file name extension");
    const bool keeps16Bits = extension == ".png" || extension == ".tif" || extension == ".tiff";
    if (image.depth() == CV_16U && !keeps16Bits)
        failWrite(file, "JPEG and BMP cannot hold 16-bit samples; use PNG or TIFF");

    std::vector<unsigned char> encoded;
    try {
        if (!cv::imencode(extension, image, encoded))
            failWrite(file, "OpenCV could not encode it");
    } catch (const cv::Exception &error) {
        failWrite(file, "OpenCV could not encode it (" + error.err + ")");
    }
    writeFileAtomically(file, std::string_view(reinterpret_cast<const char *>(encoded.data()), encoded.size()));
}

double dataRangeOf(const cv::Mat &image)
{
    switch (image.depth()) {
    case CV_8U: return 255.0;
    case CV_16U: return 65535.0;
    default:
        throw EngineError("Only 8- and 16-bit images have a data range; this image has "
                          + depthDescription(image.depth()) + " samples.");
    }
}

cv::Mat toUnitFloat(const cv::Mat &image)
{
    if (image.channels() != 1)
        throw EngineError("Only single-channel images can be converted to unit floats.");
    cv::Mat unit;
    image.convertTo(unit, CV_32F, 1.0 / dataRangeOf(image));
    return unit;
}

cv::Mat fromUnitFloat(const cv::Mat &unit, int depth)
{
    if (unit.channels() != 1 || (unit.depth() != CV_32F && unit.depth() != CV_64F))
        throw EngineError("Only single-channel floating-point images can be converted back to integers.");
    if (depth != CV_8U && depth != CV_16U)
        throw EngineError("Unit images can only be converted to 8- or 16-bit depth.");
    cv::Mat image;
    unit.convertTo(image, depth, depth == CV_8U ? 255.0 : 65535.0);
    return image;
}

} // namespace mri
