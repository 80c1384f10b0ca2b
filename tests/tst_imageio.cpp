#include "base/EngineError.h"
#include "io/ImageIO.h"
#include "io/ScanVolume.h"

#include <QDir>
#include <QFile>
#include <QRandomGenerator>
#include <QTemporaryDir>
#include <QtTest>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

namespace fs = std::filesystem;

namespace {

constexpr int kWidth = 37; // odd sizes exercise BMP row padding
constexpr int kHeight = 23;

// ---- byte builders for hand-made files ------------------------------------

void put16(QByteArray &out, quint32 value, bool bigEndian)
{
    const char bytes[2] = {char(value & 0xFF), char((value >> 8) & 0xFF)};
    out.append(bigEndian ? bytes[1] : bytes[0]).append(bigEndian ? bytes[0] : bytes[1]);
}

void put32(QByteArray &out, quint32 value, bool bigEndian)
{
    for (int i = 0; i < 4; ++i) {
        const int shift = bigEndian ? 8 * (3 - i) : 8 * i;
        out.append(char((value >> shift) & 0xFF));
    }
}

quint32 crc32(const QByteArray &data)
{
    quint32 crc = 0xFFFFFFFFu;
    for (const char byte : data) {
        crc ^= static_cast<unsigned char>(byte);
        for (int bit = 0; bit < 8; ++bit)
            crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
    }
    return crc ^ 0xFFFFFFFFu;
}

QByteArray pngChunk(const QByteArray &type, const QByteArray &data)
{
    QByteArray chunk;
    put32(chunk, static_cast<quint32>(data.size()), true);
    chunk += type + data;
    put32(chunk, crc32(type + data), true);
    return chunk;
}

const QByteArray kPngSignature("\x89PNG\r\n\x1a\n", 8);

QByteArray pngHeader(quint32 width, quint32 height, int colourType)
{
    QByteArray ihdr;
    put32(ihdr, width, true);
    put32(ihdr, height, true);
    ihdr.append(char(8)).append(char(colourType)).append(3, '\0');
    return kPngSignature + pngChunk("IHDR", ihdr);
}

// An 8-bit gray + alpha PNG, a layout OpenCV cannot write itself.
QByteArray grayAlphaPng(const cv::Mat &gray, const cv::Mat &alpha)
{
    QByteArray raw;
    for (int y = 0; y < gray.rows; ++y) {
        raw.append('\0'); // filter: none
        for (int x = 0; x < gray.cols; ++x)
            raw.append(char(gray.at<uchar>(y, x))).append(char(alpha.at<uchar>(y, x)));
    }
    const QByteArray zlibStream = qCompress(raw).mid(4); // drop Qt's length prefix
    return pngHeader(gray.cols, gray.rows, 4) + pngChunk("IDAT", zlibStream) + pngChunk("IEND", {});
}

// A baseline uncompressed 8-bit grayscale TIFF in either byte order; without
// pixels when `gray` is empty (header-only files for the size checks).
QByteArray grayTiff(bool bigEndian, quint32 width, quint32 height, const cv::Mat &gray, bool longSizes)
{
    QByteArray out(bigEndian ? "MM" : "II");
    put16(out, 42, bigEndian);
    put32(out, 8, bigEndian);
    struct Entry
    {
        quint16 tag;
        quint16 type;
        quint32 value;
    };
    const quint32 entryCount = 9;
    const quint32 pixelOffset = 8 + 2 + entryCount * 12 + 4;
    const quint16 sizeType = longSizes ? 4 : 3;
    const std::array<Entry, entryCount> entries{{{256, sizeType, width},
                                                 {257, sizeType, height},
                                                 {258, 3, 8},
                                                 {259, 3, 1},
                                                 {262, 3, 1},
                                                 {273, 4, pixelOffset},
                                                 {277, 3, 1},
                                                 {278, 4, height},
                                                 {279, 4, width * height}}};
    put16(out, entryCount, bigEndian);
    for (const Entry &entry : entries) {
        put16(out, entry.tag, bigEndian);
        put16(out, entry.type, bigEndian);
        put32(out, 1, bigEndian);
        if (entry.type == 3) { // SHORT values sit left-justified in the 4-byte field
            put16(out, entry.value, bigEndian);
            put16(out, 0, bigEndian);
        } else {
            put32(out, entry.value, bigEndian);
        }
    }
    put32(out, 0, bigEndian); // no next IFD
    for (int y = 0; y < gray.rows; ++y)
        out.append(reinterpret_cast<const char *>(gray.ptr<uchar>(y)), gray.cols);
    return out;
}

// An 8 x 6 gray TIFF whose IFD lists width and height twice, `first` x `first`
// before 8 x 6. libtiff takes the first of duplicated tags.
QByteArray tiffWithDuplicateSizes(quint32 first)
{
    struct Entry
    {
        quint16 tag;
        quint16 type;
        quint32 value;
    };
    const quint32 entryCount = 11;
    const quint32 pixelOffset = 8 + 2 + entryCount * 12 + 4;
    const std::array<Entry, entryCount> entries{{{256, 4, first}, {256, 4, 8}, {257, 4, first}, {257, 4, 6},
                                                 {258, 3, 8}, {259, 3, 1}, {262, 3, 1}, {273, 4, pixelOffset},
                                                 {277, 3, 1}, {278, 4, 6}, {279, 4, 48}}};
    QByteArray out("II*\0", 4);
    put32(out, 8, false);
    put16(out, entryCount, false);
    for (const Entry &entry : entries) {
        put16(out, entry.tag, false);
        put16(out, entry.type, false);
        put32(out, 1, false);
        put32(out, entry.value, false); // little-endian SHORTs sit in the low bytes too
    }
    put32(out, 0, false);
    for (int i = 0; i < 48; ++i)
        out.append(char(i * 5));
    return out;
}

// A 24-bit BMP stored top-down (negative height), which OpenCV never writes.
QByteArray topDownBmp(const cv::Mat &gray, qint32 width, qint32 height)
{
    const int stride = (width * 3 + 3) & ~3;
    const quint32 pixelBytes = gray.empty() ? 0 : stride * gray.rows;
    QByteArray out("BM");
    put32(out, 54 + pixelBytes, false);
    put32(out, 0, false);
    put32(out, 54, false);
    put32(out, 40, false);
    put32(out, static_cast<quint32>(width), false);
    put32(out, static_cast<quint32>(-height), false);
    put16(out, 1, false);
    put16(out, 24, false);
    for (const quint32 value : {0u, pixelBytes, 2835u, 2835u, 0u, 0u})
        put32(out, value, false);
    for (int y = 0; y < gray.rows; ++y) {
        QByteArray row;
        for (int x = 0; x < gray.cols; ++x)
            row.append(3, char(gray.at<uchar>(y, x)));
        row.append(stride - row.size(), '\0');
        out += row;
    }
    return out;
}

QByteArray jpegFrameHeaderOnly(quint16 width, quint16 height)
{
    QByteArray out("\xFF\xD8\xFF\xC0", 4);
    put16(out, 17, true);
    out.append(char(8));
    put16(out, height, true);
    put16(out, width, true);
    out.append(char(3));
    for (int component = 1; component <= 3; ++component)
        out.append(char(component)).append(char(0x11)).append(char(0));
    return out + QByteArray("\xFF\xD9", 2);
}

// A JPEG cut in the middle of its scan data, with the end-of-image marker put
// back: libjpeg only warns ("premature end of data segment") and fills the rest
// with grey.
QByteArray truncatedScanWithEndMarker(const QByteArray &jpeg)
{
    const qsizetype scan = jpeg.indexOf(QByteArray("\xFF\xDA", 2));
    if (scan < 0)
        return {};
    return jpeg.left(scan + (jpeg.size() - scan) / 2) + QByteArray("\xFF\xD9", 2);
}

// ---- test images ------------------------------------------------------------

// Smooth gradients (JPEG-friendly) whose 16-bit values are not multiples of 257,
// so an accidental reduction to 8 bits shows.
cv::Mat gradient(int depth, int variant)
{
    const double maxValue = depth == CV_8U ? 255.0 : 65535.0;
    cv::Mat image(kHeight, kWidth, CV_MAKETYPE(depth, 1));
    for (int y = 0; y < kHeight; ++y) {
        for (int x = 0; x < kWidth; ++x) {
            double t = 0.0;
            switch (variant) {
            case 0: t = (double(x) / (kWidth - 1) + double(y) / (kHeight - 1)) / 2.0; break;
            case 1: t = double(x) / (kWidth - 1); break;
            case 2: t = double(y) / (kHeight - 1); break;
            default: t = 0.2 + 0.5 * double((x * 7 + y * 3) % 11) / 10.0; break; // alpha
            }
            const double value = std::round(t * maxValue);
            if (depth == CV_8U)
                image.at<uchar>(y, x) = cv::saturate_cast<uchar>(value);
            else
                image.at<ushort>(y, x) = cv::saturate_cast<ushort>(value);
        }
    }
    return image;
}

struct TestImage
{
    cv::Mat written;  // what goes to the encoder (BGR order for colour)
    cv::Mat expected; // CV_64FC1 luminance expected after loading
};

TestImage makeTestImage(int depth, int channels)
{
    TestImage image;
    if (channels == 1) {
        image.written = gradient(depth, 0);
        image.written.convertTo(image.expected, CV_64F);
        return image;
    }
    // Blue constant, green along y, red along x: a swapped channel order
    // changes the luminance by up to 20 % of the range.
    const cv::Mat red = gradient(depth, 1);
    const cv::Mat green = gradient(depth, 2);
    const cv::Mat blue(kHeight, kWidth, CV_MAKETYPE(depth, 1), cv::Scalar(depth == CV_8U ? 128 : 32896));
    std::vector<cv::Mat> planes{blue, green, red};
    if (channels == 4)
        planes.push_back(gradient(depth, 3));
    cv::merge(planes, image.written);
    cv::Mat r, g, b;
    red.convertTo(r, CV_64F);
    green.convertTo(g, CV_64F);
    blue.convertTo(b, CV_64F);
    image.expected = 0.299 * r + 0.587 * g + 0.114 * b;
    return image;
}

double maxDifference(const cv::Mat &loaded, const cv::Mat &expected)
{
    cv::Mat asDouble;
    loaded.convertTo(asDouble, CV_64F);
    return cv::norm(asDouble, expected, cv::NORM_INF);
}

QByteArray encode(const char *extension, const cv::Mat &image)
{
    std::vector<uchar> bytes;
    if (!cv::imencode(extension, image, bytes))
        return {};
    return QByteArray(reinterpret_cast<const char *>(bytes.data()), static_cast<qsizetype>(bytes.size()));
}

[[nodiscard]] bool writeBytes(const QString &path, const QByteArray &bytes)
{
    QFile file(path);
    return file.open(QIODevice::WriteOnly) && file.write(bytes) == bytes.size();
}

QString loadError(const fs::path &file)
{
    try {
        mri::loadGrayscaleImage(file);
    } catch (const mri::EngineError &error) {
        return QString::fromStdString(error.what());
    }
    return {};
}

QStringList folderEntries(const QString &folder)
{
    return QDir(folder).entryList(QDir::AllEntries | QDir::Hidden | QDir::System | QDir::NoDotAndDotDot,
                                  QDir::Name);
}

} // namespace

class TestImageIO : public QObject
{
    Q_OBJECT

private slots:
    void pathProblemsAreNamed();
    void loadsEncodedImages_data();
    void loadsEncodedImages();
    void loadsHandMadeLayouts_data();
    void loadsHandMadeLayouts();
    void rejectsBrokenFiles_data();
    void rejectsBrokenFiles();
    void savesAndReloads_data();
    void savesAndReloads();
    void savesPngWithoutExtension();
    void refusesToSave_data();
    void refusesToSave();
    void dataRangeFollowsDepth();
    void unitFloatRoundTripsEveryValue_data();
    void unitFloatRoundTripsEveryValue();
    void fromUnitFloatRoundsAndSaturates_data();
    void fromUnitFloatRoundsAndSaturates();
    void unitFloatRejectsWrongTypes();
    void pictureIsOneSliceScan_data();
    void pictureIsOneSliceScan();
    void pictureScanRefusesVolumes();
};

void TestImageIO::loadsEncodedImages_data()
{
    QTest::addColumn<QString>("extension");
    QTest::addColumn<int>("depth");
    QTest::addColumn<int>("channels");
    QTest::addColumn<double>("tolerance");

    struct Format
    {
        const char *extension;
        bool sixteenBits;
        std::vector<int> channels;
        double tolerance;
    };
    // Lossless formats: OpenCV's fixed-point luminance weights differ from
    // 0.299/0.587/0.114 by about 1e-5, worth up to 0.7 at 16 bits, plus rounding.
    // JPEG is lossy. A swapped channel order would be off by 20 % of the range.
    const Format formats[] = {{"png", true, {1, 3, 4}, 0.0},
                              {"tif", true, {1, 3, 4}, 0.0},
                              {"bmp", false, {1, 3, 4}, 0.0},
                              {"jpg", false, {1, 3}, 4.0}};
    for (const Format &format : formats) {
        for (const int depth : {CV_8U, CV_16U}) {
            if (depth == CV_16U && !format.sixteenBits)
                continue;
            for (const int channels : format.channels) {
                const QByteArray name = QByteArray(format.extension) + "-" + (depth == CV_8U ? "8" : "16") + "bit-"
                    + QByteArray::number(channels) + "ch";
                const double lossless = channels == 1 ? 0.0 : (depth == CV_8U ? 1.0 : 2.0);
                QTest::newRow(name.constData()) << QString(format.extension) << depth << channels
                                                << std::max(format.tolerance, lossless);
            }
        }
    }
}

void TestImageIO::loadsEncodedImages()
{
    QFETCH(QString, extension);
    QFETCH(int, depth);
    QFETCH(int, channels);
    QFETCH(double, tolerance);

    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const TestImage image = makeTestImage(depth, channels);
    const fs::path file = dir.filePath("slice." + extension).toStdString();
    const std::vector<int> params{cv::IMWRITE_JPEG_QUALITY, 100};
    QVERIFY(cv::imwrite(file.string(), image.written, params));

    const cv::Mat loaded = mri::loadGrayscaleImage(file);
    QCOMPARE(loaded.channels(), 1);
    QCOMPARE(loaded.depth(), depth);
    QCOMPARE(loaded.rows, kHeight);
    QCOMPARE(loaded.cols, kWidth);
    const double difference = maxDifference(loaded, image.expected);
    QVERIFY2(difference <= tolerance, qPrintable(QString("max difference %1").arg(difference)));
}

void TestImageIO::loadsHandMadeLayouts_data()
{
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<QString>("name");

    const cv::Mat gray = gradient(CV_8U, 0);
    const cv::Mat alpha = gradient(CV_8U, 3);
    QTest::newRow("png gray+alpha") << grayAlphaPng(gray, alpha) << "ga.png";
    QTest::newRow("tiff little-endian short sizes") << grayTiff(false, kWidth, kHeight, gray, false) << "le.tif";
    QTest::newRow("tiff big-endian short sizes") << grayTiff(true, kWidth, kHeight, gray, false) << "be.tif";
    QTest::newRow("tiff big-endian long sizes") << grayTiff(true, kWidth, kHeight, gray, true) << "be-long.tiff";
    QTest::newRow("bmp top-down") << topDownBmp(gray, kWidth, kHeight) << "top-down.bmp";
}

void TestImageIO::loadsHandMadeLayouts()
{
    QFETCH(QByteArray, bytes);
    QFETCH(QString, name);

    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    QVERIFY(writeBytes(dir.filePath(name), bytes));
    const cv::Mat loaded = mri::loadGrayscaleImage(dir.filePath(name).toStdString());
    QCOMPARE(loaded.type(), CV_8UC1);
    QCOMPARE(loaded.rows, kHeight);
    QCOMPARE(loaded.cols, kWidth);
    QCOMPARE(cv::norm(loaded, gradient(CV_8U, 0), cv::NORM_INF), 0.0);
}

void TestImageIO::pathProblemsAreNamed()
{
    QTemporaryDir dir;
    const TestImage slice = makeTestImage(CV_8U, 1);
    QFile real(dir.filePath("a"));
    QVERIFY(real.open(QIODevice::WriteOnly));
    real.write(encode(".png", slice.written));
    real.close();
    // "a<NUL>b.png" must not be read as "a", the file before the NUL.
    std::string withNul = dir.filePath("a").toStdString();
    withNul += '\0';
    withNul += "b.png";
    try {
        mri::loadGrayscaleImage(withNul);
        QFAIL("a name with a NUL byte must be refused");
    } catch (const mri::EngineError &error) {
        const std::string text = error.what();
        QVERIFY2(text.find("NUL") != std::string::npos && text.find('\0') == std::string::npos, text.c_str());
    }
    QVERIFY(QFile::link(dir.filePath("loop2.png"), dir.filePath("loop1.png")));
    QVERIFY(QFile::link(dir.filePath("loop1.png"), dir.filePath("loop2.png")));
    try {
        mri::loadGrayscaleImage(dir.filePath("loop1.png").toStdString());
        QFAIL("a loop of links must be refused");
    } catch (const mri::EngineError &error) {
        QVERIFY2(std::string(error.what()).find("does not exist") == std::string::npos, error.what());
        QVERIFY2(std::string(error.what()).find("symbolic links") != std::string::npos, error.what());
    }
}

void TestImageIO::rejectsBrokenFiles_data()
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<bool>("create");
    QTest::addColumn<QString>("reason");

    const TestImage colour = makeTestImage(CV_8U, 3);
    const QByteArray png = encode(".png", colour.written);
    const QByteArray jpeg = encode(".jpg", colour.written);
    const QByteArray bmp = encode(".bmp", colour.written);
    const QByteArray tiff = encode(".tif", colour.written);
    QByteArray garbage(4096, '\0');
    QRandomGenerator random(42);
    for (char &byte : garbage)
        byte = char(random.bounded(256));
    garbage[0] = 'x'; // no accidental signature

    QTest::newRow("missing") << "missing.png" << QByteArray() << false << "the file does not exist";
    QTest::newRow("empty") << "empty.png" << QByteArray() << true << "the file is empty";
    QTest::newRow("truncated png") << "half.png" << png.left(png.size() / 2) << true << "truncated or damaged";
    QTest::newRow("png signature only") << "sig.png" << kPngSignature << true << "truncated";
    QTest::newRow("png signature then garbage") << "sig-garbage.png" << kPngSignature + garbage << true
                                                << "damaged";
    QTest::newRow("truncated jpeg") << "half.jpg" << jpeg.left(jpeg.size() / 2) << true << "truncated";
    QTest::newRow("truncated jpeg with end marker") << "cut-scan.jpg" << truncatedScanWithEndMarker(jpeg) << true
                                                    << "the JPEG data is truncated or damaged";
    QTest::newRow("jpeg cut in its header") << "head.jpg" << jpeg.left(12) << true << "truncated";
    QTest::newRow("truncated bmp") << "half.bmp" << bmp.left(bmp.size() / 2) << true << "truncated or damaged";
    QTest::newRow("truncated tiff") << "half.tif" << tiff.left(tiff.size() / 2) << true << "truncated";
    const QByteArray handMadeTiff = grayTiff(true, kWidth, kHeight, gradient(CV_8U, 0), false);
    QTest::newRow("tiff with cut pixel data") << "cut.tif" << handMadeTiff.left(handMadeTiff.size() - 200) << true
                                              << "the TIFF file is cut short: its image data runs to byte";
    QTest::newRow("random garbage") << "noise.png" << garbage << true << "not a PNG, JPEG, BMP or TIFF image";
    QTest::newRow("text named jpg") << "notes.jpg" << QByteArray("patient_id,image_path\n") << true
                                    << "not a PNG, JPEG, BMP or TIFF image";
    QTest::newRow("png 100000x100000") << "huge.png" << pngHeader(100000, 100000, 0) << true
                                       << "it is 100000 x 100000 pixels; the largest side accepted is 16384 pixels";
    QTest::newRow("png one side too long") << "wide.png" << pngHeader(16385, 4, 0) << true << "16385 x 4 pixels";
    QTest::newRow("png zero width") << "zero.png" << pngHeader(0, 4, 0) << true << "invalid size";
    QTest::newRow("bmp 20000x20000") << "huge.bmp" << topDownBmp({}, 20000, 20000) << true << "20000 x 20000";
    QTest::newRow("tiff II 20000x20000") << "huge-le.tif" << grayTiff(false, 20000, 20000, {}, true) << true
                                         << "20000 x 20000";
    QTest::newRow("tiff MM 30000x30000") << "huge-be.tif" << grayTiff(true, 30000, 30000, {}, false) << true
                                         << "30000 x 30000";
    // Found while writing the image fuzz target's oracle (by reading, not by the
    // fuzzer): with width and height listed twice the header check read the
    // last (8 x 6) while libtiff decodes the first, so a huge image slipped
    // past the size check.
    QTest::newRow("tiff sizes listed twice") << "twice.tif" << tiffWithDuplicateSizes(40000) << true
                                             << "it is 40000 x 40000 pixels";
    QTest::newRow("jpeg 60000x50000") << "huge.jpg" << jpegFrameHeaderOnly(60000, 50000) << true
                                      << "60000 x 50000";
    QTest::newRow("float tiff") << "float.tif" << encode(".tif", cv::Mat(8, 8, CV_32FC1, cv::Scalar(0.5))) << true
                                << "32-bit floating-point samples";
}

void TestImageIO::rejectsBrokenFiles()
{
    QFETCH(QString, name);
    QFETCH(QByteArray, bytes);
    QFETCH(bool, create);
    QFETCH(QString, reason);

    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.filePath(name);
    if (create)
        QVERIFY(writeBytes(path, bytes));

    const QString message = loadError(path.toStdString());
    QVERIFY2(!message.isEmpty(), "the broken file was loaded");
    QVERIFY2(message.startsWith("Cannot read image '" + path + "': "), qPrintable(message));
    QVERIFY2(message.contains(reason), qPrintable(message));
    QVERIFY2(message.endsWith('.'), qPrintable(message));
}

void TestImageIO::savesAndReloads_data()
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<int>("depth");

    QTest::newRow("png 8") << "out.png" << int(CV_8U);
    QTest::newRow("png 16") << "out.png" << int(CV_16U);
    QTest::newRow("tiff 16") << "out.tiff" << int(CV_16U);
    QTest::newRow("tif 8 in a new folder") << "new/sub/out.tif" << int(CV_8U);
    QTest::newRow("bmp 8 upper-case extension") << "out.BMP" << int(CV_8U);
}

void TestImageIO::savesAndReloads()
{
    QFETCH(QString, name);
    QFETCH(int, depth);

    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const fs::path file = dir.filePath(name).toStdString();
    const cv::Mat image = gradient(depth, 0);
    mri::saveImageAtomically(file, image);

    const cv::Mat loaded = mri::loadGrayscaleImage(file);
    QCOMPARE(loaded.type(), image.type());
    QCOMPARE(cv::norm(loaded, image, cv::NORM_INF), 0.0);
    QCOMPARE(folderEntries(QString::fromStdString(file.parent_path().string())),
             QStringList{QString::fromStdString(file.filename().string())});

    // Overwriting replaces the content.
    const cv::Mat second = gradient(depth, 1);
    mri::saveImageAtomically(file, second);
    QCOMPARE(cv::norm(mri::loadGrayscaleImage(file), second, cv::NORM_INF), 0.0);
}

void TestImageIO::savesPngWithoutExtension()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.filePath("slice");
    mri::saveImageAtomically(path.toStdString(), gradient(CV_16U, 0));
    QFile file(path);
    QVERIFY(file.open(QIODevice::ReadOnly));
    QCOMPARE(file.read(8), kPngSignature);
    QCOMPARE(mri::loadGrayscaleImage(path.toStdString()).depth(), CV_16U);
}

void TestImageIO::refusesToSave_data()
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<int>("type");
    QTest::addColumn<bool>("empty");
    QTest::addColumn<QString>("reason");

    QTest::newRow("empty image") << "a.png" << int(CV_8UC1) << true << "empty";
    QTest::newRow("16-bit colour") << "a.png" << int(CV_16UC3) << false << "single-channel";
    QTest::newRow("float") << "a.tif" << int(CV_32FC1) << false << "single-channel 8- or 16-bit";
    QTest::newRow("16-bit jpeg") << "a.jpg" << int(CV_16UC1) << false << "16-bit";
    QTest::newRow("16-bit bmp") << "a.bmp" << int(CV_16UC1) << false << "16-bit";
    QTest::newRow("unknown extension") << "a.gif" << int(CV_8UC1) << false << "'.gif'";
}

void TestImageIO::refusesToSave()
{
    QFETCH(QString, name);
    QFETCH(int, type);
    QFETCH(bool, empty);
    QFETCH(QString, reason);

    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.filePath(name);
    const cv::Mat image = empty ? cv::Mat() : cv::Mat(8, 8, type, cv::Scalar::all(3));
    try {
        mri::saveImageAtomically(path.toStdString(), image);
        QFAIL("the image was saved");
    } catch (const mri::EngineError &error) {
        const QString message = error.what();
        QVERIFY2(message.startsWith("Cannot write image '" + path + "': "), qPrintable(message));
        QVERIFY2(message.contains(reason), qPrintable(message));
    }
    QVERIFY(folderEntries(dir.path()).isEmpty());
}

void TestImageIO::dataRangeFollowsDepth()
{
    QCOMPARE(mri::dataRangeOf(cv::Mat(2, 2, CV_8UC1)), 255.0);
    QCOMPARE(mri::dataRangeOf(cv::Mat(2, 2, CV_16UC1)), 65535.0);
    QVERIFY_THROWS_EXCEPTION(mri::EngineError, mri::dataRangeOf(cv::Mat(2, 2, CV_32FC1)));
}

void TestImageIO::unitFloatRoundTripsEveryValue_data()
{
    QTest::addColumn<int>("depth");
    QTest::newRow("8-bit") << int(CV_8U);
    QTest::newRow("16-bit") << int(CV_16U);
}

void TestImageIO::unitFloatRoundTripsEveryValue()
{
    QFETCH(int, depth);

    const int count = depth == CV_8U ? 256 : 65536;
    cv::Mat everyValue(1, count, CV_MAKETYPE(depth, 1));
    for (int i = 0; i < count; ++i) {
        if (depth == CV_8U)
            everyValue.at<uchar>(0, i) = static_cast<uchar>(i);
        else
            everyValue.at<ushort>(0, i) = static_cast<ushort>(i);
    }
    const cv::Mat unit = mri::toUnitFloat(everyValue);
    QCOMPARE(unit.type(), CV_32FC1);
    QCOMPARE(unit.at<float>(0, 0), 0.0f);
    QCOMPARE(unit.at<float>(0, count - 1), 1.0f);
    QVERIFY(std::abs(unit.at<float>(0, count / 2) - float(count / 2) / float(count - 1)) < 1e-6f);

    const cv::Mat back = mri::fromUnitFloat(unit, depth);
    QCOMPARE(back.type(), everyValue.type());
    QCOMPARE(cv::norm(back, everyValue, cv::NORM_INF), 0.0);
}

void TestImageIO::fromUnitFloatRoundsAndSaturates_data()
{
    QTest::addColumn<int>("depth");
    QTest::addColumn<float>("unit");
    QTest::addColumn<int>("expected");

    QTest::newRow("8 below zero") << int(CV_8U) << -0.2f << 0;
    QTest::newRow("8 above one") << int(CV_8U) << 1.7f << 255;
    QTest::newRow("8 rounds up") << int(CV_8U) << 0.25f << 64;     // 63.75
    QTest::newRow("8 rounds down") << int(CV_8U) << 0.1f << 26;    // 25.5 rounds to even
    QTest::newRow("16 below zero") << int(CV_16U) << -1.0f << 0;
    QTest::newRow("16 above one") << int(CV_16U) << 1.0001f << 65535;
    QTest::newRow("16 quarter") << int(CV_16U) << 0.25f << 16384; // 16383.75
}

void TestImageIO::fromUnitFloatRoundsAndSaturates()
{
    QFETCH(int, depth);
    QFETCH(float, unit);
    QFETCH(int, expected);

    const cv::Mat image = mri::fromUnitFloat(cv::Mat(1, 1, CV_32FC1, cv::Scalar(unit)), depth);
    QCOMPARE(image.type(), CV_MAKETYPE(depth, 1));
    const int value = depth == CV_8U ? image.at<uchar>(0, 0) : image.at<ushort>(0, 0);
    QCOMPARE(value, expected);
}

void TestImageIO::unitFloatRejectsWrongTypes()
{
    QVERIFY_THROWS_EXCEPTION(mri::EngineError, mri::toUnitFloat(cv::Mat(2, 2, CV_8UC3)));
    QVERIFY_THROWS_EXCEPTION(mri::EngineError, mri::toUnitFloat(cv::Mat(2, 2, CV_32FC1)));
    QVERIFY_THROWS_EXCEPTION(mri::EngineError, mri::fromUnitFloat(cv::Mat(2, 2, CV_8UC1), CV_8U));
    QVERIFY_THROWS_EXCEPTION(mri::EngineError, mri::fromUnitFloat(cv::Mat(2, 2, CV_32FC1), CV_32F));
}

void TestImageIO::pictureIsOneSliceScan_data()
{
    QTest::addColumn<int>("depth");
    QTest::newRow("8-bit") << int(CV_8U);
    QTest::newRow("16-bit") << int(CV_16U);
}

// A picture read as a scan: W x H x 1, its levels as voxels, shown as it is,
// on the network's scale exactly as the picture path put it, written back
// bit for bit in its own depth.
void TestImageIO::pictureIsOneSliceScan()
{
    QFETCH(int, depth);
    QTemporaryDir folder;
    QVERIFY(folder.isValid());
    cv::Mat picture(23, 37, CV_MAKETYPE(depth, 1));
    cv::randu(picture, 0, depth == CV_8U ? 256 : 65536);
    // The scale is the depth's, not the picture's range.
    picture(cv::Rect(0, 0, 1, 1)).setTo(0);
    picture.setTo(7, picture > (depth == CV_8U ? 250 : 65000));
    const std::filesystem::path file = folder.filePath("slice.png").toStdString();
    mri::saveImageAtomically(file, picture);

    const mri::ScanVolume scan = mri::readScan(file);
    QCOMPARE(int(scan.format), int(mri::ScanFormat::Picture));
    QCOMPARE(scan.size, (std::array<int, 4>{37, 23, 1, 1}));
    QCOMPARE(scan.dataRange, mri::dataRangeOf(picture));
    QCOMPARE(scan.pictureBits, depth == CV_8U ? 8 : 16);
    QCOMPARE(mri::sliceCountOf(scan, mri::SlicePlane::Axial), 1);

    cv::Mat levels;
    picture.convertTo(levels, CV_32F);
    const cv::Mat slice = mri::extractSlice(scan, mri::SlicePlane::Axial, 0);
    QCOMPARE(cv::norm(slice, levels, cv::NORM_INF), 0.0);

    const auto range = mri::networkRangeOf(scan);
    QCOMPARE(range.low, 0.0);
    QCOMPARE(range.high, mri::dataRangeOf(picture));
    const cv::Mat unit = mri::toNetworkUnit(slice, range);
    QCOMPARE(cv::norm(unit, mri::toUnitFloat(picture), cv::NORM_INF), 0.0);
    mri::ScanVolume back = scan;
    mri::insertSlice(back, mri::SlicePlane::Axial, 0, 0, mri::fromNetworkUnit(unit, range));
    QCOMPARE(cv::norm(mri::pictureOf(back), picture, cv::NORM_INF), 0.0);

    QCOMPARE(cv::norm(mri::pictureOf(scan), picture, cv::NORM_INF), 0.0);
    const std::filesystem::path copy = folder.filePath("copy.png").toStdString();
    mri::writeScan(scan, scan, copy, "ignored by PNG");
    const cv::Mat reread = mri::loadGrayscaleImage(copy);
    QCOMPARE(reread.type(), picture.type());
    QCOMPARE(cv::norm(reread, picture, cv::NORM_INF), 0.0);
}

void TestImageIO::pictureScanRefusesVolumes()
{
    mri::ScanVolume volume;
    volume.source = "head.nii";
    volume.size = {4, 4, 2, 1};
    volume.voxels.assign(32, 1.0f);
    QVERIFY_THROWS_EXCEPTION(mri::EngineError, mri::pictureOf(volume));
}

QTEST_APPLESS_MAIN(TestImageIO)
#include "tst_imageio.moc"
