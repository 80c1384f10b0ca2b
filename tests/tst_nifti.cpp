#include "base/EngineError.h"
#include "io/AtomicFile.h"
#include "io/NiftiFile.h"
#include "io/ScanHeader.h"
#include "io/ScanVolume.h"

#include <QTemporaryDir>
#include <QTest>

#include <nifti2_io.h>
#include <zlib.h>

#include <sys/resource.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

using namespace mri;
namespace fs = std::filesystem;

namespace {

// ---- files made with nifti_clib ---------------------------------------------

struct ImageFree
{
    void operator()(nifti_image *image) const { nifti_image_free(image); }
};
using ImagePtr = std::unique_ptr<nifti_image, ImageFree>;

using Matrix = std::array<std::array<double, 4>, 3>;

// A valid file as another program would write it: any datatype, NIfTI-1 or -2,
// scaling, an sform and a qform.
struct Made
{
    int version = 1;
    int datatype = DT_INT16;
    std::array<int, 4> size{5, 4, 3, 1};
    std::array<double, 3> spacing{0.5, 0.75, 2.0};
    double slope = 0.0;
    double inter = 0.0;
    int sformCode = NIFTI_XFORM_ALIGNED_ANAT;
    Matrix sform{{{0.0, 0.0, 0.0, 0.0}}}; // all zero: pixdim diagonal with an offset
    int qformCode = NIFTI_XFORM_SCANNER_ANAT;
    std::vector<double> stored; // the values as stored, x fastest
};

Matrix defaultSform(const Made &made)
{
    return {{{made.spacing[0], 0.0, 0.0, -10.0}, {0.0, made.spacing[1], 0.0, 20.5}, {0.0, 0.0, made.spacing[2], -30.25}}};
}

void writeBytes(const fs::path &file, const std::string &bytes, bool gzipped);

template<typename T>
void fill(void *data, const std::vector<double> &values)
{
    T *out = static_cast<T *>(data);
    for (std::size_t i = 0; i < values.size(); ++i)
        out[i] = static_cast<T>(values[i]);
}

void makeFile(const fs::path &file, Made made)
{
    const bool series = made.size[3] > 1;
    const int64_t dims[8] = {series ? 4 : 3, made.size[0], made.size[1], made.size[2], made.size[3], 1, 1, 1};
    ImagePtr image(nifti_make_new_nim(dims, made.datatype, 1));
    QVERIFY(image);
    image->nifti_type = made.version == 2 ? NIFTI_FTYPE_NIFTI2_1 : NIFTI_FTYPE_NIFTI1_1;
    image->pixdim[1] = image->dx = made.spacing[0];
    image->pixdim[2] = image->dy = made.spacing[1];
    image->pixdim[3] = image->dz = made.spacing[2];
    if (series)
        image->pixdim[4] = image->dt = 2.5;
    image->xyz_units = NIFTI_UNITS_MM;
    image->time_units = NIFTI_UNITS_SEC;
    image->intent_code = NIFTI_INTENT_ESTIMATE;
    image->scl_slope = made.slope;
    image->scl_inter = made.inter;
    image->cal_max = 100.0f;
    if (made.sform[0][0] == 0.0 && made.sform[1][1] == 0.0)
        made.sform = defaultSform(made);
    image->sform_code = made.sformCode;
    for (int r = 0; r < 3; ++r)
        for (int c = 0; c < 4; ++c)
            image->sto_xyz.m[r][c] = made.sform[r][c];
    image->sto_xyz.m[3][3] = 1.0;
    image->sto_ijk = nifti_dmat44_inverse(image->sto_xyz);
    // A qform different from the sform: a rotation of 30 degrees about z.
    image->qform_code = made.qformCode;
    image->quatern_b = 0.0;
    image->quatern_c = 0.0;
    image->quatern_d = std::sin(M_PI / 12.0);
    image->qoffset_x = 1.5;
    image->qoffset_y = -2.5;
    image->qoffset_z = 3.5;
    image->qfac = 1.0;
    image->pixdim[0] = 1.0;
    image->qto_xyz = nifti_quatern_to_dmat44(image->quatern_b, image->quatern_c, image->quatern_d, image->qoffset_x,
                                             image->qoffset_y, image->qoffset_z, image->dx, image->dy, image->dz, 1.0);
    QCOMPARE(made.stored.size(), std::size_t(image->nvox));
    switch (made.datatype) {
    case DT_UINT8: fill<std::uint8_t>(image->data, made.stored); break;
    case DT_INT8: fill<std::int8_t>(image->data, made.stored); break;
    case DT_INT16: fill<std::int16_t>(image->data, made.stored); break;
    case DT_UINT16: fill<std::uint16_t>(image->data, made.stored); break;
    case DT_INT32: fill<std::int32_t>(image->data, made.stored); break;
    case DT_UINT32: fill<std::uint32_t>(image->data, made.stored); break;
    case DT_FLOAT32: fill<float>(image->data, made.stored); break;
    case DT_FLOAT64: fill<double>(image->data, made.stored); break;
    default: QFAIL("datatype not made by the test");
    }
    QCOMPARE(nifti_set_filenames(image.get(), file.c_str(), 0, 1), 0);
    if (made.version == 1) {
        nifti_image_write(image.get());
    } else {
        // nifti_clib 3.0.1 writes a single-file NIfTI-2's data over its
        // header: its header, written here.
        image->iname_offset = 544;
        nifti_2_header header{};
        QCOMPARE(nifti_convert_nim2n2hdr(image.get(), &header), 0);
        std::memcpy(header.magic, "n+2\0\r\n\032\n", 8);
        header.vox_offset = 544;
        std::string bytes(reinterpret_cast<const char *>(&header), sizeof header);
        bytes.append(4, '\0');
        bytes.append(static_cast<const char *>(image->data), std::size_t(image->nvox) * image->nbyper);
        writeBytes(file, bytes, file.extension() == ".gz");
    }
    QVERIFY(fs::exists(file));
}

std::vector<double> ramp(std::size_t count, double first, double step)
{
    std::vector<double> values(count);
    for (std::size_t i = 0; i < count; ++i)
        values[i] = first + step * static_cast<double>(i);
    return values;
}

double storedAt(const nifti_image &image, std::size_t i)
{
    switch (image.datatype) {
    case DT_UINT8: return static_cast<const std::uint8_t *>(image.data)[i];
    case DT_INT8: return static_cast<const std::int8_t *>(image.data)[i];
    case DT_INT16: return static_cast<const std::int16_t *>(image.data)[i];
    case DT_UINT16: return static_cast<const std::uint16_t *>(image.data)[i];
    case DT_INT32: return static_cast<const std::int32_t *>(image.data)[i];
    case DT_UINT32: return static_cast<const std::uint32_t *>(image.data)[i];
    case DT_FLOAT32: return static_cast<const float *>(image.data)[i];
    case DT_FLOAT64: return static_cast<const double *>(image.data)[i];
    }
    return NAN;
}

// ---- raw NIfTI-1 bytes, to break one field at a time ------------------------

struct NiftiSpec
{
    std::array<std::int16_t, 8> dim{3, 4, 3, 2, 1, 1, 1, 1};
    std::array<float, 3> spacing{0.5f, 0.75f, 2.0f};
    std::int16_t datatype = 2;
    std::int16_t bitpix = 8;
    float voxOffset = 352.0f;
    float slope = 0.0f;
    float inter = 0.0f;
    std::string magic{"n+1\0", 4};
    bool bigEndian = false;
    bool gzipped = false;
    std::vector<double> values;                // stored values, x fastest
    std::size_t dataBytes = std::string::npos; // cut the voxel data short
};

class ByteWriter
{
public:
    explicit ByteWriter(bool bigEndian) : m_bigEndian(bigEndian) {}

    template<typename T>
    void put(T value)
    {
        unsigned char bytes[sizeof(T)];
        std::memcpy(bytes, &value, sizeof(T));
        // Test hosts are little-endian (x86-64, arm64).
        if (m_bigEndian)
            std::reverse(bytes, bytes + sizeof(T));
        m_bytes.insert(m_bytes.end(), bytes, bytes + sizeof(T));
    }
    template<typename T>
    void putAt(std::size_t offset, T value)
    {
        ByteWriter one(m_bigEndian);
        one.put(value);
        std::copy(one.m_bytes.begin(), one.m_bytes.end(), m_bytes.begin() + static_cast<std::ptrdiff_t>(offset));
    }
    std::string &bytes() { return m_bytes; }

private:
    bool m_bigEndian;
    std::string m_bytes;
};

std::string encode(const NiftiSpec &spec)
{
    ByteWriter w(spec.bigEndian);
    w.bytes().assign(348, '\0');
    w.putAt<std::int32_t>(0, 348);
    for (int i = 0; i < 8; ++i)
        w.putAt<std::int16_t>(40 + 2 * i, spec.dim[static_cast<std::size_t>(i)]);
    w.putAt<std::int16_t>(70, spec.datatype);
    w.putAt<std::int16_t>(72, spec.bitpix);
    w.putAt<float>(76, 1.0f);
    for (int i = 0; i < 3; ++i)
        w.putAt<float>(80 + 4 * i, spec.spacing[static_cast<std::size_t>(i)]);
    w.putAt<float>(108, spec.voxOffset);
    w.putAt<float>(112, spec.slope);
    w.putAt<float>(116, spec.inter);
    std::memcpy(w.bytes().data() + 344, spec.magic.data(), std::min<std::size_t>(4, spec.magic.size()));
    // Extension area up to vox_offset: a non-zero pattern the reader must skip.
    w.bytes().resize(static_cast<std::size_t>(std::max(348.0f, spec.voxOffset)), '\x5a');

    const std::size_t headerEnd = w.bytes().size();
    for (const double v : spec.values) {
        switch (spec.datatype) {
        case 2: w.put(static_cast<std::uint8_t>(v)); break;
        case 256: w.put(static_cast<std::int8_t>(v)); break;
        case 4: w.put(static_cast<std::int16_t>(v)); break;
        case 512: w.put(static_cast<std::uint16_t>(v)); break;
        case 8: w.put(static_cast<std::int32_t>(v)); break;
        case 768: w.put(static_cast<std::uint32_t>(v)); break;
        case 16: w.put(static_cast<float>(v)); break;
        case 64: w.put(v); break;
        default: w.put(static_cast<std::uint8_t>(v)); break;
        }
    }
    if (spec.dataBytes != std::string::npos)
        w.bytes().resize(headerEnd + spec.dataBytes);
    return w.bytes();
}

void writeBytes(const fs::path &file, const std::string &bytes, bool gzipped)
{
    // "wbT" writes a plain file through the same zlib API.
    gzFile out = gzopen(file.c_str(), gzipped ? "wb" : "wbT");
    QVERIFY(out != nullptr);
    QCOMPARE(gzwrite(out, bytes.data(), static_cast<unsigned>(bytes.size())), static_cast<int>(bytes.size()));
    QCOMPARE(gzclose(out), Z_OK);
}

void writeNifti(const fs::path &file, const NiftiSpec &spec)
{
    writeBytes(file, encode(spec), spec.gzipped);
}

std::string readAll(const fs::path &file)
{
    std::ifstream in(file, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

} // namespace

class TestNifti : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void roundTrips_data();
    void roundTrips();
    void writerRoundsAndClamps();
    void writerRejectsAnotherSize();
    void orientationFollowsAnObliquePermutedSform();
    void transformFallsBackToQformThenPixdim();
    void writesNewVolumes_data();
    void writesNewVolumes();
    void readsBigEndianAndExtensions();
    void rejectsBadInput_data();
    void rejectsBadInput();
    void rejectsBadNifti2Headers();
    void truncatedDataDoesNotAllocateTheClaimedSize();
    void temporariesKeepTheWholeEnding();
    void readsColin27Template();

private:
    fs::path path(const std::string &name) const;
    void expectError(const fs::path &file, const QString &fragment);

    QTemporaryDir m_dir;
};

fs::path TestNifti::path(const std::string &name) const
{
    return fs::path(m_dir.path().toStdString()) / name;
}

void TestNifti::expectError(const fs::path &file, const QString &fragment)
{
    try {
        readNiftiFile(file);
        QFAIL(qPrintable("readNiftiFile did not throw for " + QString::fromStdString(file.string())));
    } catch (const EngineError &error) {
        const QString message = QString::fromStdString(error.what());
        QVERIFY2(message.contains(QString::fromStdString("'" + file.string() + "'")), qPrintable(message));
        QVERIFY2(message.contains(fragment), qPrintable(message + " -- expected: " + fragment));
        // One sentence.
        QVERIFY2(message.endsWith('.') && !message.contains('\n'), qPrintable(message));
        // The header read (opening a dataset) finds it too, in the same sentence.
        QString fromHeader = QStringLiteral("no error");
        try {
            readScanHeader(file);
        } catch (const EngineError &headerError) {
            fromHeader = QString::fromStdString(headerError.what());
        }
        QCOMPARE(fromHeader, message);
    }
}

void TestNifti::initTestCase()
{
    QVERIFY(m_dir.isValid());
    nifti_set_debug_level(0);
}

void TestNifti::roundTrips_data()
{
    QTest::addColumn<int>("version");
    QTest::addColumn<int>("datatype");
    QTest::addColumn<int>("frames");
    QTest::addColumn<bool>("gzipped");
    QTest::addColumn<double>("slope");
    QTest::addColumn<double>("inter");
    QTest::addColumn<double>("first");
    QTest::addColumn<double>("step");
    QTest::addColumn<double>("dataRange"); // 0: max - min of the voxels

    QTest::newRow("uint8 3-D n1 .nii") << 1 << int(DT_UINT8) << 1 << false << 0.0 << 0.0 << 3.0 << 4.0 << 255.0;
    QTest::newRow("uint8 4-D n2 .nii.gz") << 2 << int(DT_UINT8) << 3 << true << 0.0 << 0.0 << 250.0 << -1.0 << 255.0;
    QTest::newRow("int8 3-D n1 .nii.gz") << 1 << int(DT_INT8) << 1 << true << 0.0 << 0.0 << -100.0 << 3.0 << 255.0;
    QTest::newRow("int16 scaled 3-D n1 .nii.gz") << 1 << int(DT_INT16) << 1 << true << 2.0 << -10.0 << -1200.0 << 37.0 << 0.0;
    QTest::newRow("int16 scaled 4-D n2 .nii") << 2 << int(DT_INT16) << 2 << false << 2.0 << -10.0 << 500.0 << -13.0 << 0.0;
    QTest::newRow("int16 3-D n2 .nii") << 2 << int(DT_INT16) << 1 << false << 0.0 << 0.0 << -3000.0 << 257.0 << 65535.0;
    QTest::newRow("uint16 3-D n1 .nii") << 1 << int(DT_UINT16) << 1 << false << 0.0 << 0.0 << 60000.0 << -900.0 << 65535.0;
    QTest::newRow("uint16 4-D n2 .nii.gz") << 2 << int(DT_UINT16) << 2 << true << 1.0 << 0.0 << 7.0 << 501.0 << 65535.0;
    QTest::newRow("int32 3-D n1 .nii.gz") << 1 << int(DT_INT32) << 1 << true << 0.0 << 0.0 << -100000.0 << 12345.0 << 4294967295.0;
    QTest::newRow("uint32 3-D n2 .nii") << 2 << int(DT_UINT32) << 1 << false << 0.0 << 0.0 << 3000000000.0 << 1024.0 << 4294967295.0;
    QTest::newRow("float32 3-D n1 .nii") << 1 << int(DT_FLOAT32) << 1 << false << 0.0 << 0.0 << -1.5 << 0.25 << 0.0;
    QTest::newRow("float32 scaled 4-D n2 .nii.gz") << 2 << int(DT_FLOAT32) << 2 << true << 0.5 << 10.0 << -1.5 << 0.25 << 0.0;
    QTest::newRow("float64 4-D n1 .nii.gz") << 1 << int(DT_FLOAT64) << 3 << true << 0.0 << 0.0 << 1e-3 << 0.5 << 0.0;
    QTest::newRow("float64 3-D n2 .nii") << 2 << int(DT_FLOAT64) << 1 << false << 0.0 << 0.0 << 1e5 << -333.25 << 0.0;
}

// A file made with nifti_clib reads back exactly; writeNiftiLike keeps its
// header and stores the enhanced values.
void TestNifti::roundTrips()
{
    QFETCH(int, version);
    QFETCH(int, datatype);
    QFETCH(int, frames);
    QFETCH(bool, gzipped);
    QFETCH(double, slope);
    QFETCH(double, inter);
    QFETCH(double, first);
    QFETCH(double, step);
    QFETCH(double, dataRange);

    Made made;
    made.version = version;
    made.datatype = datatype;
    made.size = {5, 4, 3, frames};
    made.slope = slope;
    made.inter = inter;
    made.stored = ramp(std::size_t(5 * 4 * 3 * frames), first, step);
    const std::string ending = gzipped ? ".nii.gz" : ".nii";
    const fs::path source = path(QString(QTest::currentDataTag()).remove(".nii.gz").remove(".nii").replace(QChar(' '), QChar('_')).toStdString() + ending);
    makeFile(source, made);

    const ScanVolume volume = readNiftiFile(source);
    QCOMPARE(volume.format, ScanFormat::Nifti);
    QCOMPARE(volume.source, source);
    QCOMPARE(volume.size, (std::array<int, 4>{5, 4, 3, frames}));
    QCOMPARE(volume.spacing, (std::array<double, 3>{0.5, 0.75, 2.0}));
    // The header alone gives the same size and spacing, and the datatype.
    const ScanHeader header = readScanHeader(source);
    QCOMPARE(header.format, ScanFormat::Nifti);
    QCOMPARE(header.source, source);
    QCOMPARE(header.size, volume.size);
    QCOMPARE(header.spacing, volume.spacing);
    struct Type
    {
        int code;
        const char *name;
        int bits;
    };
    const Type types[] = {{DT_UINT8, "uint8", 8},    {DT_INT8, "int8", 8},       {DT_INT16, "int16", 16},
                          {DT_UINT16, "uint16", 16}, {DT_INT32, "int32", 32},    {DT_UINT32, "uint32", 32},
                          {DT_FLOAT32, "float32", 32}, {DT_FLOAT64, "float64", 64}};
    const auto type = std::find_if(std::begin(types), std::end(types), [&](const Type &t) { return t.code == datatype; });
    QVERIFY(type != std::end(types));
    QCOMPARE(header.dataType, std::string(type->name));
    QCOMPARE(header.bitsAllocated, type->bits);
    const Matrix sform = defaultSform(made);
    for (int r = 0; r < 3; ++r)
        for (int c = 0; c < 4; ++c)
            QCOMPARE(volume.voxelToPatient[r][c], static_cast<double>(static_cast<float>(sform[r][c])));
    for (int axis = 0; axis < 3; ++axis) {
        QCOMPARE(volume.orientation[axis].patientAxis, axis);
        QCOMPARE(volume.orientation[axis].sign, 1);
    }
    const bool scaled = slope != 0.0;
    QCOMPARE(volume.voxels.size(), made.stored.size());
    float low = INFINITY, high = -INFINITY;
    for (std::size_t i = 0; i < made.stored.size(); ++i) {
        const double typed = datatype == DT_FLOAT32 ? static_cast<double>(static_cast<float>(made.stored[i])) : made.stored[i];
        const float expected = static_cast<float>(scaled ? typed * slope + inter : typed);
        QVERIFY2(volume.voxels[i] == expected,
                 qPrintable(QString("voxel %1: %2, expected %3").arg(i).arg(volume.voxels[i]).arg(expected)));
        low = std::min(low, expected);
        high = std::max(high, expected);
    }
    QCOMPARE(volume.dataRange, dataRange != 0.0 ? dataRange : double(high) - double(low));
    QCOMPARE(volume.at(1, 2, 1, frames - 1), volume.voxels[((std::size_t(frames - 1) * 3 + 1) * 4 + 2) * 5 + 1]);

    // "Enhanced": every voxel moved by one step of the stored values.
    ScanVolume enhanced = volume;
    for (std::size_t i = 0; i < enhanced.voxels.size(); ++i) {
        const double typed = datatype == DT_FLOAT32 ? static_cast<double>(static_cast<float>(made.stored[i])) : made.stored[i];
        const double shifted = (i % 2 == 0 && i > 0) ? made.stored[i - 1] : typed; // another stored value
        enhanced.voxels[i] = static_cast<float>(scaled ? shifted * slope + inter : shifted);
    }
    const fs::path target = path("out-" + source.stem().string() + "/enhanced_" + source.filename().string());
    writeNiftiLike(source, enhanced, target, "enhanced by tst_nifti");
    QVERIFY(fs::exists(target));
    if (gzipped)
        QCOMPARE(static_cast<unsigned char>(readAll(target)[0]), 0x1Fu);
    // No temporary left behind.
    int files = 0;
    for (const auto &entry : fs::directory_iterator(target.parent_path())) {
        (void)entry;
        ++files;
    }

    ImagePtr original(nifti_image_read(source.c_str(), 1));
    ImagePtr written(nifti_image_read(target.c_str(), 1));
    QVERIFY(original && written);
    // The version: sizeof_hdr (nifti_clib 3.0.1 reads both as nifti_type 1).
    const auto headerSize = [](const fs::path &file) {
        gzFile in = gzopen(file.c_str(), "rb");
        std::int32_t size = 0;
        gzread(in, &size, 4);
        gzclose(in);
        return size;
    };
    QCOMPARE(headerSize(source), version == 2 ? 540 : 348);
    QCOMPARE(headerSize(target), headerSize(source));
    QCOMPARE(written->nifti_type, original->nifti_type);
    for (int i = 0; i < 8; ++i) {
        QCOMPARE(written->dim[i], original->dim[i]);
        QCOMPARE(written->pixdim[i], original->pixdim[i]);
    }
    QCOMPARE(written->datatype, datatype);
    QCOMPARE(written->scl_slope, original->scl_slope);
    QCOMPARE(written->scl_inter, original->scl_inter);
    QCOMPARE(written->qform_code, original->qform_code);
    QCOMPARE(written->sform_code, original->sform_code);
    QCOMPARE(written->quatern_b, original->quatern_b);
    QCOMPARE(written->quatern_c, original->quatern_c);
    QCOMPARE(written->quatern_d, original->quatern_d);
    QCOMPARE(written->qoffset_x, original->qoffset_x);
    QCOMPARE(written->qoffset_y, original->qoffset_y);
    QCOMPARE(written->qoffset_z, original->qoffset_z);
    QCOMPARE(written->qfac, original->qfac);
    for (int r = 0; r < 4; ++r)
        for (int c = 0; c < 4; ++c) {
            QCOMPARE(written->sto_xyz.m[r][c], original->sto_xyz.m[r][c]);
            QCOMPARE(written->qto_xyz.m[r][c], original->qto_xyz.m[r][c]);
        }
    QCOMPARE(written->xyz_units, original->xyz_units);
    QCOMPARE(written->time_units, original->time_units);
    QCOMPARE(written->intent_code, original->intent_code);
    QCOMPARE(written->cal_max, original->cal_max);
    QCOMPARE(QString(written->descrip), QString("enhanced by tst_nifti"));
    const bool floating = datatype == DT_FLOAT32 || datatype == DT_FLOAT64;
    for (std::size_t i = 0; i < made.stored.size(); ++i) {
        // Floats store the enhanced float as it is (through the scaling), integers the exact stored value.
        const double fromFloat = (double(enhanced.voxels[i]) - (scaled ? inter : 0.0)) / (scaled ? slope : 1.0);
        const double expected = floating ? (datatype == DT_FLOAT32 ? double(float(fromFloat)) : fromFloat)
                                         : (i % 2 == 0 && i > 0) ? storedAt(*original, i - 1) : made.stored[i];
        QVERIFY2(storedAt(*written, i) == expected,
                 qPrintable(QString("stored %1: %2, expected %3").arg(i).arg(storedAt(*written, i)).arg(expected)));
    }
    // And our reader reads back the enhanced values.
    const ScanVolume reread = readNiftiFile(target);
    QVERIFY(reread.voxels == enhanced.voxels);
    fs::remove_all(target.parent_path());
    QCOMPARE(files, 1);
}

void TestNifti::writerRoundsAndClamps()
{
    Made made;
    made.datatype = DT_UINT8;
    made.size = {3, 2, 2, 1};
    made.stored = ramp(12, 10.0, 1.0);
    const auto source = path("clamp.nii");
    makeFile(source, made);
    ScanVolume volume = readNiftiFile(source);
    volume.voxels = {-5.0f, 3.4f, 3.6f, 300.0f, NAN, INFINITY, -INFINITY, 254.5f, 0.49f, 7.0f, 8.0f, 9.0f};
    const auto target = path("clamp-out.nii");
    const std::string longText(100, 'd');
    writeNiftiLike(source, volume, target, longText);
    ImagePtr written(nifti_image_read(target.c_str(), 1));
    QVERIFY(written);
    const double expected[] = {0, 3, 4, 255, 0, 255, 0, 254, 0, 7, 8, 9};
    for (std::size_t i = 0; i < 12; ++i)
        QCOMPARE(storedAt(*written, i), expected[i]);
    QCOMPARE(std::string(written->descrip), std::string(79, 'd'));

    // Scaled int16: (v - inter) / slope, rounded.
    made.datatype = DT_INT16;
    made.slope = 2.0;
    made.inter = -10.0;
    const auto scaledSource = path("clamp-scaled.nii.gz");
    makeFile(scaledSource, made);
    volume = readNiftiFile(scaledSource);
    volume.voxels = {-10.0f, -7.0f, -6.9f, 1e9f, -1e9f, 0.0f, 1.0f, 2.0f, 3.0f, 4.0f, 5.0f, 6.0f};
    const auto scaledTarget = path("clamp-scaled-out.nii.gz");
    writeNiftiLike(scaledSource, volume, scaledTarget, "");
    ImagePtr scaled(nifti_image_read(scaledTarget.c_str(), 1));
    QVERIFY(scaled);
    const double expectedScaled[] = {0, 2, 2, 32767, -32768, 5, 6, 6, 6, 7, 8, 8};
    for (std::size_t i = 0; i < 12; ++i)
        QCOMPARE(storedAt(*scaled, i), expectedScaled[i]);
}

void TestNifti::writerRejectsAnotherSize()
{
    Made made;
    made.stored = ramp(60, 0.0, 1.0);
    const auto source = path("size-source.nii");
    makeFile(source, made);
    ScanVolume volume = readNiftiFile(source);
    volume.size[0] = 4;
    volume.voxels.resize(48);
    const auto target = path("size-target.nii");
    try {
        writeNiftiLike(source, volume, target, "");
        QFAIL("writeNiftiLike accepted a volume of another size");
    } catch (const EngineError &error) {
        QVERIFY2(QString(error.what()).contains(QString::fromStdString(target.string())), error.what());
    }
    QVERIFY(!fs::exists(target));
    // A target whose folder cannot be made: one sentence naming it, no file.
    const auto blocked = path("a-file.nii") / "enhanced.nii.gz";
    std::ofstream(path("a-file.nii")) << "x";
    volume = readNiftiFile(source);
    try {
        writeNiftiLike(source, volume, blocked, "");
        QFAIL("writeNiftiLike wrote below a file");
    } catch (const EngineError &error) {
        QVERIFY2(QString(error.what()).contains(QString::fromStdString(blocked.string())), error.what());
    }
    try {
        writeNiftiLike(path("no-such-source.nii"), volume, target, "");
        QFAIL("writeNiftiLike accepted a missing source");
    } catch (const EngineError &error) {
        QVERIFY2(QString(error.what()).contains("no-such-source.nii"), error.what());
    }
}

// Array axes stored as L-S-P (x towards the left, y up, z backwards), obliquely
// tilted by 10 degrees: each axis finds its nearest patient axis and sign, and
// an axial slice is cut across y whatever the array order.
void TestNifti::orientationFollowsAnObliquePermutedSform()
{
    Made made;
    made.datatype = DT_FLOAT32;
    made.size = {6, 5, 4, 1};
    made.spacing = {1.0, 2.0, 3.0};
    const double c = std::cos(10.0 * M_PI / 180.0), s = std::sin(10.0 * M_PI / 180.0);
    // Columns: x -> (-c, s, 0) * 1, y -> (0, 0, 1) * 2 tilted, z -> (-s, -c, 0) * 3.
    made.sform = {{{-c * 1.0, 0.0, -s * 3.0, 40.0}, {s * 1.0, 0.0, -c * 3.0, 50.0}, {0.0, 2.0, 0.0, -60.0}}};
    made.stored = ramp(120, 0.0, 1.0);
    const auto file = path("lsp.nii.gz");
    makeFile(file, made);
    const ScanVolume volume = readNiftiFile(file);
    QCOMPARE(volume.orientation[0].patientAxis, 0);
    QCOMPARE(volume.orientation[0].sign, -1);
    QCOMPARE(volume.orientation[1].patientAxis, 2);
    QCOMPARE(volume.orientation[1].sign, 1);
    QCOMPARE(volume.orientation[2].patientAxis, 1);
    QCOMPARE(volume.orientation[2].sign, -1);
    QCOMPARE(volume.voxelToPatient[0][2], static_cast<double>(static_cast<float>(-s * 3.0)));

    // Axial: slices along y (5), rows along z (4, anterior up), columns along x (6, right on the right).
    QCOMPARE(sliceCountOf(volume, SlicePlane::Axial), 5);
    const cv::Mat axial = extractSlice(volume, SlicePlane::Axial, 1);
    QCOMPARE(axial.rows, 4);
    QCOMPARE(axial.cols, 6);
    // Row 0 is the most anterior z (0), column 0 the patient's left (x = 5).
    QCOMPARE(axial.at<float>(0, 0), volume.at(5, 1, 0));
    QCOMPARE(axial.at<float>(3, 5), volume.at(0, 1, 3));
    QCOMPARE(sliceCountOf(volume, SlicePlane::Sagittal), 6);
    QCOMPARE(sliceCountOf(volume, SlicePlane::Coronal), 4);
}

void TestNifti::transformFallsBackToQformThenPixdim()
{
    Made made;
    made.stored = ramp(60, 0.0, 1.0);
    made.sformCode = 0;
    const auto qformOnly = path("qform.nii");
    makeFile(qformOnly, made);
    ImagePtr image(nifti_image_read(qformOnly.c_str(), 0));
    QVERIFY(image);
    const ScanVolume volume = readNiftiFile(qformOnly);
    for (int r = 0; r < 3; ++r)
        for (int c = 0; c < 4; ++c)
            QCOMPARE(volume.voxelToPatient[r][c], image->qto_xyz.m[r][c]);
    // 30 degrees about z: x still nearest R, y nearest A.
    QCOMPARE(volume.orientation[0].patientAxis, 0);
    QCOMPARE(volume.orientation[1].patientAxis, 1);

    made.qformCode = 0;
    const auto none = path("no-transform.nii");
    makeFile(none, made);
    const ScanVolume plain = readNiftiFile(none);
    const Matrix diagonal{{{0.5, 0, 0, 0}, {0, 0.75, 0, 0}, {0, 0, 2.0, 0}}};
    QCOMPARE(plain.voxelToPatient, diagonal);
}

void TestNifti::writesNewVolumes_data()
{
    QTest::addColumn<int>("datatype");
    QTest::addColumn<int>("frames");
    QTest::addColumn<QString>("ending");
    QTest::newRow("int16 3-D .nii.gz") << kNiftiInt16 << 1 << ".nii.gz";
    QTest::newRow("uint8 4-D .nii") << kNiftiUInt8 << 2 << ".nii";
    QTest::newRow("float32 3-D .nii") << kNiftiFloat32 << 1 << ".nii";
    QTest::newRow("uint16 4-D .nii.gz") << kNiftiUInt16 << 3 << ".nii.gz";
}

void TestNifti::writesNewVolumes()
{
    QFETCH(int, datatype);
    QFETCH(int, frames);
    QFETCH(QString, ending);
    ScanVolume volume;
    volume.size = {7, 6, 5, frames};
    volume.spacing = {0.9, 1.1, 2.5};
    // Axes L, P, S with an offset: a pure rotation, so the qform holds it too.
    volume.voxelToPatient = {{{-0.9, 0, 0, 30}, {0, -1.1, 0, 40}, {0, 0, 2.5, -20}}};
    volume.voxels.resize(volume.voxelsPerVolume() * frames);
    for (std::size_t i = 0; i < volume.voxels.size(); ++i)
        volume.voxels[i] = static_cast<float>(i % 200);
    const auto target = path("new" + std::to_string(datatype) + ending.toStdString());
    writeNiftiVolume(volume, target, "made by tst_nifti", datatype);

    ImagePtr image(nifti_image_read(target.c_str(), 1));
    QVERIFY(image);
    QCOMPARE(image->nifti_type, NIFTI_FTYPE_NIFTI1_1);
    QCOMPARE(image->datatype, datatype);
    QCOMPARE(image->ndim, frames > 1 ? 4 : 3);
    QCOMPARE(image->sform_code, NIFTI_XFORM_SCANNER_ANAT);
    QCOMPARE(image->qform_code, NIFTI_XFORM_SCANNER_ANAT);
    QCOMPARE(image->xyz_units, NIFTI_UNITS_MM);
    QCOMPARE(QString(image->descrip), QString("made by tst_nifti"));
    for (int r = 0; r < 3; ++r)
        for (int c = 0; c < 4; ++c) {
            QCOMPARE(image->sto_xyz.m[r][c], double(float(volume.voxelToPatient[r][c])));
            QVERIFY(std::fabs(image->qto_xyz.m[r][c] - volume.voxelToPatient[r][c]) < 1e-5);
        }
    const ScanVolume reread = readNiftiFile(target);
    QCOMPARE(reread.size, volume.size);
    QCOMPARE(reread.spacing[0], double(float(0.9)));
    QVERIFY(reread.voxels == volume.voxels);
    QCOMPARE(reread.orientation[0].sign, -1);
    QCOMPARE(reread.orientation[1].sign, -1);
    QCOMPARE(reread.orientation[2].patientAxis, 2);
}

void TestNifti::readsBigEndianAndExtensions()
{
    NiftiSpec spec;
    spec.bigEndian = true;
    spec.datatype = 4;
    spec.bitpix = 16;
    spec.slope = 2.0f;
    spec.inter = -1.0f;
    spec.voxOffset = 1024.0f;
    spec.values = ramp(24, -1200.0, 113.0);
    for (const bool gzipped : {false, true}) {
        spec.gzipped = gzipped;
        const auto file = path(gzipped ? "be.nii.gz" : "be.nii");
        writeNifti(file, spec);
        const ScanVolume volume = readNiftiFile(file);
        QCOMPARE(volume.size, (std::array<int, 4>{4, 3, 2, 1}));
        QCOMPARE(volume.spacing, (std::array<double, 3>{0.5, 0.75, 2.0}));
        for (std::size_t i = 0; i < spec.values.size(); ++i)
            QCOMPARE(volume.voxels[i], static_cast<float>(spec.values[i] * 2.0 - 1.0));
    }
    NiftiSpec doubles;
    doubles.bigEndian = true;
    doubles.datatype = 64;
    doubles.bitpix = 64;
    doubles.values = ramp(24, 1e-3, 0.5);
    const auto file = path("be64.nii");
    writeNifti(file, doubles);
    const ScanVolume volume = readNiftiFile(file);
    for (std::size_t i = 0; i < doubles.values.size(); ++i)
        QCOMPARE(volume.voxels[i], static_cast<float>(doubles.values[i]));
}

void TestNifti::rejectsBadInput_data()
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<QString>("fragment");
    QTest::newRow("missing") << "missing.nii.gz" << "does not exist.";
    QTest::newRow("empty") << "empty.nii" << "is empty (0 bytes), not a NIfTI file.";
    QTest::newRow("text") << "notes.nii" << "is not a NIfTI file";
    QTest::newRow("folder") << "folder.nii" << "is not a regular file.";
    QTest::newRow("short header") << "stub.nii" << "is truncated: it ends inside its 348-byte NIfTI-1 header.";
    QTest::newRow("truncated .nii") << "cut.nii" << "is truncated: its header claims 128 bytes of voxel data";
    QTest::newRow("truncated .nii.gz") << "cut.nii.gz" << "is truncated: expected 128 bytes of voxel data, found 50.";
    QTest::newRow("cut gzip stream") << "cut-stream.nii.gz" << "is truncated";
    QTest::newRow("lying header .nii") << "lies.nii" << "is truncated: its header claims 1048576 bytes";
    QTest::newRow("lying header .nii.gz") << "lies.nii.gz" << "compressed bytes can hold.";
    QTest::newRow("gzip named .nii") << "packed.nii" << "is gzip-compressed but its name does not end in .gz";
    QTest::newRow("zero extent") << "zero.nii" << "has an invalid size of 0 along dimension 2.";
    QTest::newRow("negative extent") << "negative.nii" << "has an invalid size of -4 along dimension 1.";
    QTest::newRow("dim0 0") << "rank0.nii" << "dim[0] (the number of dimensions) is 0.";
    QTest::newRow("dim0 8") << "rank8.nii" << "dim[0] (the number of dimensions) is 8.";
    QTest::newRow("5-D") << "five.nii" << "has 2 entries along dimension 5";
    QTest::newRow("2-D") << "flat.nii" << "is a 2-D image, not a volume.";
    QTest::newRow("2-D as 3-D") << "flat3.nii" << "is a 2-D image, not a volume.";
    QTest::newRow("2-D as 4-D") << "flat4.nii" << "is a 2-D image, not a volume.";
    QTest::newRow("huge") << "huge.nii" << "is too large";
    QTest::newRow("RGB") << "rgb.nii" << "holds colour voxels (RGB24)";
    QTest::newRow("RGBA") << "rgba.nii" << "holds colour voxels (RGBA32)";
    QTest::newRow("complex") << "complex.nii" << "holds complex voxels (COMPLEX64)";
    QTest::newRow("binary") << "binary.nii" << "has NIfTI datatype BINARY, which is not supported";
    QTest::newRow("two-file pair") << "pair.nii" << "two-file NIfTI pair";
    QTest::newRow("ANALYZE") << "analyze.nii" << "no NIfTI-1 magic";
}

void TestNifti::rejectsBadInput()
{
    QFETCH(QString, name);
    QFETCH(QString, fragment);
    const fs::path file = path("bad/" + name.toStdString());
    fs::create_directories(file.parent_path());
    const std::string tag = QTest::currentDataTag();
    NiftiSpec spec;
    spec.values = ramp(24, 0.0, 1.0);
    const auto withDim = [&](std::array<std::int16_t, 8> dim) {
        spec.dim = dim;
        writeNifti(file, spec);
    };
    const auto withType = [&](std::int16_t datatype, std::int16_t bitpix) {
        spec.datatype = datatype;
        spec.bitpix = bitpix;
        spec.values = ramp(24 * (bitpix / 8), 0.0, 1.0);
        writeNifti(file, spec);
    };
    if (tag == "missing") {
    } else if (tag == "empty") {
        std::ofstream out(file);
    } else if (tag == "text") {
        writeBytes(file, std::string(400, 'x'), false);
    } else if (tag == "folder") {
        fs::create_directories(file);
    } else if (tag == "short header") {
        writeBytes(file, encode(spec).substr(0, 100), false);
    } else if (tag == "truncated .nii" || tag == "truncated .nii.gz") {
        spec.dim = {3, 4, 4, 4, 1, 1, 1, 1};
        spec.datatype = 4;
        spec.bitpix = 16;
        spec.values = ramp(64, 0.0, 1.0);
        spec.dataBytes = 50;
        spec.gzipped = tag == "truncated .nii.gz";
        writeNifti(file, spec);
    } else if (tag == "cut gzip stream") {
        spec.dim = {3, 64, 64, 16, 1, 1, 1, 1};
        spec.values = ramp(64 * 64 * 16, 0.0, 0.37);
        spec.gzipped = true;
        writeNifti(file, spec);
        fs::resize_file(file, fs::file_size(file) / 2);
    } else if (tag == "lying header .nii" || tag == "lying header .nii.gz") {
        spec.dim = {3, 128, 128, 64, 1, 1, 1, 1}; // 1 MiB claimed, 24 bytes present
        spec.gzipped = tag == "lying header .nii.gz";
        if (spec.gzipped)
            spec.dim = {3, 1024, 1024, 256, 1, 1, 1, 1};
        writeNifti(file, spec);
    } else if (tag == "gzip named .nii") {
        spec.gzipped = true;
        writeNifti(file, spec);
    } else if (tag == "zero extent") {
        withDim({3, 4, 0, 2, 1, 1, 1, 1});
    } else if (tag == "negative extent") {
        withDim({3, -4, 3, 2, 1, 1, 1, 1});
    } else if (tag == "dim0 0") {
        withDim({0, 4, 3, 2, 1, 1, 1, 1});
    } else if (tag == "dim0 8") {
        withDim({8, 4, 3, 2, 1, 1, 1, 1});
    } else if (tag == "5-D") {
        withDim({5, 4, 3, 1, 1, 2, 1, 1});
    } else if (tag == "2-D") {
        withDim({2, 4, 6, 7, 1, 1, 1, 1}); // dim[3] past dim[0]: ignored
    } else if (tag == "2-D as 3-D") {
        withDim({3, 4, 6, 1, 1, 1, 1, 1});
    } else if (tag == "2-D as 4-D") {
        withDim({4, 4, 6, 1, 1, 1, 1, 1});
    } else if (tag == "huge") {
        spec.datatype = 64;
        spec.bitpix = 64;
        withDim({3, 32767, 32767, 32767, 1, 1, 1, 1});
    } else if (tag == "RGB") {
        withType(128, 24);
    } else if (tag == "RGBA") {
        withType(2304, 32);
    } else if (tag == "complex") {
        withType(32, 64);
    } else if (tag == "binary") {
        withType(1, 1);
    } else if (tag == "two-file pair") {
        spec.magic = std::string("ni1\0", 4);
        writeNifti(file, spec);
    } else if (tag == "ANALYZE") {
        spec.magic = std::string("\0\0\0\0", 4);
        writeNifti(file, spec);
    } else {
        QFAIL("no input made for this row");
    }
    expectError(file, fragment);
}

// NIfTI-2 headers with 64-bit sizes: a file made with nifti_clib, then one field broken.
void TestNifti::rejectsBadNifti2Headers()
{
    Made made;
    made.version = 2;
    made.stored = ramp(60, 0.0, 1.0);
    const auto good = path("good2.nii");
    makeFile(good, made);
    const std::string bytes = readAll(good);
    QCOMPARE(bytes.size(), std::size_t(544 + 120));
    const auto withDim = [&](const std::string &name, int index, std::int64_t value) {
        std::string broken = bytes;
        std::memcpy(broken.data() + 16 + 8 * index, &value, 8);
        const auto file = path(name);
        writeBytes(file, broken, false);
        return file;
    };
    expectError(withDim("huge2.nii", 1, std::int64_t(1) << 40), "is too large");
    expectError(withDim("overflow2.nii", 2, std::int64_t(1) << 62), "is too large");
    expectError(withDim("negative2.nii", 3, -5), "has an invalid size of -5 along dimension 3.");
    expectError(withDim("lies2.nii", 1, 500), "is truncated: its header claims");
    const auto cut = path("cut2.nii");
    writeBytes(cut, bytes.substr(0, 400), false);
    expectError(cut, "it ends inside its 540-byte NIfTI-2 header.");
}

// Found by fuzz_nifti (old reader): a few hundred bytes whose header claims
// 268 million voxels made the reader allocate 1 GB before finding the data
// missing. Memory must follow the data.
void TestNifti::truncatedDataDoesNotAllocateTheClaimedSize()
{
    NiftiSpec spec;
    spec.dim = {3, 1024, 512, 512, 1, 1, 1, 1};
    spec.values = ramp(100, 0.0, 1.0);
    for (const bool gzipped : {false, true}) {
        spec.gzipped = gzipped;
        const auto file = path(gzipped ? "claims-1gb.nii.gz" : "claims-1gb.nii");
        writeNifti(file, spec);
        rusage before{};
        getrusage(RUSAGE_SELF, &before);
        expectError(file, "is truncated");
        rusage after{};
        getrusage(RUSAGE_SELF, &after);
        const long grownMiB = (after.ru_maxrss - before.ru_maxrss) / 1024;
        QVERIFY2(grownMiB < 100, qPrintable(QString("peak memory grew by %1 MiB").arg(grownMiB)));
    }
    // Within the 1032:1 bound of deflate, but still cut short: read as far as it goes.
    spec.dim = {3, 256, 256, 16, 1, 1, 1, 1};
    spec.values.resize(256 * 256 * 2);
    std::uint32_t state = 12345; // noise, so that gzip cannot shrink it far
    for (double &v : spec.values) {
        state = state * 1664525u + 1013904223u;
        v = static_cast<double>(state >> 24);
    }
    spec.gzipped = true;
    const auto file = path("claims-1mb.nii.gz");
    writeNifti(file, spec);
    expectError(file, "is truncated: expected 1048576 bytes of voxel data, found 131072.");
}

// nifti_clib compresses by the name's ending: a temporary for x.nii.gz ends in
// .nii.gz, and removeStaleTemporaryFiles still knows it as ours.
void TestNifti::temporariesKeepTheWholeEnding()
{
    const fs::path folder = path("temporaries");
    fs::create_directories(folder);
    fs::path seen;
    writeFileAtomically(folder / "scan.nii.gz", [&](const fs::path &temporary) {
        seen = temporary;
        std::ofstream(temporary) << "x";
    });
    const std::string name = seen.filename().string();
    QVERIFY2(name.rfind(".scan.tmp-", 0) == 0, name.c_str());
    QVERIFY2(name.size() > 7 && name.substr(name.size() - 7) == ".nii.gz", name.c_str());
    // A leftover of a process that no longer runs (pid 2^22 + 1 is above Linux's pid_max).
    const fs::path stale = folder / (".scan.tmp-4194305-0123456789abcdef.nii.gz");
    std::ofstream(stale) << "x";
    QCOMPARE(removeStaleTemporaryFiles(folder), 1);
    QVERIFY(!fs::exists(stale));
    QVERIFY(fs::exists(folder / "scan.nii.gz"));
}

void TestNifti::readsColin27Template()
{
    const fs::path file = "/usr/share/mricron/templates/ch2better.nii.gz";
    if (!fs::exists(file))
        QSKIP("Debian's mricron-data (ch2better.nii.gz) is not installed.");
    const ScanVolume volume = readNiftiFile(file);
    QCOMPARE(volume.size, (std::array<int, 4>{301, 370, 316, 1}));
    QCOMPARE(volume.spacing, (std::array<double, 3>{0.5, 0.5, 0.5}));
    QCOMPARE(volume.voxels.size(), std::size_t(301) * 370 * 316);
    QCOMPARE(volume.dataRange, 255.0); // uint8 without scaling
    for (int axis = 0; axis < 3; ++axis) {
        QCOMPARE(volume.orientation[axis].patientAxis, axis);
        QCOMPARE(volume.orientation[axis].sign, 1);
    }
    const auto [low, high] = std::minmax_element(volume.voxels.begin(), volume.voxels.end());
    QVERIFY(*low >= 0.0f);
    QVERIFY(*high <= 255.0f && *high > 0.0f);
}

QTEST_APPLESS_MAIN(TestNifti)

#include "tst_nifti.moc"
