#include "EngineError.h"
#include "NiftiVolume.h"

#include <QTemporaryDir>
#include <QTest>

#include <zlib.h>

#include <sys/resource.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

using namespace mri;

namespace {

// A NIfTI-1 file described field by field, so each test can break one thing.
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
    std::vector<double> values;                  // stored values, x fastest
    std::size_t dataBytes = std::string::npos;   // cut the voxel data short
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

void writeNifti(const std::filesystem::path &file, const NiftiSpec &spec)
{
    const std::string bytes = encode(spec);
    // "wbT" writes a plain file through the same zlib API.
    gzFile out = gzopen(file.c_str(), spec.gzipped ? "wb" : "wbT");
    QVERIFY(out != nullptr);
    QCOMPARE(gzwrite(out, bytes.data(), static_cast<unsigned>(bytes.size())), static_cast<int>(bytes.size()));
    QCOMPARE(gzclose(out), Z_OK);
}

std::vector<double> ramp(std::size_t count, double first, double step)
{
    std::vector<double> values(count);
    for (std::size_t i = 0; i < count; ++i)
        values[i] = first + step * static_cast<double>(i);
    return values;
}

} // namespace

class TestNifti : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void readsDataTypes_data();
    void readsDataTypes();
    void acceptsFourDimensionsWithOneVolume();
    void skipsExtensionsUpToVoxOffset();
    void reportsTruncatedData();
    void truncatedDataDoesNotAllocateTheClaimedSize();
    void rejectsWrongMagic();
    void rejectsWrongDimensions_data();
    void rejectsWrongDimensions();
    void rejectsUnsupportedDataTypeAndHugeSize();
    void rejectsMissingAndNonNiftiFiles();
    void readsColin27Template();

private:
    std::filesystem::path path(const char *name) const;
    void expectError(const std::filesystem::path &file, const QString &fragment);

    QTemporaryDir m_dir;
};

std::filesystem::path TestNifti::path(const char *name) const
{
    return std::filesystem::path(m_dir.path().toStdString()) / name;
}

void TestNifti::expectError(const std::filesystem::path &file, const QString &fragment)
{
    try {
        readNiftiVolume(file);
        QFAIL("readNiftiVolume did not throw");
    } catch (const EngineError &error) {
        const QString message = QString::fromStdString(error.what());
        QVERIFY2(message.contains(QString::fromStdString(file.string())), qPrintable(message));
        QVERIFY2(message.contains(fragment), qPrintable(message));
    }
}

void TestNifti::initTestCase()
{
    QVERIFY(m_dir.isValid());
}

void TestNifti::readsDataTypes_data()
{
    QTest::addColumn<int>("datatype");
    QTest::addColumn<int>("bitpix");
    QTest::addColumn<bool>("bigEndian");
    QTest::addColumn<bool>("gzipped");
    QTest::addColumn<double>("first");
    QTest::addColumn<double>("step");
    QTest::addColumn<float>("slope");
    QTest::addColumn<float>("inter");

    QTest::newRow("uint8 le plain") << 2 << 8 << false << false << 0.0 << 10.0 << 0.0f << 0.0f;
    QTest::newRow("uint8 be gz") << 2 << 8 << true << true << 250.0 << -10.0 << 0.0f << 0.0f;
    QTest::newRow("int8 le gz") << 256 << 8 << false << true << -100.0 << 8.0 << 0.0f << 0.0f;
    QTest::newRow("int16 le plain") << 4 << 16 << false << false << -3000.0 << 257.0 << 0.0f << 0.0f;
    QTest::newRow("int16 be gz scaled") << 4 << 16 << true << true << -1200.0 << 113.0 << 2.0f << -1.0f;
    QTest::newRow("uint16 be plain") << 512 << 16 << true << false << 60000.0 << -1111.0 << 0.0f << 0.0f;
    QTest::newRow("int32 be gz") << 8 << 32 << true << true << -100000.0 << 12345.0 << 0.0f << 0.0f;
    QTest::newRow("uint32 le gz") << 768 << 32 << false << true << 3000000000.0 << 1024.0 << 0.0f << 0.0f;
    QTest::newRow("float32 le gz scaled") << 16 << 32 << false << true << -1.5 << 0.25 << 0.5f << 10.0f;
    QTest::newRow("float32 be plain") << 16 << 32 << true << false << 0.125 << 3.5 << 0.0f << 0.0f;
    QTest::newRow("float64 be gz") << 64 << 64 << true << true << 1e-3 << 0.5 << 0.0f << 0.0f;
}

void TestNifti::readsDataTypes()
{
    QFETCH(int, datatype);
    QFETCH(int, bitpix);
    QFETCH(bool, bigEndian);
    QFETCH(bool, gzipped);
    QFETCH(double, first);
    QFETCH(double, step);
    QFETCH(float, slope);
    QFETCH(float, inter);

    NiftiSpec spec;
    spec.datatype = static_cast<std::int16_t>(datatype);
    spec.bitpix = static_cast<std::int16_t>(bitpix);
    spec.bigEndian = bigEndian;
    spec.gzipped = gzipped;
    spec.slope = slope;
    spec.inter = inter;
    spec.values = ramp(4 * 3 * 2, first, step);
    const auto file = path(gzipped ? "types.nii.gz" : "types.nii");
    writeNifti(file, spec);

    const NiftiVolume volume = readNiftiVolume(file);
    QCOMPARE(volume.size[0], 4);
    QCOMPARE(volume.size[1], 3);
    QCOMPARE(volume.size[2], 2);
    QCOMPARE(volume.spacing[0], 0.5f);
    QCOMPARE(volume.spacing[1], 0.75f);
    QCOMPARE(volume.spacing[2], 2.0f);
    QCOMPARE(volume.voxels.size(), spec.values.size());
    const double a = slope == 0.0f ? 1.0 : slope;
    const double b = slope == 0.0f ? 0.0 : inter;
    for (std::size_t i = 0; i < spec.values.size(); ++i) {
        const float expected = static_cast<float>(spec.values[i] * a + b);
        QVERIFY2(volume.voxels[i] == expected,
                 qPrintable(QString("voxel %1: %2, expected %3").arg(i).arg(volume.voxels[i]).arg(expected)));
    }
    // x fastest, then y, then z.
    QCOMPARE(volume.at(1, 2, 1), volume.voxels[(1 * 3 + 2) * 4 + 1]);
}

void TestNifti::acceptsFourDimensionsWithOneVolume()
{
    NiftiSpec spec;
    spec.dim = {4, 4, 3, 2, 1, 1, 1, 1};
    spec.values = ramp(24, 1.0, 1.0);
    const auto file = path("one-volume.nii.gz");
    spec.gzipped = true;
    writeNifti(file, spec);
    const NiftiVolume volume = readNiftiVolume(file);
    QCOMPARE(volume.voxels.size(), std::size_t(24));
    QCOMPARE(volume.at(3, 2, 1), 24.0f);
}

void TestNifti::skipsExtensionsUpToVoxOffset()
{
    NiftiSpec spec;
    spec.voxOffset = 1024.0f;
    spec.values = ramp(24, 5.0, 2.0);
    const auto file = path("extension.nii");
    writeNifti(file, spec);
    const NiftiVolume volume = readNiftiVolume(file);
    QCOMPARE(volume.voxels.front(), 5.0f);
    QCOMPARE(volume.voxels.back(), 51.0f);
}

void TestNifti::reportsTruncatedData()
{
    NiftiSpec spec;
    spec.dim = {3, 4, 4, 4, 1, 1, 1, 1};
    spec.datatype = 4;
    spec.bitpix = 16;
    spec.values = ramp(64, 0.0, 1.0);
    spec.dataBytes = 50;
    for (const bool gzipped : {false, true}) {
        spec.gzipped = gzipped;
        const auto file = path(gzipped ? "truncated.nii.gz" : "truncated.nii");
        writeNifti(file, spec);
        expectError(file, "is truncated: expected 128 bytes of voxel data, found 50.");
    }

    // A gzip stream cut in the middle reads as truncated too.
    spec.dataBytes = std::string::npos;
    spec.gzipped = true;
    const auto whole = path("cut.nii.gz");
    writeNifti(whole, spec);
    std::filesystem::resize_file(whole, std::filesystem::file_size(whole) / 2);
    expectError(whole, "is truncated");

    // Shorter than the header itself.
    const auto stub = path("stub.nii");
    spec.gzipped = false;
    writeNifti(stub, spec);
    std::filesystem::resize_file(stub, 100);
    expectError(stub, "shorter than the 348-byte header");
}

// Found by fuzz_nifti: a few hundred bytes whose header claims 268 million
// voxels made the reader allocate (and zero) 1 GB before finding the data
// missing. The claimed size is within the limits; memory must follow the data.
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
        expectError(file, "is truncated: expected 268435456 bytes of voxel data, found 100.");
        rusage after{};
        getrusage(RUSAGE_SELF, &after);
        const long grownMiB = (after.ru_maxrss - before.ru_maxrss) / 1024;
        QVERIFY2(grownMiB < 100, qPrintable(QString("peak memory grew by %1 MiB").arg(grownMiB)));
    }
}

void TestNifti::rejectsWrongMagic()
{
    NiftiSpec spec;
    spec.values = ramp(24, 0.0, 1.0);
    spec.magic = std::string("ni1\0", 4);
    const auto pair = path("pair.nii");
    writeNifti(pair, spec);
    expectError(pair, "two-file");

    spec.magic = std::string("\0\0\0\0", 4);
    const auto analyze = path("analyze.nii");
    writeNifti(analyze, spec);
    expectError(analyze, "magic");
}

void TestNifti::rejectsWrongDimensions_data()
{
    QTest::addColumn<QList<int>>("dim");
    QTest::addColumn<QString>("fragment");
    QTest::newRow("2-D") << QList<int>{2, 4, 3, 1} << "2 dimensions";
    QTest::newRow("5-D") << QList<int>{5, 4, 3, 2, 1, 1} << "5 dimensions";
    QTest::newRow("4-D time series") << QList<int>{4, 4, 3, 2, 3} << "4-D series of 3 volumes";
    QTest::newRow("zero extent") << QList<int>{3, 4, 0, 2} << "invalid size";
    QTest::newRow("negative extent") << QList<int>{3, -4, 3, 2} << "invalid size";
}

void TestNifti::rejectsWrongDimensions()
{
    QFETCH(QList<int>, dim);
    QFETCH(QString, fragment);
    NiftiSpec spec;
    spec.dim = {0, 1, 1, 1, 1, 1, 1, 1};
    for (qsizetype i = 0; i < dim.size(); ++i)
        spec.dim[static_cast<std::size_t>(i)] = static_cast<std::int16_t>(dim[i]);
    spec.values = ramp(24, 0.0, 1.0);
    const auto file = path("dims.nii");
    writeNifti(file, spec);
    expectError(file, fragment);
}

void TestNifti::rejectsUnsupportedDataTypeAndHugeSize()
{
    NiftiSpec spec;
    spec.values = ramp(24, 0.0, 1.0);
    spec.datatype = 128; // RGB24
    const auto rgb = path("rgb.nii");
    writeNifti(rgb, spec);
    expectError(rgb, "datatype 128");

    // 32767^3 float64 voxels: rejected from the header alone, nothing allocated.
    spec.datatype = 64;
    spec.dim = {3, 32767, 32767, 32767, 1, 1, 1, 1};
    const auto huge = path("huge.nii");
    writeNifti(huge, spec);
    expectError(huge, "too large");
}

void TestNifti::rejectsMissingAndNonNiftiFiles()
{
    expectError(path("no-such-volume.nii.gz"), "does not exist");

    const auto text = path("notes.nii");
    {
        gzFile out = gzopen(text.c_str(), "wbT");
        QVERIFY(out != nullptr);
        const std::string junk(400, 'x');
        gzwrite(out, junk.data(), static_cast<unsigned>(junk.size()));
        gzclose(out);
    }
    expectError(text, "not a NIfTI-1 file");

    // Found by fuzz_nifti (undefined behaviour, seen under the sanitizers): an
    // empty file passed a null pointer to memcpy.
    const auto empty = path("empty.nii");
    { std::ofstream out(empty); }
    expectError(empty, "shorter than the 348-byte header");

    NiftiSpec spec;
    spec.values = ramp(24, 0.0, 1.0);
    std::string bytes = encode(spec);
    const std::int32_t nifti2 = 540;
    std::memcpy(bytes.data(), &nifti2, sizeof nifti2);
    const auto two = path("nifti2.nii");
    gzFile out = gzopen(two.c_str(), "wbT");
    QVERIFY(out != nullptr);
    gzwrite(out, bytes.data(), static_cast<unsigned>(bytes.size()));
    gzclose(out);
    expectError(two, "NIfTI-2");
}

void TestNifti::readsColin27Template()
{
    const std::filesystem::path file = "/usr/share/mricron/templates/ch2better.nii.gz";
    if (!std::filesystem::exists(file))
        QSKIP("Debian's mricron-data (ch2better.nii.gz) is not installed.");
    const NiftiVolume volume = readNiftiVolume(file);
    QCOMPARE(volume.size[0], 301);
    QCOMPARE(volume.size[1], 370);
    QCOMPARE(volume.size[2], 316);
    QCOMPARE(volume.spacing[0], 0.5f);
    QCOMPARE(volume.spacing[1], 0.5f);
    QCOMPARE(volume.spacing[2], 0.5f);
    QCOMPARE(volume.voxels.size(), std::size_t(301) * 370 * 316);
    const auto [low, high] = std::minmax_element(volume.voxels.begin(), volume.voxels.end());
    QVERIFY(*low >= 0.0f);
    QVERIFY(*high <= 255.0f && *high > 0.0f);
    for (const float v : volume.voxels) {
        if (v != std::floor(v))
            QFAIL("a uint8 voxel read as a non-integer value");
    }
}

QTEST_APPLESS_MAIN(TestNifti)
#include "tst_nifti.moc"
