// The display policy of volumes (engine/image/DisplayMapping.h): the DICOM window
// converted from the scanner's units to stored values, MONOCHROME1 shown
// inverted, robust percentiles without a window, one slice on 8 bits.

#include "image/DisplayMapping.h"
#include "io/ScanVolume.h"
#include "TestDatasets.h"

#include <opencv2/core.hpp>

#include <QTemporaryDir>
#include <QtTest>

#include <cmath>
#include <limits>
#include <numeric>

class TestDisplayMapping final : public QObject
{
    Q_OBJECT

private slots:
    void dicomWindowIsConvertedToStoredValues();
    void negativeSlopeKeepsLowBelowHigh();
    void monochromeOneIsInverted();
    void percentilesWithoutWindow();
    void constantVolumeStillHasAWindow();
    void sliceForDisplayUsesTheWindow();
    void handWrittenNiftiReadsBack();
};

namespace {

mri::ScanVolume rampVolume(int nx, int ny, int nz)
{
    mri::ScanVolume volume;
    volume.size = {nx, ny, nz, 1};
    volume.voxels.resize(volume.voxelsPerVolume());
    std::iota(volume.voxels.begin(), volume.voxels.end(), 0.0f);
    return volume;
}

} // namespace

void TestDisplayMapping::dicomWindowIsConvertedToStoredValues()
{
    auto volume = rampVolume(4, 4, 4);
    volume.format = mri::ScanFormat::Dicom;
    volume.rescaleSlope = 2.0;
    volume.rescaleIntercept = -1024.0;
    volume.windowCenter = 40.0;  // scanner units: 40 ± 200
    volume.windowWidth = 400.0;
    const auto window = mri::displayWindowOf(volume);
    // stored = (value - intercept) / slope: (-160 + 1024) / 2 and (240 + 1024) / 2.
    QCOMPARE(window.low, 432.0);
    QCOMPARE(window.high, 632.0);
    QVERIFY(!window.inverted);
}

void TestDisplayMapping::negativeSlopeKeepsLowBelowHigh()
{
    auto volume = rampVolume(2, 2, 2);
    volume.rescaleSlope = -1.0;
    volume.rescaleIntercept = 100.0;
    volume.windowCenter = 50.0;
    volume.windowWidth = 20.0;
    const auto window = mri::displayWindowOf(volume);
    QCOMPARE(window.low, 40.0);  // (60 - 100) / -1
    QCOMPARE(window.high, 60.0); // (40 - 100) / -1
}

void TestDisplayMapping::monochromeOneIsInverted()
{
    auto volume = rampVolume(2, 2, 2);
    volume.monochrome1 = true;
    volume.windowCenter = 4.0;
    volume.windowWidth = 4.0;
    const auto window = mri::displayWindowOf(volume);
    QVERIFY(window.inverted);
    QCOMPARE(window.low, 2.0);
    QCOMPARE(window.high, 6.0);
    cv::Mat values(1, 3, CV_32FC1);
    values.at<float>(0) = 0.0f;
    values.at<float>(1) = 4.0f;
    values.at<float>(2) = 9.0f;
    const cv::Mat eight = mri::mapToEightBit(values, window);
    QCOMPARE(int(eight.at<uchar>(0)), 255); // low values are bright in MONOCHROME1
    QCOMPARE(int(eight.at<uchar>(1)), 127);
    QCOMPARE(int(eight.at<uchar>(2)), 0);
}

void TestDisplayMapping::percentilesWithoutWindow()
{
    const auto volume = rampVolume(10, 10, 10); // 0..999
    const auto window = mri::displayWindowOf(volume);
    // numpy.percentile(range(1000), [0.5, 99.5]) = 4.995, 994.005
    QVERIFY2(std::abs(window.low - 4.995) < 1e-6, qPrintable(QString::number(window.low, 'g', 10)));
    QVERIFY2(std::abs(window.high - 994.005) < 1e-6, qPrintable(QString::number(window.high, 'g', 10)));
    QVERIFY(!window.inverted);
    // A few bright outliers do not stretch the window.
    auto spiky = rampVolume(10, 10, 10);
    spiky.voxels[3] = 1e6f;
    QVERIFY(mri::displayWindowOf(spiky).high < 1000.0);
    // Non-finite voxels are ignored.
    spiky.voxels[5] = std::numeric_limits<float>::quiet_NaN();
    QVERIFY(std::isfinite(mri::displayWindowOf(spiky).low));
}

void TestDisplayMapping::constantVolumeStillHasAWindow()
{
    mri::ScanVolume volume;
    volume.size = {3, 3, 3, 1};
    volume.voxels.assign(27, 7.0f);
    const auto window = mri::displayWindowOf(volume);
    QCOMPARE(window.low, 7.0);
    QVERIFY(window.high > window.low);
}

void TestDisplayMapping::sliceForDisplayUsesTheWindow()
{
    const auto volume = rampVolume(4, 3, 2); // z = 1 holds 12..23
    const mri::DisplayWindow window{12.0, 23.0, false};
    const cv::Mat eight = mri::volumeSliceForDisplay(volume, mri::SlicePlane::Axial, 1, window);
    QCOMPARE(eight.type(), CV_8UC1);
    QCOMPARE(eight.cols, 4);
    QCOMPARE(eight.rows, 3);
    double low = 0.0;
    double high = 0.0;
    cv::minMaxLoc(eight, &low, &high);
    QCOMPARE(low, 0.0);
    QCOMPARE(high, 255.0);
}

void TestDisplayMapping::handWrittenNiftiReadsBack()
{
    // The tests' hand-written NIfTI-1 (TestDatasets) is a file readScan reads.
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    std::vector<std::int16_t> values(5 * 4 * 3);
    std::iota(values.begin(), values.end(), std::int16_t(-10));
    const QString file = mri::test::writeTestNifti(dir.filePath(QStringLiteral("ramp.nii")), 5, 4, 3, values);
    const auto volume = mri::readScan(file.toStdString());
    QCOMPARE(volume.size[0], 5);
    QCOMPARE(volume.size[1], 4);
    QCOMPARE(volume.size[2], 3);
    QCOMPARE(volume.at(0, 0, 0), -10.0f);
    QCOMPARE(volume.at(4, 3, 2), 49.0f);
    QCOMPARE(mri::sliceCountOf(volume, mri::SlicePlane::Axial), 3);
    QCOMPARE(mri::sliceCountOf(volume, mri::SlicePlane::Coronal), 4);
    QCOMPARE(mri::sliceCountOf(volume, mri::SlicePlane::Sagittal), 5);
}

QTEST_APPLESS_MAIN(TestDisplayMapping)
#include "tst_displaymapping.moc"
