#include "io/dicom/DicomEncodingCheck.h"

#include "base/EngineError.h"
#include "io/dicom/DicomBytes.h"
#include "io/dicom/DicomValues.h"

#include <gdcmTransferSyntax.h>

#include <zlib.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <optional>
#include <streambuf>

namespace fs = std::filesystem;

namespace mri::dicom {

namespace {

// ---- The file's encoding, checked before GDCM parses it ----
// Debian builds GDCM with its assertions on, and its parser asserts (aborting
// the process) on many malformed encodings: an item or delimiter where an
// element belongs, an undefined length on a value that cannot have one, a
// value running past its sequence. This walks the file's elements, items and
// fragments as PS3.5 defines them, reading only their headers, and says what
// is wrong first.

struct EncodingWalker
{
    std::istream &stream;
    std::uint64_t fileSize;
    bool bigEndian = false;
    bool explicitVr = true;
    std::string problem;

    bool fail(const std::string &what, std::uint64_t at)
    {
        if (problem.empty())
            problem = what + " at byte " + std::to_string(at);
        return false;
    }
    bool read(std::uint64_t at, unsigned char *out, std::size_t count) { return readAt(stream, at, out, count); }
    std::uint32_t value16(const unsigned char *bytes, bool big) const
    {
        return big ? (bytes[0] << 8) | bytes[1] : bytes[0] | (bytes[1] << 8);
    }

    static bool longVr(const char *vr)
    {
        static const char *const kinds[] = {"OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT", "UV"};
        return std::any_of(std::begin(kinds), std::end(kinds), [&](const char *kind) { return !std::strncmp(kind, vr, 2); });
    }
    static bool knownVr(const char *vr)
    {
        static const char *const kinds[] = {"AE", "AS", "AT", "CS", "DA", "DS", "DT", "FL", "FD", "IS", "LO", "LT",
                                            "PN", "SH", "SL", "SS", "ST", "TM", "UI", "UL", "US"};
        return longVr(vr) || std::any_of(std::begin(kinds), std::end(kinds), [&](const char *kind) { return !std::strncmp(kind, vr, 2); });
    }

    // The top-level attributes GDCM's pixmap reader parses with its Attribute
    // template, which asserts on another VR or length: what each must be
    // (VRs it accepts; the exact length of a binary value, 0 for text).
    struct Expected
    {
        const char *vrs;
        std::uint32_t length;
    };
    static std::optional<Expected> expectedOf(std::uint32_t group, std::uint32_t element)
    {
        if (group == 0x0028) {
            switch (element) {
            case 0x0002: case 0x0006: case 0x0010: case 0x0011: case 0x0100: case 0x0101: case 0x0102: case 0x0103:
                return Expected{"US", 2};
            case 0x0004: return Expected{"CS", 0};
            case 0x0008: return Expected{"IS", 0};
            case 0x1101: case 0x1102: case 0x1103: return Expected{"USSS", 6};
            default: return std::nullopt;
            }
        }
        if (group >= 0x6000 && group <= 0x601e && group % 2 == 0) { // overlays
            switch (element) {
            case 0x0010: case 0x0011: case 0x0100: case 0x0102: return Expected{"US", 2};
            case 0x0050: return Expected{"SS", 4};
            default: return std::nullopt;
            }
        }
        return std::nullopt;
    }
    bool checkAttribute(std::uint32_t group, std::uint32_t element, const char *vr, std::uint32_t length,
                        std::uint64_t valueStart, bool big, std::uint64_t at)
    {
        const auto expected = expectedOf(group, element);
        if (!expected || length == 0)
            return true;
        bool vrFits = !vr[0];
        for (const char *kind = expected->vrs; *kind && !vrFits; kind += 2)
            vrFits = !std::strncmp(kind, vr, 2);
        if (!vrFits || (expected->length && length != expected->length))
            return fail("an image attribute has the wrong value representation or length", at);
        if (group == 0x0028 && element == 0x0008) {
            // One integer: GDCM parses exactly one value.
            if (length > 12)
                return fail("the number of frames is not one number", at);
            std::string text(length, '\0');
            read(valueStart, reinterpret_cast<unsigned char *>(text.data()), length);
            if (text.find('\\') != std::string::npos || numbersOf(text).size() != 1)
                return fail("the number of frames is not one number", at);
        }
        (void)big;
        return true;
    }

    // Encapsulated pixel data: items of defined length up to the sequence delimiter.
    bool fragments(std::uint64_t at, std::uint64_t end, bool big, std::uint64_t &after)
    {
        for (;;) {
            unsigned char header[8];
            if (at + 8 > end || !read(at, header, 8))
                return fail("compressed pixel data runs past its end", at);
            const std::uint32_t group = value16(header, big), element = value16(header + 2, big);
            const std::uint32_t length = uint32Of(header + 4, big);
            if (group == 0xfffe && element == 0xe0dd) {
                if (length != 0)
                    return fail("a delimiter has a length", at);
                after = at + 8;
                return true;
            }
            if (group != 0xfffe || element != 0xe000 || length == 0xffffffffu || at + 8 + length > end)
                return fail("compressed pixel data holds a damaged fragment", at);
            at += 8 + std::uint64_t{length};
        }
    }

    // Items of a sequence in [at, end) (end = fileSize and undefined: up to its delimiter).
    bool sequence(std::uint64_t at, std::uint64_t end, bool undefined, bool big, bool explicitItems, int depth,
                  std::uint64_t &after)
    {
        for (;;) {
            if (!undefined && at == end) {
                after = at;
                return true;
            }
            unsigned char header[8];
            if (at + 8 > end || !read(at, header, 8))
                return fail("a sequence runs past its end", at);
            const std::uint32_t group = value16(header, big), element = value16(header + 2, big);
            const std::uint32_t length = uint32Of(header + 4, big);
            if (group == 0xfffe && element == 0xe0dd && undefined) {
                if (length != 0)
                    return fail("a delimiter has a length", at);
                after = at + 8;
                return true;
            }
            if (group != 0xfffe || element != 0xe000)
                return fail("a sequence holds something other than an item", at);
            if (length == 0xffffffffu) {
                std::uint64_t itemEnd = 0;
                if (!dataSet(at + 8, end, true, big, explicitItems, depth + 1, itemEnd))
                    return false;
                at = itemEnd;
            } else {
                if (at + 8 + length > end)
                    return fail("an item runs past its sequence", at);
                std::uint64_t ignored = 0;
                if (!dataSet(at + 8, at + 8 + length, false, big, explicitItems, depth + 1, ignored))
                    return false;
                at += 8 + std::uint64_t{length};
            }
        }
    }

    // An element's VR (explicit syntaxes; none otherwise), value length and
    // value start, from its header at `at` (its first 8 bytes in `header`).
    bool elementHeader(std::uint64_t at, std::uint64_t end, unsigned char *header, bool big, bool explicitVr, char *vr,
                       std::uint32_t &length, std::uint64_t &valueStart)
    {
        if (!explicitVr) {
            length = uint32Of(header + 4, big);
            valueStart = at + 8;
            return true;
        }
        vr[0] = static_cast<char>(header[4]);
        vr[1] = static_cast<char>(header[5]);
        if (!knownVr(vr))
            return fail("an element has no valid value representation", at);
        if (longVr(vr)) {
            if (at + 12 > end || !read(at, header, 12))
                return fail("an element is cut", at);
            length = uint32Of(header + 8, big);
            valueStart = at + 12;
        } else {
            length = value16(header + 6, big);
            valueStart = at + 8;
        }
        return true;
    }

    // A value of defined length walked as the sequence it holds: an SQ's,
    // or an implicit VR value's that starts with an item.
    bool nestedValue(std::uint64_t valueStart, std::uint32_t length, bool sq, bool big, bool explicitVr, int depth)
    {
        std::uint64_t ignored = 0;
        if (sq)
            return sequence(valueStart, valueStart + length, false, big, true, depth, ignored);
        if (!explicitVr && length >= 8) {
            // Implicit VR: GDCM reads a value that starts with an item as a sequence.
            unsigned char first[4];
            if (read(valueStart, first, 4) && value16(first, big) == 0xfffe && value16(first + 2, big) == 0xe000)
                return sequence(valueStart, valueStart + length, false, big, false, depth, ignored);
        }
        return true;
    }

    // Elements in [at, end); `inItem` with undefined length: up to the item delimiter.
    bool dataSet(std::uint64_t at, std::uint64_t end, bool undefinedItem, bool big, bool explicitVr, int depth,
                 std::uint64_t &after, bool metaOnly = false)
    {
        if (depth > 16)
            return fail("sequences nest too deep", at);
        std::uint32_t lastTag = 0;
        bool first = true;
        while (at < end) {
            unsigned char header[12];
            if (at + 8 > end || !read(at, header, 8))
                return fail("an element is cut", at);
            const std::uint32_t group = value16(header, big), element = value16(header + 2, big);
            if (metaOnly && group != 0x0002)
                break;
            if (group == 0xfffe) {
                if (undefinedItem && element == 0xe00d) {
                    if (uint32Of(header + 4, big) != 0)
                        return fail("a delimiter has a length", at);
                    after = at + 8;
                    return true;
                }
                return fail("an item or delimiter stands where an element belongs", at);
            }
            // Ascending, as PS3.5 requires: GDCM re-reads a data set out of order
            // in other encodings, taking long and allocating what garbage claims.
            const std::uint32_t tag = (group << 16) | element;
            if (!first && tag <= lastTag)
                return fail("its elements are out of order", at);
            first = false;
            lastTag = tag;
            char vr[3] = {0, 0, 0};
            std::uint64_t valueStart = 0;
            std::uint32_t length = 0;
            if (!elementHeader(at, end, header, big, explicitVr, vr, length, valueStart))
                return false;
            const bool pixelData = group == 0x7fe0 && element == 0x0010;
            const bool sq = explicitVr ? !std::strcmp(vr, "SQ") : false;
            if (depth == 0 && !metaOnly && !checkAttribute(group, element, vr, length, valueStart, big, at))
                return false;
            // GDCM asserts on pixel data of another VR (OF, SQ, UN of undefined length, ...).
            if (pixelData && explicitVr && std::strcmp(vr, "OB") != 0 && std::strcmp(vr, "OW") != 0)
                return fail("its pixel data has the value representation " + std::string(vr) + " (OB or OW expected)", at);
            if (length == 0xffffffffu) {
                if (pixelData) {
                    // Fragments; the top level's cut or damaged ones are for checkPixelData() to name.
                    if (!fragments(valueStart, end, big, at))
                        return depth == 0;
                    continue;
                }
                if (pixelData || !(sq || !explicitVr || !std::strcmp(vr, "UN")))
                    return fail("an element that cannot have an undefined length has one", at);
                // SQ, UN (read as implicit VR, as CP 246 says), or any implicit VR element: a sequence.
                if (!sequence(valueStart, end, true, big, explicitVr && !std::strcmp(vr, "SQ"), depth, at))
                    return false;
                continue;
            }
            if (pixelData && depth == 0 && valueStart + length > end)
                return true; // cut short: checkPixelData() says how much is missing
            if (valueStart + length > end)
                return fail("a value runs past its end", at);
            if (!nestedValue(valueStart, length, sq, big, explicitVr, depth))
                return false;
            at = valueStart + length;
        }
        if (undefinedItem)
            return fail("an item has no end", at);
        after = at;
        return true;
    }
};

// Deflate on real data sets gains a few times; a stream that inflates beyond
// this is damaged or made to exhaust memory (a fuzz input claimed gigabytes).
constexpr std::uint64_t kMostInflation = 64;
constexpr std::uint64_t kInflationAllowance = std::uint64_t(16) << 20;

// A deflated data set (from `start` of `stream` to its end) inflated, as
// GDCM would before parsing it; empty with `problem` set when the stream is
// not raw deflate data or inflates to more than kMostInflation times its
// size plus kInflationAllowance.
std::string inflatedDataSet(std::istream &stream, std::uint64_t start, std::uint64_t fileSize, std::string &problem)
{
    std::string compressed(static_cast<std::size_t>(fileSize - start), '\0');
    if (!readAt(stream, start, reinterpret_cast<unsigned char *>(compressed.data()), compressed.size())) {
        problem = "its deflated data set could not be read";
        return {};
    }
    const std::uint64_t most = kMostInflation * compressed.size() + kInflationAllowance;
    z_stream inflater{};
    if (inflateInit2(&inflater, -MAX_WBITS) != Z_OK) { // raw deflate, as PS3.5 A.5 says
        problem = "its deflated data set could not be inflated";
        return {};
    }
    inflater.next_in = reinterpret_cast<Bytef *>(compressed.data());
    std::size_t unread = compressed.size();
    std::string inflated;
    char chunk[1 << 16];
    int status = Z_OK;
    while (status == Z_OK) {
        if (inflater.avail_in == 0 && unread > 0) { // avail_in is 32 bits
            inflater.avail_in = static_cast<uInt>(std::min<std::size_t>(unread, 1u << 30));
            unread -= inflater.avail_in;
        }
        inflater.next_out = reinterpret_cast<Bytef *>(chunk);
        inflater.avail_out = sizeof chunk;
        status = inflate(&inflater, Z_NO_FLUSH);
        inflated.append(chunk, sizeof chunk - inflater.avail_out);
        if (inflated.size() > most) {
            inflateEnd(&inflater);
            problem = "its deflated data set inflates to more than " + std::to_string(kMostInflation)
                + " times its size";
            return {};
        }
        if (status == Z_BUF_ERROR && inflater.avail_in == 0 && unread == 0)
            break; // the stream ends without its final block
    }
    inflateEnd(&inflater);
    if (status != Z_STREAM_END && status != Z_BUF_ERROR) {
        problem = "its deflated data set is not valid deflate data";
        return {};
    }
    return inflated;
}

// A read-only, seekable stream over bytes held elsewhere (no copy).
class ByteStreamBuffer : public std::streambuf
{
public:
    explicit ByteStreamBuffer(std::string &bytes)
    {
        char *begin = bytes.data();
        setg(begin, begin, begin + bytes.size());
    }

protected:
    pos_type seekoff(off_type offset, std::ios_base::seekdir direction, std::ios_base::openmode) override
    {
        const off_type base = direction == std::ios_base::beg ? 0
            : direction == std::ios_base::cur                 ? gptr() - eback()
                                                               : egptr() - eback();
        const off_type target = base + offset;
        if (target < 0 || target > egptr() - eback())
            return pos_type(off_type(-1));
        setg(eback(), eback() + target, egptr());
        return pos_type(target);
    }
    pos_type seekpos(pos_type position, std::ios_base::openmode mode) override
    {
        return seekoff(off_type(position), std::ios_base::beg, mode);
    }
};

} // namespace

std::string encodingProblem(const fs::path &file, bool &isDicom)
{
    isDicom = false;
    std::ifstream stream(file, std::ios::binary);
    std::error_code error;
    const std::uint64_t fileSize = fs::file_size(file, error);
    unsigned char magic[4];
    if (!stream || error || !readAt(stream, 128, magic, 4) || std::memcmp(magic, "DICM", 4) != 0)
        return "it has no DICOM preamble";
    isDicom = true;
    EncodingWalker walker{stream, fileSize, false, true, {}};
    std::uint64_t dataSetStart = 0;
    if (!walker.dataSet(132, fileSize, false, false, true, 0, dataSetStart, true))
        return walker.problem;
    // GDCM reads one more tag after the meta group and asserts when the file
    // ends there (a fuzz finding).
    if (dataSetStart >= fileSize)
        return "it ends after its file meta information, at byte " + std::to_string(fileSize) + ", with no data set";
    // The transfer syntax, from the meta group just walked.
    std::string syntax;
    for (std::uint64_t at = 132; at + 8 <= dataSetStart;) {
        unsigned char header[12];
        readAt(stream, at, header, 8);
        const bool isLong = EncodingWalker::longVr(reinterpret_cast<const char *>(header + 4));
        if (isLong)
            readAt(stream, at, header, 12);
        const std::uint32_t length = isLong ? uint32Of(header + 8, false) : (header[6] | (header[7] << 8));
        const std::uint64_t value = at + (isLong ? 12 : 8);
        if (header[0] == 0x02 && header[1] == 0 && header[2] == 0x10 && header[3] == 0 && length < 256) {
            syntax.resize(length);
            readAt(stream, value, reinterpret_cast<unsigned char *>(syntax.data()), length);
            syntax = trimmed(syntax);
        }
        at = value + length;
    }
    // GDCM guesses the encoding of a file without a syntax it knows (and may
    // take its lengths byte-swapped, allocating gigabytes): such a file is refused.
    if (gdcm::TransferSyntax::GetTSType(syntax.c_str()) == gdcm::TransferSyntax::TS_END)
        return "its file meta information names no transfer syntax this program knows";
    if (syntax == "1.2.840.10008.1.2.1.99") {
        // Deflated: what GDCM will parse is the inflated data set (where a few
        // damaged bytes can claim values of gigabytes).
        std::string problem;
        std::string bytes = inflatedDataSet(stream, dataSetStart, fileSize, problem);
        if (!problem.empty())
            return problem;
        ByteStreamBuffer buffer(bytes);
        std::istream inflated(&buffer);
        EncodingWalker inflatedWalker{inflated, static_cast<std::uint64_t>(bytes.size()), false, true, {}};
        std::uint64_t ignored = 0;
        if (inflatedWalker.dataSet(0, inflatedWalker.fileSize, false, false, true, 0, ignored))
            return {};
        return inflatedWalker.problem + " of its inflated data set";
    }
    const bool big = syntax == "1.2.840.10008.1.2.2";
    const bool explicitVr = syntax != "1.2.840.10008.1.2";
    std::uint64_t ignored = 0;
    if (walker.dataSet(dataSetStart, fileSize, false, big, explicitVr, 0, ignored))
        return {};
    // As GDCM: a data set whose first element has no VR where the syntax
    // says explicit is read as implicit VR (a common writer's mistake).
    const std::string explicitProblem = walker.problem;
    if (!explicitVr || big || explicitProblem.find("byte " + std::to_string(dataSetStart)) == std::string::npos)
        return explicitProblem;
    walker.problem.clear();
    if (walker.dataSet(dataSetStart, fileSize, false, false, false, 0, ignored))
        return {};
    return explicitProblem;
}

void checkEncoding(const fs::path &file)
{
    bool isDicom = false;
    const std::string problem = encodingProblem(file, isDicom);
    if (!isDicom) {
        std::error_code error;
        if (!fs::exists(file, error))
            throw EngineError("The DICOM file " + named(file) + " does not exist.");
        throw EngineError(named(file) + " is not a DICOM file (or is damaged).");
    }
    if (!problem.empty())
        throw EngineError("The DICOM file " + named(file) + " is damaged: " + problem + ".");
}

} // namespace mri::dicom
