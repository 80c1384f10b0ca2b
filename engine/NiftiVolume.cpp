#include "NiftiVolume.h"

#include "EngineError.h"

#include <zlib.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <string>

namespace mri {

namespace {

constexpr int kHeaderSize = 348;
// Bounds checked before allocating, so a corrupt header cannot exhaust memory.
constexpr std::uint64_t kMaxVoxels = std::uint64_t(1) << 31;
constexpr std::uint64_t kMaxDataBytes = std::uint64_t(4) << 30;
constexpr std::size_t kChunkVoxels = std::size_t(1) << 20;
// Header, the largest vox_offset accepted and the largest voxel data.
constexpr std::uint64_t kMaxFileBytes = kHeaderSize + (std::uint64_t(1) << 30) + kMaxDataBytes;

std::string quoted(const std::string &source)
{
    return "'" + source + "'";
}

// The file's bytes in memory, read in order: plain (.nii) as they are, gzip
// (.nii.gz) inflated chunk by chunk, several concatenated members as one stream
// (as gzread reads them), bytes after the last member ignored.
class ByteStream final
{
public:
    ByteStream(const std::vector<unsigned char> &bytes, const std::string &source)
        : m_bytes(bytes), m_source(source), m_gzip(isGzipAt(0))
    {
        if (m_gzip) {
            m_stream.next_in = const_cast<unsigned char *>(m_bytes.data());
            m_stream.avail_in = static_cast<uInt>(std::min<std::size_t>(m_bytes.size(), kLargestInput));
            if (inflateInit2(&m_stream, 16 + MAX_WBITS) != Z_OK)
                throw EngineError(quoted(m_source) + " cannot be read: zlib could not be initialised.");
            m_inflating = true;
        }
    }
    ~ByteStream()
    {
        if (m_inflating)
            inflateEnd(&m_stream);
    }
    ByteStream(const ByteStream &) = delete;
    ByteStream &operator=(const ByteStream &) = delete;

    bool gzipped() const { return m_gzip; }
    std::size_t compressedSize() const { return m_bytes.size(); }

    // Reads up to `size` bytes; stops early only at the end of the data. A
    // damaged gzip stream is an error, a stream cut short reads as a short count.
    std::size_t read(void *buffer, std::size_t size)
    {
        auto *out = static_cast<unsigned char *>(buffer);
        if (!m_gzip) {
            const std::size_t count = std::min(size, m_bytes.size() - m_offset);
            if (count == 0)
                return 0; // memcpy must not see the null data() of an empty buffer
            std::memcpy(out, m_bytes.data() + m_offset, count);
            m_offset += count;
            return count;
        }
        std::size_t total = 0;
        while (total < size && !m_finished) {
            refillInput();
            m_stream.next_out = out + total;
            m_stream.avail_out = static_cast<uInt>(std::min<std::size_t>(size - total, kLargestInput));
            const uInt before = m_stream.avail_out;
            const int status = inflate(&m_stream, Z_NO_FLUSH);
            total += before - m_stream.avail_out;
            if (status == Z_STREAM_END) {
                if (!nextMember())
                    m_finished = true;
            } else if (status == Z_BUF_ERROR) {
                // No progress possible: the input ended inside a member.
                if (m_stream.avail_in == 0 && consumed() == m_bytes.size())
                    m_finished = true;
            } else if (status != Z_OK) {
                throw EngineError(quoted(m_source) + " cannot be read: "
                                  + (m_stream.msg ? m_stream.msg : "the gzip data is damaged") + ".");
            }
        }
        return total;
    }

private:
    static constexpr std::size_t kLargestInput = std::size_t(1) << 30; // zlib counts in 32 bits

    bool isGzipAt(std::size_t offset) const
    {
        return m_bytes.size() >= offset + 2 && m_bytes[offset] == 0x1F && m_bytes[offset + 1] == 0x8B;
    }
    std::size_t consumed() const
    {
        return static_cast<std::size_t>(m_stream.next_in - m_bytes.data());
    }
    void refillInput()
    {
        if (m_stream.avail_in == 0 && consumed() < m_bytes.size())
            m_stream.avail_in = static_cast<uInt>(std::min(m_bytes.size() - consumed(), kLargestInput));
    }
    // After a member's end: another member follows, or the stream is done.
    bool nextMember()
    {
        if (!isGzipAt(consumed()))
            return false;
        inflateReset(&m_stream);
        return true;
    }

    const std::vector<unsigned char> &m_bytes;
    const std::string &m_source;
    const bool m_gzip;
    bool m_inflating = false;
    bool m_finished = false;
    std::size_t m_offset = 0;
    z_stream m_stream{};
};

// Header fields decoded from either byte order, independent of the host's.
class HeaderReader final
{
public:
    HeaderReader(const unsigned char *bytes, bool bigEndian) : m_bytes(bytes), m_bigEndian(bigEndian) {}

    std::uint32_t u32(int offset) const
    {
        const unsigned char *p = m_bytes + offset;
        return m_bigEndian ? (std::uint32_t(p[0]) << 24 | std::uint32_t(p[1]) << 16 | std::uint32_t(p[2]) << 8 | p[3])
                           : (std::uint32_t(p[3]) << 24 | std::uint32_t(p[2]) << 16 | std::uint32_t(p[1]) << 8 | p[0]);
    }
    std::int16_t i16(int offset) const
    {
        const unsigned char *p = m_bytes + offset;
        const auto value = m_bigEndian ? std::uint16_t(p[0] << 8 | p[1]) : std::uint16_t(p[1] << 8 | p[0]);
        return static_cast<std::int16_t>(value);
    }
    std::int32_t i32(int offset) const { return static_cast<std::int32_t>(u32(offset)); }
    float f32(int offset) const
    {
        const std::uint32_t bits = u32(offset);
        float value;
        std::memcpy(&value, &bits, sizeof value);
        return value;
    }

private:
    const unsigned char *m_bytes;
    bool m_bigEndian;
};

bool hostIsBigEndian()
{
    const std::uint16_t probe = 1;
    unsigned char first;
    std::memcpy(&first, &probe, 1);
    return first == 0;
}

template<typename T>
T loadSample(const unsigned char *p, bool swap)
{
    unsigned char bytes[sizeof(T)];
    std::memcpy(bytes, p, sizeof(T));
    if (swap)
        std::reverse(bytes, bytes + sizeof(T));
    T value;
    std::memcpy(&value, bytes, sizeof(T));
    return value;
}

template<typename T>
void convertSamples(const unsigned char *raw, std::size_t count, bool swap, double slope, double inter, float *out)
{
    for (std::size_t i = 0; i < count; ++i) {
        const double value = static_cast<double>(loadSample<T>(raw + i * sizeof(T), swap));
        out[i] = static_cast<float>(value * slope + inter);
    }
}

struct DataType
{
    int code;
    int bytes;
    const char *name;
};

constexpr DataType kDataTypes[] = {
    {2, 1, "uint8"},   {256, 1, "int8"},  {4, 2, "int16"},   {512, 2, "uint16"},
    {8, 4, "int32"},   {768, 4, "uint32"}, {16, 4, "float32"}, {64, 8, "float64"},
};

void convertChunk(int code, const unsigned char *raw, std::size_t count, bool swap, double slope, double inter,
                  float *out)
{
    switch (code) {
    case 2: convertSamples<std::uint8_t>(raw, count, swap, slope, inter, out); break;
    case 256: convertSamples<std::int8_t>(raw, count, swap, slope, inter, out); break;
    case 4: convertSamples<std::int16_t>(raw, count, swap, slope, inter, out); break;
    case 512: convertSamples<std::uint16_t>(raw, count, swap, slope, inter, out); break;
    case 8: convertSamples<std::int32_t>(raw, count, swap, slope, inter, out); break;
    case 768: convertSamples<std::uint32_t>(raw, count, swap, slope, inter, out); break;
    case 16: convertSamples<float>(raw, count, swap, slope, inter, out); break;
    case 64: convertSamples<double>(raw, count, swap, slope, inter, out); break;
    }
}

} // namespace

NiftiVolume decodeNiftiVolume(const std::vector<unsigned char> &bytes, const std::string &sourceName)
{
    const std::string &file = sourceName;
    ByteStream stream(bytes, sourceName);

    unsigned char header[kHeaderSize];
    if (stream.read(header, kHeaderSize) < kHeaderSize)
        throw EngineError(quoted(file) + " is not a NIfTI-1 file: it is shorter than the 348-byte header.");

    // sizeof_hdr is 348 in the file's byte order; that is how the order is told.
    const bool bigEndian = HeaderReader(header, true).i32(0) == kHeaderSize;
    if (!bigEndian && HeaderReader(header, false).i32(0) != kHeaderSize) {
        if (HeaderReader(header, false).i32(0) == 540 || HeaderReader(header, true).i32(0) == 540)
            throw EngineError(quoted(file) + " is a NIfTI-2 file, which is not supported; save it as NIfTI-1.");
        throw EngineError(quoted(file) + " is not a NIfTI-1 file: its header size field is not 348.");
    }
    const HeaderReader h(header, bigEndian);

    if (std::memcmp(header + 344, "ni1\0", 4) == 0)
        throw EngineError(quoted(file) + " is a two-file NIfTI-1 header (.hdr/.img pair), which is not supported;"
                                         " convert it to a single .nii or .nii.gz file.");
    if (std::memcmp(header + 344, "n+1\0", 4) != 0)
        throw EngineError(quoted(file) + " is not a NIfTI-1 file: its magic string is not \"n+1\".");

    // A 4-D file holding a single volume is common (some tools always write dim[4]).
    const int rank = h.i16(40);
    const int volumes = h.i16(40 + 2 * 4);
    if (rank == 4 && volumes != 1)
        throw EngineError(quoted(file) + " is a 4-D series of " + std::to_string(volumes)
                          + " volumes; only a single 3-D volume is supported.");
    if (rank != 3 && rank != 4)
        throw EngineError(quoted(file) + " is not a 3-D volume: it has " + std::to_string(rank) + " dimensions.");

    NiftiVolume volume;
    std::uint64_t voxelCount = 1;
    for (int axis = 0; axis < 3; ++axis) {
        const int extent = h.i16(40 + 2 * (axis + 1));
        if (extent <= 0)
            throw EngineError(quoted(file) + " has an invalid size of " + std::to_string(extent) + " along axis "
                              + std::to_string(axis + 1) + ".");
        volume.size[static_cast<std::size_t>(axis)] = extent;
        voxelCount *= static_cast<std::uint64_t>(extent);
        // pixdim may be signed or unset; a missing spacing defaults to 1 mm.
        const float spacing = std::fabs(h.f32(76 + 4 * (axis + 1)));
        volume.spacing[static_cast<std::size_t>(axis)] = std::isfinite(spacing) && spacing > 0.0f ? spacing : 1.0f;
    }

    const int code = h.i16(70);
    const auto type = std::find_if(std::begin(kDataTypes), std::end(kDataTypes),
                                   [code](const DataType &t) { return t.code == code; });
    if (type == std::end(kDataTypes))
        throw EngineError(quoted(file) + " has NIfTI datatype " + std::to_string(code)
                          + ", which is not supported (use an integer or float scalar type).");

    const std::uint64_t dataBytes = voxelCount * static_cast<std::uint64_t>(type->bytes);
    if (voxelCount >= kMaxVoxels || dataBytes >= kMaxDataBytes)
        throw EngineError(quoted(file) + " is too large: " + std::to_string(voxelCount) + " voxels of "
                          + type->name + " exceed the 2^31 voxel / 4 GB limit.");

    const float voxOffset = h.f32(108);
    if (!std::isfinite(voxOffset) || voxOffset < kHeaderSize || voxOffset > float(1u << 30)
        || voxOffset != std::floor(voxOffset))
        throw EngineError(quoted(file) + " has an invalid vox_offset of " + std::to_string(voxOffset) + ".");

    // scl_slope 0 (or not a number) means "no scaling" in NIfTI-1.
    double slope = h.f32(112);
    double inter = h.f32(116);
    if (slope == 0.0 || !std::isfinite(slope)) {
        slope = 1.0;
        inter = 0.0;
    } else if (!std::isfinite(inter)) {
        inter = 0.0;
    }

    // Skip extensions between the header and the voxel data.
    std::size_t skip = static_cast<std::size_t>(voxOffset) - kHeaderSize;
    unsigned char discard[4096];
    while (skip > 0) {
        const std::size_t want = std::min(skip, sizeof discard);
        if (stream.read(discard, want) < want)
            throw EngineError(quoted(file) + " is truncated: expected " + std::to_string(dataBytes)
                              + " bytes of voxel data, found 0.");
        skip -= want;
    }

    // Memory follows the data that is there, not what the header claims: a
    // few hundred bytes claiming a billion voxels must not allocate gigabytes.
    // The voxels are reserved up to what the input can hold (deflate expands
    // at most 1032:1), so a complete file is read without reallocating.
    const std::uint64_t rawBound = stream.gzipped() ? std::uint64_t(stream.compressedSize()) * 1032
                                                    : std::uint64_t(stream.compressedSize());
    volume.voxels.reserve(static_cast<std::size_t>(std::min(voxelCount, rawBound / type->bytes)));
    const bool swap = bigEndian != hostIsBigEndian();
    std::vector<unsigned char> chunk(std::min<std::size_t>(voxelCount, kChunkVoxels) * type->bytes);
    std::size_t done = 0;
    while (done < voxelCount) {
        const std::size_t count = std::min<std::size_t>(voxelCount - done, kChunkVoxels);
        const std::size_t want = count * type->bytes;
        const std::size_t got = stream.read(chunk.data(), want);
        if (got < want)
            throw EngineError(quoted(file) + " is truncated: expected " + std::to_string(dataBytes)
                              + " bytes of voxel data, found " + std::to_string(done * type->bytes + got) + ".");
        volume.voxels.resize(done + count);
        convertChunk(code, chunk.data(), count, swap, slope, inter, volume.voxels.data() + done);
        done += count;
    }
    return volume;
}

NiftiVolume readNiftiVolume(const std::filesystem::path &file)
{
    std::error_code error;
    if (!std::filesystem::is_regular_file(file, error))
        throw EngineError(quoted(file.string()) + (std::filesystem::exists(file, error) ? " is not a regular file."
                                                                                        : " does not exist."));
    const std::uintmax_t size = std::filesystem::file_size(file, error);
    if (error)
        throw EngineError(quoted(file.string()) + " cannot be read: " + error.message() + ".");
    if (size > kMaxFileBytes)
        throw EngineError(quoted(file.string()) + " is too large (" + std::to_string(size)
                          + " bytes) to be a volume we accept.");
    std::ifstream in(file, std::ios::binary);
    std::vector<unsigned char> bytes(static_cast<std::size_t>(size));
    in.read(reinterpret_cast<char *>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    if (!in || static_cast<std::uintmax_t>(in.gcount()) != size)
        throw EngineError(quoted(file.string()) + " cannot be opened for reading.");
    return decodeNiftiVolume(bytes, file.string());
}

} // namespace mri
