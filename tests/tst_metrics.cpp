#include "base/EngineError.h"
#include "io/ScanVolume.h"
#include "quality/Metrics.h"
#include "quality/VolumeMetrics.h"

#include <QFile>
#include <QTest>

#include <opencv2/imgcodecs.hpp>

#include <cmath>
#include <cstring>
#include <vector>
#include <limits>

using namespace mri;

// PSNR and SSIM against values from scikit-image 0.19.3, written by
// scripts/make_metric_goldens.py into tests/data/metrics/golden.csv.
class TestMetrics : public QObject
{
    Q_OBJECT

private slots:
    void matchesScikitImage_data();
    void matchesScikitImage();
    void compareImagesUsesDepthRange();
    void rejectsMismatchedImages();
    void rejectsTooSmallImageForSsim();
    void formatsAndParsesMetrics();
    void volumesMatchScikitImage_data();
    void volumesMatchScikitImage();
    void compareVolumesUsesDeclaredRangeAndFrames();
    void rejectsVolumesOfDifferentSizes();
    void pictureScansScoreAsPictures_data();
    void pictureScansScoreAsPictures();
};

namespace {

QString metricsDir()
{
    return QStringLiteral(MRI_TEST_DATA_DIR "/metrics/");
}

cv::Mat loadImage(const QString &name)
{
    return cv::imread((metricsDir() + name).toStdString(), cv::IMREAD_UNCHANGED);
}

} // namespace

void TestMetrics::matchesScikitImage_data()
{
    QTest::addColumn<QString>("reference");
    QTest::addColumn<QString>("test");
    QTest::addColumn<double>("dataRange");
    QTest::addColumn<double>("psnr");
    QTest::addColumn<double>("ssim");

    QFile golden(metricsDir() + "golden.csv");
    QVERIFY2(golden.open(QIODevice::ReadOnly | QIODevice::Text), qPrintable(golden.fileName()));
    const QStringList lines = QString::fromUtf8(golden.readAll()).split('\n', Qt::SkipEmptyParts);
    QVERIFY(lines.size() > 1);
    QCOMPARE(lines.first(), QStringLiteral("reference,test,data_range,psnr,ssim"));
    for (qsizetype i = 1; i < lines.size(); ++i) {
        const QStringList f = lines[i].split(',');
        QCOMPARE(f.size(), 5);
        QTest::newRow(qPrintable(f[0])) << f[0] << f[1] << parseMetric(f[2].toStdString())
                                        << parseMetric(f[3].toStdString()) << parseMetric(f[4].toStdString());
    }
}

void TestMetrics::matchesScikitImage()
{
    QFETCH(QString, reference);
    QFETCH(QString, test);
    QFETCH(double, dataRange);
    QFETCH(double, psnr);
    QFETCH(double, ssim);

    const cv::Mat ref = loadImage(reference);
    const cv::Mat tst = loadImage(test);
    QVERIFY2(!ref.empty() && !tst.empty(), qPrintable(reference + " / " + test));
    QCOMPARE(ref.channels(), 1);

    const double measuredPsnr = peakSignalNoiseRatio(ref, tst, dataRange);
    const double measuredSsim = structuralSimilarity(ref, tst, dataRange);
    if (std::isinf(psnr)) {
        QVERIFY(std::isinf(measuredPsnr) && measuredPsnr > 0);
    } else {
        QVERIFY2(std::fabs(measuredPsnr - psnr) < 1e-3,
                 qPrintable(QString("PSNR %1, scikit-image %2").arg(measuredPsnr, 0, 'g', 17).arg(psnr, 0, 'g', 17)));
    }
    QVERIFY2(std::fabs(measuredSsim - ssim) < 1e-4,
             qPrintable(QString("SSIM %1, scikit-image %2").arg(measuredSsim, 0, 'g', 17).arg(ssim, 0, 'g', 17)));
}

void TestMetrics::compareImagesUsesDepthRange()
{
    const cv::Mat ref8 = loadImage("smooth8_ref.png");
    const cv::Mat test8 = loadImage("smooth8_test.png");
    QCOMPARE(ref8.depth(), CV_8U);
    const QualityMetrics m8 = compareImages(ref8, test8);
    QCOMPARE(m8.psnr, peakSignalNoiseRatio(ref8, test8, 255.0));
    QCOMPARE(m8.ssim, structuralSimilarity(ref8, test8, 255.0));

    const cv::Mat ref16 = loadImage("u16_ref.png");
    const cv::Mat test16 = loadImage("u16_test.png");
    QCOMPARE(ref16.depth(), CV_16U);
    const QualityMetrics m16 = compareImages(ref16, test16);
    QCOMPARE(m16.psnr, peakSignalNoiseRatio(ref16, test16, 65535.0));
    QCOMPARE(m16.ssim, structuralSimilarity(ref16, test16, 65535.0));

    cv::Mat float32;
    ref8.convertTo(float32, CV_32F);
    QVERIFY_THROWS_EXCEPTION(EngineError, compareImages(float32, float32));
}

void TestMetrics::rejectsMismatchedImages()
{
    const cv::Mat a(20, 30, CV_8UC1, cv::Scalar(10));
    const cv::Mat b(30, 20, CV_8UC1, cv::Scalar(10));
    QVERIFY_THROWS_EXCEPTION(EngineError, peakSignalNoiseRatio(a, b, 255.0));
    QVERIFY_THROWS_EXCEPTION(EngineError, structuralSimilarity(a, b, 255.0));
    QVERIFY_THROWS_EXCEPTION(EngineError, compareImages(a, b));

    const cv::Mat colour(20, 30, CV_8UC3, cv::Scalar(10, 20, 30));
    QVERIFY_THROWS_EXCEPTION(EngineError, compareImages(colour, colour));
    QVERIFY_THROWS_EXCEPTION(EngineError, compareImages(cv::Mat(), cv::Mat()));

    const cv::Mat sixteen(20, 30, CV_16UC1, cv::Scalar(10));
    QVERIFY_THROWS_EXCEPTION(EngineError, compareImages(a, sixteen));
}

void TestMetrics::rejectsTooSmallImageForSsim()
{
    const cv::Mat small(6, 40, CV_8UC1, cv::Scalar(3));
    QVERIFY_THROWS_EXCEPTION(EngineError, structuralSimilarity(small, small, 255.0));
    QVERIFY(std::isinf(peakSignalNoiseRatio(small, small, 255.0)));
}

void TestMetrics::formatsAndParsesMetrics()
{
    const double inf = std::numeric_limits<double>::infinity();
    QCOMPARE(formatMetric(inf), std::string("inf"));
    QCOMPARE(formatMetric(-inf), std::string("-inf"));
    QCOMPARE(formatMetric(std::nan("")), std::string("nan"));
    QCOMPARE(formatMetric(31.123456), std::string("31.1235"));
    QCOMPARE(formatMetric(0.5, 2), std::string("0.50"));
    QCOMPARE(formatMetric(-1.25, 1), std::string("-1.2")); // round half to even, as printf
    QCOMPARE(formatMetric(12.0, 0), std::string("12"));

    QVERIFY(std::isinf(parseMetric("inf")) && parseMetric("inf") > 0);
    QVERIFY(std::isinf(parseMetric("-inf")) && parseMetric("-inf") < 0);
    QVERIFY(std::isnan(parseMetric("nan")));
    QCOMPARE(parseMetric("31.1235"), 31.1235);
    QCOMPARE(parseMetric(" 0.9 "), 0.9);
    QCOMPARE(parseMetric("1e-3"), 1e-3);
    QCOMPARE(parseMetric("+2.5"), 2.5);
    for (const char *bad : {"", "  ", "abc", "1.5x", "1,5", "--1", "+-1", "."})
        QVERIFY2(std::isnan(parseMetric(bad)), bad);

    for (const double value : {0.0, 1.0, 27.4321, 0.8765, 99.9999, -3.5, inf, -inf}) {
        const std::string text = formatMetric(value);
        QCOMPARE(formatMetric(parseMetric(text)), text);
        QCOMPARE(parseMetric(text), value);
    }
    QVERIFY(std::isnan(parseMetric(formatMetric(std::nan("")))));
}

namespace {

std::vector<float> readFloats(const QString &file, std::size_t count)
{
    QFile in(file);
    if (!in.open(QIODevice::ReadOnly))
        return {};
    const QByteArray bytes = in.readAll();
    if (static_cast<std::size_t>(bytes.size()) != count * sizeof(float))
        return {};
    std::vector<float> values(count);
    std::memcpy(values.data(), bytes.constData(), bytes.size());
    return values;
}

} // namespace

// Goldens written by tests/data/metrics/make_volume_goldens.py with python3-skimage.
void TestMetrics::volumesMatchScikitImage_data()
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<int>("nx");
    QTest::addColumn<int>("ny");
    QTest::addColumn<int>("nz");
    QTest::addColumn<double>("dataRange");
    QTest::addColumn<double>("psnr");
    QTest::addColumn<double>("ssim");
    QFile golden(metricsDir() + "golden_volumes.csv");
    QVERIFY2(golden.open(QIODevice::ReadOnly | QIODevice::Text), qPrintable(golden.fileName()));
    const QStringList lines = QString::fromUtf8(golden.readAll()).split('\n', Qt::SkipEmptyParts);
    for (int i = 1; i < lines.size(); ++i) {
        const QStringList f = lines[i].split(',');
        QTest::newRow(qPrintable(f[0])) << f[0] << f[1].toInt() << f[2].toInt() << f[3].toInt() << f[4].toDouble()
                                        << (f[5] == "inf" ? std::numeric_limits<double>::infinity() : f[5].toDouble())
                                        << f[6].toDouble();
    }
}

void TestMetrics::volumesMatchScikitImage()
{
    QFETCH(QString, name);
    QFETCH(int, nx);
    QFETCH(int, ny);
    QFETCH(int, nz);
    QFETCH(double, dataRange);
    QFETCH(double, psnr);
    QFETCH(double, ssim);
    const std::size_t count = static_cast<std::size_t>(nx) * ny * nz;
    const auto reference = readFloats(metricsDir() + name + "_ref.f32", count);
    const auto test = readFloats(metricsDir() + name + "_test.f32", count);
    QCOMPARE(reference.size(), count);
    QCOMPARE(test.size(), count);
    const double ourPsnr = mri::volumePeakSignalNoiseRatio(reference.data(), test.data(), count, dataRange);
    if (std::isinf(psnr))
        QVERIFY(std::isinf(ourPsnr) && ourPsnr > 0);
    else
        QVERIFY2(std::abs(ourPsnr - psnr) < 1e-9, qPrintable(QString::number(ourPsnr, 'g', 17)));
    const double ourSsim = mri::volumeStructuralSimilarity(reference.data(), test.data(), {nx, ny, nz}, dataRange);
    QVERIFY2(std::abs(ourSsim - ssim) < 1e-9, qPrintable(QString::number(ourSsim, 'g', 17)));
}

void TestMetrics::compareVolumesUsesDeclaredRangeAndFrames()
{
    // Two frames: PSNR over every voxel, SSIM the mean of the frames'.
    const auto reference = readFloats(metricsDir() + "dicom12_ref.f32", 24 * 20 * 16);
    const auto test = readFloats(metricsDir() + "dicom12_test.f32", 24 * 20 * 16);
    QVERIFY(!reference.empty() && !test.empty());
    mri::ScanVolume a;
    a.size = {24, 20, 16, 2};
    a.dataRange = 4095.0;
    a.voxels = reference;
    a.voxels.insert(a.voxels.end(), reference.begin(), reference.end());
    mri::ScanVolume b = a;
    b.voxels = test;
    b.voxels.insert(b.voxels.end(), reference.begin(), reference.end()); // second frame identical
    const auto metrics = mri::compareVolumes(a, b);
    const double firstSsim = mri::volumeStructuralSimilarity(reference.data(), test.data(), {24, 20, 16}, 4095.0);
    QVERIFY(std::abs(metrics.ssim - (firstSsim + 1.0) / 2.0) < 1e-12);
    const double firstPsnr = mri::volumePeakSignalNoiseRatio(reference.data(), test.data(), reference.size(), 4095.0);
    QVERIFY(std::abs(metrics.psnr - (firstPsnr + 10.0 * std::log10(2.0))) < 1e-9); // half the MSE
}

void TestMetrics::rejectsVolumesOfDifferentSizes()
{
    mri::ScanVolume a;
    a.size = {8, 8, 8, 1};
    a.voxels.assign(512, 1.0f);
    a.source = "a.nii";
    mri::ScanVolume b = a;
    b.size = {8, 8, 4, 1};
    b.voxels.resize(256);
    b.source = "b.nii";
    try {
        mri::compareVolumes(a, b);
        QFAIL("no error");
    } catch (const mri::EngineError &error) {
        QVERIFY(QString(error.what()).contains("b.nii"));
    }
}

void TestMetrics::pictureScansScoreAsPictures_data()
{
    QTest::addColumn<int>("depth");
    QTest::newRow("8-bit") << int(CV_8U);
    QTest::newRow("16-bit") << int(CV_16U);
}

// A picture read as a one-slice scan scores as the picture did: the volume
// metrics fall back to 2-D SSIM on one slice, with the depth's range.
void TestMetrics::pictureScansScoreAsPictures()
{
    QFETCH(int, depth);
    cv::Mat reference(61, 47, CV_MAKETYPE(depth, 1));
    cv::randu(reference, 0, depth == CV_8U ? 200 : 50000);
    cv::Mat noise(reference.size(), CV_32F);
    cv::randn(noise, 0, depth == CV_8U ? 12 : 3000);
    cv::Mat test;
    cv::Mat levels;
    reference.convertTo(levels, CV_32F);
    cv::Mat(levels + noise).convertTo(test, depth);

    const auto pictures = mri::compareImages(reference, test);
    const auto scans = mri::compareVolumes(mri::pictureScanOf(reference, "reference.png"),
                                           mri::pictureScanOf(test, "test.png"));
    QVERIFY(std::abs(scans.psnr - pictures.psnr) < 1e-9);
    QVERIFY(std::abs(scans.ssim - pictures.ssim) < 1e-9);
}

QTEST_APPLESS_MAIN(TestMetrics)
#include "tst_metrics.moc"
