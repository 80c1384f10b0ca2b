#include "io/NiftiFile.h"

#include "base/EngineError.h"
#include "base/Text.h"
#include "io/AtomicFile.h"

#include <nifti2_io.h>
#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace fs = std::filesystem;

namespace mri {

namespace {

constexpr std::uint64_t kMaxVoxels = std::uint64_t(1) << 31;
constexpr std::size_t kChunkVoxels = std::size_t(1) << 20;
// deflate expands at most about 1032:1: a .nii.gz whose header claims more
// bytes than that cannot hold them.
constexpr std::uint64_t kDeflateRatio = 1032;
constexpr std::size_t kDescripLength = 79;

std::string quoted(const fs::path &file)
{
    return "'" + file.string() + "'";
}

// nifti_clib reports problems on stderr at debug level 1 and above; our
// sentences say what went wrong, once.
void quietNiftiLibrary()
{
    static std::once_flag once;
    std::call_once(once, [] { nifti_set_debug_level(0); });
}

struct NiftiImageDeleter
{
    void operator()(nifti_image *image) const { nifti_image_free(image); }
};
using NiftiImagePtr = std::unique_ptr<nifti_image, NiftiImageDeleter>;

struct GzFileCloser
{
    void operator()(gzFile_s *file) const { gzclose(file); }
};
using GzFilePtr = std::unique_ptr<gzFile_s, GzFileCloser>;

bool endsWith(const std::string &text, const std::string &ending)
{
    if (text.size() < ending.size())
        return false;
    for (std::size_t i = 0; i < ending.size(); ++i) {
        if (std::tolower(static_cast<unsigned char>(text[text.size() - ending.size() + i])) != ending[i])
            return false;
    }
    return true;
}

// ---- datatypes ----------------------------------------------------------------

struct DataTypeInfo
{
    int code;
    int bytes;
    bool integer;
    double low;  // the datatype's range, for clamping on writing
    double high;
};

constexpr DataTypeInfo kDataTypes[] = {
    {DT_UINT8, 1, true, 0.0, 255.0},
    {DT_INT8, 1, true, -128.0, 127.0},
    {DT_INT16, 2, true, -32768.0, 32767.0},
    {DT_UINT16, 2, true, 0.0, 65535.0},
    {DT_INT32, 4, true, -2147483648.0, 2147483647.0},
    {DT_UINT32, 4, true, 0.0, 4294967295.0},
    {DT_INT64, 8, true, -9223372036854775808.0, 9223372036854775807.0},
    {DT_UINT64, 8, true, 0.0, 18446744073709551615.0},
    {DT_FLOAT32, 4, false, -std::numeric_limits<float>::max(), std::numeric_limits<float>::max()},
    {DT_FLOAT64, 8, false, -std::numeric_limits<double>::max(), std::numeric_limits<double>::max()},
};

const DataTypeInfo *dataTypeInfo(int code)
{
    for (const auto &info : kDataTypes) {
        if (info.code == code)
            return &info;
    }
    return nullptr;
}

std::string dataTypeName(int code)
{
    // "NIFTI_TYPE_RGB24", "DT_BINARY" -> "RGB24", "BINARY".
    std::string name = nifti_datatype_to_string(code);
    if (name == "DT_UNKNOWN" || name.empty())
        return "code " + std::to_string(code);
    for (const char *prefix : {"NIFTI_TYPE_", "DT_"}) {
        if (name.rfind(prefix, 0) == 0)
            return name.substr(std::strlen(prefix));
    }
    return name;
}

[[noreturn]] void rejectDataType(const fs::path &file, int code)
{
    switch (code) {
    case DT_RGB24:
    case DT_RGBA32:
        throw EngineError(quoted(file) + " holds colour voxels (" + dataTypeName(code)
                          + "); only single-channel volumes can be read.");
    case DT_COMPLEX64:
    case DT_COMPLEX128:
    case DT_COMPLEX256:
        throw EngineError(quoted(file) + " holds complex voxels (" + dataTypeName(code)
                          + "); only real-valued volumes can be read.");
    default:
        throw EngineError(quoted(file) + " has NIfTI datatype " + dataTypeName(code)
                          + ", which is not supported (use an integer or float scalar type).");
    }
}

template<typename T>
void convertSamples(const unsigned char *raw, std::size_t count, bool swap, double slope, double inter, float *out)
{
    for (std::size_t i = 0; i < count; ++i) {
        unsigned char bytes[sizeof(T)];
        std::memcpy(bytes, raw + i * sizeof(T), sizeof(T));
        if (swap)
            std::reverse(bytes, bytes + sizeof(T));
        T value;
        std::memcpy(&value, bytes, sizeof(T));
        out[i] = static_cast<float>(static_cast<double>(value) * slope + inter);
    }
}

void convertChunk(int code, const unsigned char *raw, std::size_t count, bool swap, double slope, double inter,
                  float *out)
{
    switch (code) {
    case DT_UINT8: convertSamples<std::uint8_t>(raw, count, swap, slope, inter, out); break;
    case DT_INT8: convertSamples<std::int8_t>(raw, count, swap, slope, inter, out); break;
    case DT_INT16: convertSamples<std::int16_t>(raw, count, swap, slope, inter, out); break;
    case DT_UINT16: convertSamples<std::uint16_t>(raw, count, swap, slope, inter, out); break;
    case DT_INT32: convertSamples<std::int32_t>(raw, count, swap, slope, inter, out); break;
    case DT_UINT32: convertSamples<std::uint32_t>(raw, count, swap, slope, inter, out); break;
    case DT_INT64: convertSamples<std::int64_t>(raw, count, swap, slope, inter, out); break;
    case DT_UINT64: convertSamples<std::uint64_t>(raw, count, swap, slope, inter, out); break;
    case DT_FLOAT32: convertSamples<float>(raw, count, swap, slope, inter, out); break;
    case DT_FLOAT64: convertSamples<double>(raw, count, swap, slope, inter, out); break;
    }
}

template<typename T>
void storeSamples(const float *values, std::size_t count, const DataTypeInfo &type, double slope, double inter,
                  void *data)
{
    T *out = static_cast<T *>(data);
    for (std::size_t i = 0; i < count; ++i) {
        double value = (static_cast<double>(values[i]) - inter) / slope;
        if (type.integer) {
            // NaN has no integer; the datatype's limits stand for infinities.
            value = std::isnan(value) ? 0.0 : std::clamp(std::nearbyint(value), type.low, type.high);
            // 2^63 and 2^64 are not representable in the 64-bit types.
            if (type.bytes == 8 && value >= type.high)
                out[i] = std::numeric_limits<T>::max();
            else
                out[i] = static_cast<T>(value);
        } else {
            out[i] = static_cast<T>(value);
        }
    }
}

// `values` in `type`, stored as (value - inter) / slope.
void storeChunk(const DataTypeInfo &type, const float *values, std::size_t count, double slope, double inter,
                void *data)
{
    switch (type.code) {
    case DT_UINT8: storeSamples<std::uint8_t>(values, count, type, slope, inter, data); break;
    case DT_INT8: storeSamples<std::int8_t>(values, count, type, slope, inter, data); break;
    case DT_INT16: storeSamples<std::int16_t>(values, count, type, slope, inter, data); break;
    case DT_UINT16: storeSamples<std::uint16_t>(values, count, type, slope, inter, data); break;
    case DT_INT32: storeSamples<std::int32_t>(values, count, type, slope, inter, data); break;
    case DT_UINT32: storeSamples<std::uint32_t>(values, count, type, slope, inter, data); break;
    case DT_INT64: storeSamples<std::int64_t>(values, count, type, slope, inter, data); break;
    case DT_UINT64: storeSamples<std::uint64_t>(values, count, type, slope, inter, data); break;
    case DT_FLOAT32: storeSamples<float>(values, count, type, slope, inter, data); break;
    case DT_FLOAT64: storeSamples<double>(values, count, type, slope, inter, data); break;
    }
}

// ---- the header ---------------------------------------------------------------

// What the reader needs of the header, from either version and byte order.
struct HeaderFacts
{
    int version = 1;              // 1 or 2
    bool swapped = false;         // stored in the other byte order
    std::int64_t dim[8] = {};
    int datatype = 0;
    std::uint64_t voxOffset = 0;
    double slope = 0.0;
    double inter = 0.0;
    std::uint64_t voxelCount = 0; // nx * ny * nz * nt
    const DataTypeInfo *type = nullptr;
};

// The header bytes as read, and the facts checked from them.
struct CheckedHeader
{
    union {
        nifti_1_header n1;
        nifti_2_header n2;
    } raw; // as stored: nifti_convert_n*hdr2nim swaps it itself
    HeaderFacts facts;
    bool gzipped = false;         // the bytes are gzip-compressed
    std::uint64_t fileBytes = 0;  // on disk
};

bool isGzipFile(const fs::path &file)
{
    FILE *in = std::fopen(file.c_str(), "rb");
    if (!in)
        return false;
    unsigned char magic[2] = {0, 0};
    const bool gzip = std::fread(magic, 1, 2, in) == 2 && magic[0] == 0x1F && magic[1] == 0x8B;
    std::fclose(in);
    return gzip;
}

std::int32_t swapped32(std::int32_t value)
{
    std::uint32_t bits;
    std::memcpy(&bits, &value, 4);
    bits = (bits >> 24) | ((bits >> 8) & 0xFF00u) | ((bits << 8) & 0xFF0000u) | (bits << 24);
    std::memcpy(&value, &bits, 4);
    return value;
}

void checkDimensions(const fs::path &file, HeaderFacts &facts)
{
    const std::int64_t rank = facts.dim[0];
    if (rank < 1 || rank > 7)
        throw EngineError(quoted(file) + " has an invalid NIfTI header: dim[0] (the number of dimensions) is "
                          + std::to_string(rank) + ".");
    for (int axis = 1; axis <= rank; ++axis) {
        if (facts.dim[axis] <= 0)
            throw EngineError(quoted(file) + " has an invalid size of " + std::to_string(facts.dim[axis])
                              + " along dimension " + std::to_string(axis) + ".");
    }
    for (int axis = 5; axis <= rank; ++axis) {
        if (facts.dim[axis] != 1)
            throw EngineError(quoted(file) + " has " + std::to_string(facts.dim[axis]) + " entries along dimension "
                              + std::to_string(axis) + "; only 3-D volumes and 4-D series of volumes can be read.");
    }
    // Dimensions past dim[0] are 1 whatever the header holds there.
    for (int axis = static_cast<int>(rank) + 1; axis < 8; ++axis)
        facts.dim[axis] = 1;
    if (facts.dim[3] == 1 && facts.dim[4] == 1)
        throw EngineError(quoted(file) + " is a 2-D image, not a volume.");
    long double count = 1;
    for (int axis = 1; axis <= 4; ++axis)
        count *= static_cast<long double>(facts.dim[axis]);
    if (count > static_cast<long double>(kMaxVoxels))
        throw EngineError(quoted(file) + " is too large: its header claims " + std::to_string(facts.dim[1]) + " x "
                          + std::to_string(facts.dim[2]) + " x " + std::to_string(facts.dim[3]) + " x "
                          + std::to_string(facts.dim[4]) + " voxels, more than the 2^31 that can be read.");
    facts.voxelCount = static_cast<std::uint64_t>(count);
    // The series' index (x, y, z, t) must fit the volume's int sizes.
    for (int axis = 1; axis <= 4; ++axis) {
        if (facts.dim[axis] > std::numeric_limits<int>::max())
            throw EngineError(quoted(file) + " is too large along dimension " + std::to_string(axis) + ".");
    }
}

// The file as it lies on disk: it exists, is a regular, non-empty file, and a
// gzip-compressed one is named .gz.
void checkFileOnDisk(const fs::path &file, CheckedHeader &header)
{
    std::error_code error;
    const auto status = fs::status(file, error);
    if (!fs::exists(status))
        throw EngineError(quoted(file) + " does not exist.");
    if (!fs::is_regular_file(status))
        throw EngineError(quoted(file) + " is not a regular file.");
    header.fileBytes = fs::file_size(file, error);
    if (error)
        throw EngineError(quoted(file) + " cannot be read: " + error.message() + ".");
    if (header.fileBytes == 0)
        throw EngineError(quoted(file) + " is empty (0 bytes), not a NIfTI file.");
    header.gzipped = isGzipFile(file);
    const bool namedGz = endsWith(file.string(), ".gz");
    if (header.gzipped && !namedGz)
        throw EngineError(quoted(file) + " is gzip-compressed but its name does not end in .gz; name it .nii.gz.");
}

int headerBytesOf(int version)
{
    return version == 1 ? 348 : 540;
}

bool validVoxOffset(float offset)
{
    return std::isfinite(offset) && offset >= 0.0f && offset <= 1e15f;
}

bool validVoxOffset(std::int64_t offset)
{
    return offset >= 0;
}

void swapToNative(nifti_1_header *header)
{
    nifti_swap_as_nifti1(header);
}

void swapToNative(nifti_2_header *header)
{
    nifti_swap_as_nifti2(header);
}

// The facts of a NIfTI-1 or NIfTI-2 header `h` as stored (facts.version and
// facts.swapped already known): the magic of a single file, the sizes, the
// data type, where the data starts and its scaling.
template<typename Header>
void readFacts(const fs::path &file, Header h, HeaderFacts &facts)
{
    if (facts.swapped)
        swapToNative(&h);
    const std::string version = std::to_string(facts.version);
    if (std::memcmp(h.magic, ("ni" + version).c_str(), 4) == 0)
        throw EngineError(quoted(file) + " is the header of a two-file NIfTI pair (.hdr/.img); only single-file .nii and .nii.gz volumes can be read.");
    if (std::memcmp(h.magic, ("n+" + version).c_str(), 4) != 0)
        throw EngineError(quoted(file) + " is not a NIfTI file: its header has no NIfTI-" + version + " magic"
                          + (facts.version == 1 ? " (perhaps ANALYZE 7.5)." : "."));
    for (int i = 0; i < 8; ++i)
        facts.dim[i] = h.dim[i];
    facts.datatype = h.datatype;
    if (!validVoxOffset(h.vox_offset))
        throw EngineError(quoted(file) + " has an invalid NIfTI header: vox_offset is " + std::to_string(h.vox_offset) + ".");
    facts.voxOffset = static_cast<std::uint64_t>(h.vox_offset);
    facts.slope = h.scl_slope;
    facts.inter = h.scl_inter;
}

// The header's bytes (through gzip, which reads plain files as they are) and
// the facts they state.
void readHeader(const fs::path &file, CheckedHeader &header)
{
    GzFilePtr in(gzopen(file.c_str(), "rb"));
    if (!in)
        throw EngineError(quoted(file) + " cannot be opened for reading.");
    unsigned char bytes[sizeof(nifti_2_header)] = {};
    const int got = gzread(in.get(), bytes, sizeof bytes);
    if (got < 0)
        throw EngineError(quoted(file) + " is not a NIfTI file: its gzip data is damaged.");
    if (got < 4)
        throw EngineError(quoted(file) + " is not a NIfTI file: it is shorter than a NIfTI header.");

    std::int32_t sizeofHdr;
    std::memcpy(&sizeofHdr, bytes, 4);
    HeaderFacts &facts = header.facts;
    if (sizeofHdr == 348 || swapped32(sizeofHdr) == 348) {
        facts.version = 1;
        facts.swapped = sizeofHdr != 348;
    } else if (sizeofHdr == 540 || swapped32(sizeofHdr) == 540) {
        facts.version = 2;
        facts.swapped = sizeofHdr != 540;
    } else {
        throw EngineError(quoted(file) + " is not a NIfTI file: it does not start with a NIfTI-1 or NIfTI-2 header.");
    }
    const int headerBytes = headerBytesOf(facts.version);
    if (got < headerBytes)
        throw EngineError(quoted(file) + " is truncated: it ends inside its " + std::to_string(headerBytes)
                          + "-byte NIfTI-" + std::to_string(facts.version) + " header.");

    if (facts.version == 1) {
        std::memcpy(&header.raw.n1, bytes, sizeof(nifti_1_header));
        readFacts(file, header.raw.n1, facts);
    } else {
        std::memcpy(&header.raw.n2, bytes, sizeof(nifti_2_header));
        readFacts(file, header.raw.n2, facts);
    }
}

// A header that claims more data than the file holds: caught here, before
// anything the size of the claim is allocated.
void checkDataFits(const fs::path &file, const CheckedHeader &header)
{
    const HeaderFacts &facts = header.facts;
    const std::uint64_t dataBytes = facts.voxelCount * static_cast<std::uint64_t>(facts.type->bytes);
    const std::uint64_t needed = facts.voxOffset + dataBytes;
    if (!header.gzipped && header.fileBytes < needed)
        throw EngineError(quoted(file) + " is truncated: its header claims " + std::to_string(dataBytes)
                          + " bytes of voxel data from byte " + std::to_string(facts.voxOffset)
                          + ", but the file has only " + std::to_string(header.fileBytes) + " bytes.");
    if (header.gzipped && header.fileBytes * kDeflateRatio < needed)
        throw EngineError(quoted(file) + " is truncated: its header claims " + std::to_string(dataBytes)
                          + " bytes of voxel data, more than its " + std::to_string(header.fileBytes)
                          + " compressed bytes can hold.");
}

// Reads and checks the header before nifti_clib sees the file, so that every
// problem is one sentence and nothing is allocated for sizes the file cannot hold.
CheckedHeader checkHeader(const fs::path &file)
{
    CheckedHeader header;
    checkFileOnDisk(file, header);
    readHeader(file, header);
    HeaderFacts &facts = header.facts;
    checkDimensions(file, facts);
    facts.type = dataTypeInfo(facts.datatype);
    if (!facts.type)
        rejectDataType(file, facts.datatype);
    // vox_offset 0 (allowed by old writers) means "right after the header"; the
    // data never starts inside the header.
    if (facts.voxOffset < static_cast<std::uint64_t>(headerBytesOf(facts.version)))
        facts.voxOffset = facts.version == 1 ? 352 : 544;
    checkDataFits(file, header);
    return header;
}

// The header as nifti_clib's image (transforms, units, intent), without data.
NiftiImagePtr imageOf(const fs::path &file, const CheckedHeader &header)
{
    quietNiftiLibrary();
    nifti_image *image = header.facts.version == 1 ? nifti_convert_n1hdr2nim(header.raw.n1, file.c_str())
                                                   : nifti_convert_n2hdr2nim(header.raw.n2, file.c_str());
    if (!image)
        throw EngineError(quoted(file) + " has a NIfTI header that cannot be interpreted.");
    return NiftiImagePtr(image);
}

// The voxel data, chunk by chunk: memory follows the data that is there.
std::vector<float> readVoxels(const fs::path &file, const CheckedHeader &header)
{
    const HeaderFacts &facts = header.facts;
    double slope = facts.slope;
    double inter = facts.inter;
    if (slope == 0.0 || !std::isfinite(slope)) {
        slope = 1.0;
        inter = 0.0;
    } else if (!std::isfinite(inter)) {
        inter = 0.0;
    }

    GzFilePtr in(gzopen(file.c_str(), "rb"));
    if (!in)
        throw EngineError(quoted(file) + " cannot be opened for reading.");
    gzbuffer(in.get(), 1 << 17);
    const std::uint64_t dataBytes = facts.voxelCount * static_cast<std::uint64_t>(facts.type->bytes);
    const auto truncated = [&](std::uint64_t found) {
        return EngineError(quoted(file) + " is truncated: expected " + std::to_string(dataBytes)
                           + " bytes of voxel data, found " + std::to_string(found) + ".");
    };
    const auto damaged = [&] {
        int code = Z_OK;
        const char *message = gzerror(in.get(), &code);
        // A stream that just ends is truncation, not damage.
        return code == Z_BUF_ERROR || code == Z_OK
                   ? std::string()
                   : quoted(file) + " cannot be read: its gzip data is damaged (" + (message ? message : "zlib error") + ").";
    };
    if (gzseek(in.get(), static_cast<z_off_t>(facts.voxOffset), SEEK_SET) != static_cast<z_off_t>(facts.voxOffset)) {
        const std::string problem = damaged();
        throw problem.empty() ? truncated(0) : EngineError(problem);
    }

    std::vector<float> voxels;
    const std::uint64_t bound = header.gzipped ? header.fileBytes * kDeflateRatio : header.fileBytes;
    voxels.reserve(static_cast<std::size_t>(std::min(facts.voxelCount, bound / facts.type->bytes)));
    const bool swap = facts.swapped;
    std::vector<unsigned char> chunk(static_cast<std::size_t>(std::min<std::uint64_t>(facts.voxelCount, kChunkVoxels))
                                     * facts.type->bytes);
    std::uint64_t done = 0;
    while (done < facts.voxelCount) {
        const std::size_t count = static_cast<std::size_t>(std::min<std::uint64_t>(facts.voxelCount - done, kChunkVoxels));
        const std::size_t want = count * facts.type->bytes;
        const int got = gzread(in.get(), chunk.data(), static_cast<unsigned>(want));
        if (got < 0 || static_cast<std::size_t>(got) < want) {
            const std::string problem = damaged();
            if (!problem.empty())
                throw EngineError(problem);
            throw truncated(done * facts.type->bytes + static_cast<std::uint64_t>(std::max(got, 0)));
        }
        voxels.resize(static_cast<std::size_t>(done) + count);
        convertChunk(facts.datatype, chunk.data(), count, swap, slope, inter, voxels.data() + done);
        done += count;
    }
    return voxels;
}

AxisOrientation orientationOf(int code)
{
    switch (code) {
    case NIFTI_L2R: return {0, 1};
    case NIFTI_R2L: return {0, -1};
    case NIFTI_P2A: return {1, 1};
    case NIFTI_A2P: return {1, -1};
    case NIFTI_I2S: return {2, 1};
    case NIFTI_S2I: return {2, -1};
    }
    return {};
}

bool isScaled(double slope, double inter)
{
    return slope != 0.0 && std::isfinite(slope) && !(slope == 1.0 && (inter == 0.0 || !std::isfinite(inter)));
}

void fillGeometry(ScanVolume &volume, const nifti_image &image)
{
    const double pixdim[3] = {image.dx, image.dy, image.dz};
    for (int axis = 0; axis < 3; ++axis) {
        const double spacing = std::fabs(pixdim[axis]);
        volume.spacing[static_cast<std::size_t>(axis)] = std::isfinite(spacing) && spacing > 0.0 ? spacing : 1.0;
    }
    nifti_dmat44 matrix{};
    if (image.sform_code > 0) {
        matrix = image.sto_xyz;
    } else if (image.qform_code > 0) {
        matrix = image.qto_xyz;
    } else {
        for (int row = 0; row < 3; ++row)
            matrix.m[row][row] = volume.spacing[static_cast<std::size_t>(row)];
        matrix.m[3][3] = 1.0;
    }
    bool finite = true;
    for (int row = 0; row < 3; ++row) {
        for (int column = 0; column < 4; ++column)
            finite = finite && std::isfinite(matrix.m[row][column]);
    }
    if (!finite)
        return; // keep the array-order defaults
    for (int row = 0; row < 3; ++row) {
        for (int column = 0; column < 4; ++column)
            volume.voxelToPatient[static_cast<std::size_t>(row)][static_cast<std::size_t>(column)] = matrix.m[row][column];
    }
    int codes[3] = {0, 0, 0};
    nifti_dmat44_to_orientation(matrix, &codes[0], &codes[1], &codes[2]);
    // A degenerate matrix gives 0s: array order stays.
    if (codes[0] > 0 && codes[1] > 0 && codes[2] > 0) {
        for (int axis = 0; axis < 3; ++axis)
            volume.orientation[static_cast<std::size_t>(axis)] = orientationOf(codes[axis]);
    }
}

// nifti_clib 3.0.1 (Debian 12) writes a single-file NIfTI-2 as a header
// followed by the data over it (it opens the file twice); the header comes
// from nifti_clib, the writing is ours. Extensions are not kept.
void writeNifti2(nifti_image &image, const fs::path &file, const fs::path &target)
{
    image.nifti_type = NIFTI_FTYPE_NIFTI1_1; // nifti_convert_nim2n2hdr's "one file"
    image.iname_offset = 544;
    nifti_2_header header{};
    const int converted = nifti_convert_nim2n2hdr(&image, &header);
    if (converted != 0)
        throw EngineError("Cannot write '" + target.string() + "': nifti_clib cannot make its NIfTI-2 header.");
    std::memcpy(header.magic, "n+2\0\r\n\032\n", 8);
    header.vox_offset = 544;
    const bool compressed = endsWith(file.string(), ".gz");
    GzFilePtr out(gzopen(file.c_str(), compressed ? "wb6" : "wbT"));
    if (!out)
        throw EngineError("Cannot write '" + target.string() + "': the file cannot be created.");
    const char extender[4] = {0, 0, 0, 0};
    const std::size_t dataBytes = static_cast<std::size_t>(image.nvox) * static_cast<std::size_t>(image.nbyper);
    bool written = gzwrite(out.get(), &header, sizeof header) == static_cast<int>(sizeof header)
                   && gzwrite(out.get(), extender, 4) == 4;
    const auto *data = static_cast<const char *>(image.data);
    for (std::size_t done = 0; written && done < dataBytes;) {
        const unsigned count = static_cast<unsigned>(std::min<std::size_t>(dataBytes - done, std::size_t(1) << 30));
        written = gzwrite(out.get(), data + done, count) == static_cast<int>(count);
        done += count;
    }
    if (gzclose(out.release()) != Z_OK || !written)
        throw EngineError("Cannot write '" + target.string() + "': the file was not written completely (is the disk full?).");
}

// Source and target must be distinct files; the temporary keeps the whole
// ending (.nii.gz) so that nifti_clib compresses as the name says.
void writeImage(nifti_image &image, const fs::path &target, int version)
{
    const std::string name = target.filename().string();
    if (!endsWith(name, ".nii") && !endsWith(name, ".nii.gz"))
        throw EngineError("Cannot write '" + target.string() + "': a NIfTI file name must end in .nii or .nii.gz.");
    quietNiftiLibrary();
    writeFileAtomically(target, [&](const fs::path &temporary) {
        // nifti_clib 3.0.1 reads NIfTI-2 files as nifti_type 1 too: the version is the caller's.
        const bool nifti2 = version == 2;
        if (nifti_set_filenames(&image, temporary.c_str(), 0, 1) != 0)
            throw EngineError("Cannot write '" + target.string() + "': nifti_clib does not accept the name.");
        if (nifti2)
            writeNifti2(image, temporary, target);
        else
            nifti_image_write(&image);
        // nifti_image_write reports nothing: read the header back and, for an
        // uncompressed file, check that every byte arrived (disk full).
        std::error_code error;
        if (!fs::exists(temporary, error))
            throw EngineError("Cannot write '" + target.string() + "': the file cannot be created.");
        const auto size = fs::file_size(temporary, error);
        const std::uint64_t expected = static_cast<std::uint64_t>(image.iname_offset)
                                       + static_cast<std::uint64_t>(image.nvox) * static_cast<std::uint64_t>(image.nbyper);
        const bool compressed = endsWith(name, ".gz");
        if (error || (!compressed && size < expected) || size == 0)
            throw EngineError("Cannot write '" + target.string() + "': the file was not written completely (is the disk full?).");
        if (compressed) {
            // gzseek only notes the offset; reading the last byte inflates it all.
            GzFilePtr in(gzopen(temporary.c_str(), "rb"));
            unsigned char last = 0;
            if (!in || gzseek(in.get(), static_cast<z_off_t>(expected - 1), SEEK_SET) < 0
                || gzread(in.get(), &last, 1) != 1)
                throw EngineError("Cannot write '" + target.string() + "': the file was not written completely (is the disk full?).");
        }
    });
}

} // namespace

ScanVolume readNiftiFile(const fs::path &file)
{
    const CheckedHeader header = checkHeader(file);
    const NiftiImagePtr image = imageOf(file, header);
    const HeaderFacts &facts = header.facts;

    ScanVolume volume;
    volume.format = ScanFormat::Nifti;
    volume.source = file;
    volume.size = {static_cast<int>(facts.dim[1]), static_cast<int>(facts.dim[2]), static_cast<int>(facts.dim[3]),
                   static_cast<int>(facts.dim[4])};
    fillGeometry(volume, *image);
    volume.voxels = readVoxels(file, header);

    if (facts.type->integer && !isScaled(facts.slope, facts.inter)) {
        // scikit-image's default data_range: the datatype's span.
        volume.dataRange = facts.type->high - facts.type->low;
    } else {
        float low = std::numeric_limits<float>::infinity();
        float high = -std::numeric_limits<float>::infinity();
        for (const float v : volume.voxels) {
            if (std::isfinite(v)) {
                low = std::min(low, v);
                high = std::max(high, v);
            }
        }
        const double range = static_cast<double>(high) - static_cast<double>(low);
        volume.dataRange = std::isfinite(range) && range > 0.0 ? range : 1.0;
    }
    return volume;
}

namespace {

// The length a gzip file's trailer gives (ISIZE: the last member's
// uncompressed length modulo 2^32); none when the file is too short.
std::optional<std::uint32_t> gzipTrailerLength(const fs::path &file, std::uint64_t fileBytes)
{
    std::ifstream in(file, std::ios::binary);
    unsigned char bytes[4];
    if (fileBytes < 18 || !in.seekg(static_cast<std::streamoff>(fileBytes - 4))
        || !in.read(reinterpret_cast<char *>(bytes), 4))
        return std::nullopt;
    return std::uint32_t{bytes[0]} | (std::uint32_t{bytes[1]} << 8) | (std::uint32_t{bytes[2]} << 16)
        | (std::uint32_t{bytes[3]} << 24);
}

} // namespace

ScanHeader readNiftiHeader(const fs::path &file)
{
    const CheckedHeader header = checkHeader(file);
    const NiftiImagePtr image = imageOf(file, header);
    const HeaderFacts &facts = header.facts;
    if (header.gzipped) {
        // A cut .nii.gz ends in compressed data, not in the trailer that gives
        // the header's length: read through, for the reader's own sentence.
        const std::uint64_t needed = facts.voxOffset + facts.voxelCount * static_cast<std::uint64_t>(facts.type->bytes);
        if (gzipTrailerLength(file, header.fileBytes) != static_cast<std::uint32_t>(needed))
            readVoxels(file, header);
    }

    ScanVolume geometry;
    fillGeometry(geometry, *image);
    ScanHeader result;
    result.format = ScanFormat::Nifti;
    result.source = file;
    result.size = {static_cast<int>(facts.dim[1]), static_cast<int>(facts.dim[2]), static_cast<int>(facts.dim[3]),
                   static_cast<int>(facts.dim[4])};
    result.spacing = geometry.spacing;
    result.bitsAllocated = result.bitsStored = 8 * facts.type->bytes;
    result.dataType = lowerCase(dataTypeName(facts.datatype));
    return result;
}

void writeNiftiLike(const fs::path &sourceFile, const ScanVolume &enhanced, const fs::path &target,
                    const std::string &description)
{
    const CheckedHeader header = checkHeader(sourceFile);
    const HeaderFacts &facts = header.facts;
    const std::array<int, 4> size{static_cast<int>(facts.dim[1]), static_cast<int>(facts.dim[2]),
                                  static_cast<int>(facts.dim[3]), static_cast<int>(facts.dim[4])};
    if (enhanced.size != size || enhanced.voxels.size() != facts.voxelCount)
        throw EngineError("Cannot write '" + target.string() + "': the enhanced volume's size differs from "
                          + quoted(sourceFile) + "'s.");

    // nifti_image_read keeps what the checked conversion drops: extensions.
    quietNiftiLibrary();
    NiftiImagePtr image(nifti_image_read(sourceFile.c_str(), 0));
    if (!image)
        image = imageOf(sourceFile, header);
    if (image->nvox != static_cast<std::int64_t>(facts.voxelCount) || image->datatype != facts.datatype)
        throw EngineError(quoted(sourceFile) + " has a NIfTI header that cannot be interpreted.");

    const bool scaled = image->scl_slope != 0.0 && std::isfinite(image->scl_slope);
    const double slope = scaled ? image->scl_slope : 1.0;
    const double inter = scaled && std::isfinite(image->scl_inter) ? image->scl_inter : 0.0;
    const std::size_t dataBytes = static_cast<std::size_t>(facts.voxelCount) * facts.type->bytes;
    image->data = std::malloc(dataBytes);
    if (!image->data)
        throw EngineError("Cannot write '" + target.string() + "': not enough memory.");
    storeChunk(*facts.type, enhanced.voxels.data(), enhanced.voxels.size(), slope, inter, image->data);

    std::memset(image->descrip, 0, sizeof image->descrip);
    std::strncpy(image->descrip, description.c_str(), kDescripLength);
    writeImage(*image, target, facts.version);
}

void writeNiftiVolume(const ScanVolume &volume, const fs::path &target, const std::string &description, int datatype)
{
    const DataTypeInfo *type = dataTypeInfo(datatype);
    if (!type)
        throw EngineError("Cannot write '" + target.string() + "': NIfTI datatype " + dataTypeName(datatype)
                          + " is not supported.");
    for (const int extent : volume.size) {
        if (extent <= 0)
            throw EngineError("Cannot write '" + target.string() + "': the volume has no voxels.");
    }
    if (volume.voxels.size() != volume.voxelsPerVolume() * static_cast<std::size_t>(volume.size[3]))
        throw EngineError("Cannot write '" + target.string() + "': the volume's voxels do not match its size.");

    quietNiftiLibrary();
    const bool series = volume.size[3] > 1;
    const std::int64_t dims[8] = {series ? 4 : 3, volume.size[0], volume.size[1], volume.size[2],
                                  volume.size[3], 1, 1, 1};
    NiftiImagePtr image(nifti_make_new_nim(dims, datatype, 0));
    if (!image)
        throw EngineError("Cannot write '" + target.string() + "': nifti_clib could not make a header.");
    image->nifti_type = NIFTI_FTYPE_NIFTI1_1;
    image->pixdim[1] = image->dx = volume.spacing[0];
    image->pixdim[2] = image->dy = volume.spacing[1];
    image->pixdim[3] = image->dz = volume.spacing[2];
    image->xyz_units = NIFTI_UNITS_MM;
    image->time_units = series ? NIFTI_UNITS_SEC : NIFTI_UNITS_UNKNOWN;
    image->scl_slope = 0.0;
    image->scl_inter = 0.0;

    nifti_dmat44 matrix{};
    for (int row = 0; row < 3; ++row) {
        for (int column = 0; column < 4; ++column)
            matrix.m[row][column] = volume.voxelToPatient[static_cast<std::size_t>(row)][static_cast<std::size_t>(column)];
    }
    matrix.m[3][3] = 1.0;
    image->sform_code = NIFTI_XFORM_SCANNER_ANAT;
    image->sto_xyz = matrix;
    image->sto_ijk = nifti_dmat44_inverse(matrix);
    image->qform_code = NIFTI_XFORM_SCANNER_ANAT;
    double dx, dy, dz;
    nifti_dmat44_to_quatern(matrix, &image->quatern_b, &image->quatern_c, &image->quatern_d, &image->qoffset_x,
                            &image->qoffset_y, &image->qoffset_z, &dx, &dy, &dz, &image->qfac);
    image->pixdim[0] = image->qfac;
    image->qto_xyz = nifti_quatern_to_dmat44(image->quatern_b, image->quatern_c, image->quatern_d, image->qoffset_x,
                                             image->qoffset_y, image->qoffset_z, image->dx, image->dy, image->dz,
                                             image->qfac);
    image->qto_ijk = nifti_dmat44_inverse(image->qto_xyz);

    image->data = std::malloc(volume.voxels.size() * static_cast<std::size_t>(type->bytes));
    if (!image->data)
        throw EngineError("Cannot write '" + target.string() + "': not enough memory.");
    storeChunk(*type, volume.voxels.data(), volume.voxels.size(), 1.0, 0.0, image->data);
    std::memset(image->descrip, 0, sizeof image->descrip);
    std::strncpy(image->descrip, description.c_str(), kDescripLength);
    writeImage(*image, target, 1);
}

} // namespace mri
