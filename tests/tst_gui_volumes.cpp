// GUI tests of volume rows in mri-studio: a NIfTI row shows one slice at a
// time with a slice slider (middle slice first), Page Up and Ctrl+wheel step
// original and enhanced together, the plane switch changes the slider's range,
// a picture row hides the slider, the three-patient comparison shows the slice
// shown last, DICOM header columns read well in the table, DICOM rows show
// their size and a cut file's sentence from their headers (opening decodes no
// voxels: a .nii.gz that fails its checksum opens readable), a scanned folder
// lists its NIfTI file, and enhancing a volume row shows the enhanced volume at
// the slice being viewed. Every volume is a small NIfTI-1 file written by hand
// (TestDatasets). A super-resolved volume (4 times finer along z) and picture
// (2 times larger) are shown at the original's physical size, the slider
// stepping through the finer slices with the original following by position.
// The residual map of a self-checked volume is in the volume's units.

#include "dataset/Dataset.h"
#include "image/Resampling.h"
#include "io/DicomSeries.h"
#include "io/NiftiFile.h"
#include "quality/SelfCheck.h"
#include "training/Trainer.h"
#include "ComparisonPage.h"
#include "GuiTestSupport.h"
#include "ImageTile.h"
#include "MainWindow.h"
#include "PatientsPage.h"
#include "PatientTableModel.h"
#include "SideBySideView.h"
#include "SliceCanvas.h"
#include "SliceImage.h"
#include "StudioSession.h"
#include "TestDatasets.h"

#include <QAbstractButton>
#include <QComboBox>
#include <QDir>
#include <QFile>
#include <QLabel>
#include <QLineEdit>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QSlider>
#include <QSortFilterProxyModel>
#include <QTemporaryDir>
#include <QWheelEvent>
#include <QtTest>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <atomic>
#include <exception>
#include <filesystem>
#include <fstream>

using namespace studio;

namespace {

constexpr int kNx = 12;
constexpr int kNy = 10;
constexpr int kNz = 8;

// Every voxel differs from its neighbours along every axis, so any other slice
// looks different; `shift` makes the "enhanced" twin.
std::vector<std::int16_t> voxelValues(int shift)
{
    std::vector<std::int16_t> values;
    for (int z = 0; z < kNz; ++z)
        for (int y = 0; y < kNy; ++y)
            for (int x = 0; x < kNx; ++x)
                values.push_back(static_cast<std::int16_t>(100 + x + 13 * y + 140 * z + shift));
    return values;
}

void writeText(const QString &file, const QString &text)
{
    QDir().mkpath(QFileInfo(file).absolutePath());
    QFile out(file);
    QVERIFY(out.open(QIODevice::WriteOnly | QIODevice::Truncate));
    out.write(text.toUtf8());
}

} // namespace

class TestGuiVolumes final : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void volumeRowShowsTheMiddleSliceWithASlider();
    void pageUpAndCtrlWheelStepOriginalAndEnhanced();
    void planeSwitchChangesTheSliderRange();
    void pictureRowHidesTheSlider();
    void comparisonShowsTheSliceShownLast();
    void headerColumnsReadWell();
    void dicomRowsShowTheirHeaders();
    void openingDecodesNoVoxels();
    void scannedFolderListsTheVolume();
    void volumeEncodingKeepsValuesAndInvertsMonochromeOne();
    void enhancingAVolumeRowShowsTheEnhancedVolume();
    void superResolvedVolumeShowsTheSamePhysicalExtent();
    void superResolvedPictureShowsTheSameSize();
    void superResolvedComparisonNamesTheScale();
    void residualOfAVolumeIsInItsUnits();

private:
    // A thick-sliced volume (1 x 1 x 4 mm) with its x4 through-plane result and
    // a picture with its x2 result, as an earlier run's metrics CSV lists them.
    QString newSuperResolvedDataset();
    // One NIfTI row (with an enhanced twin from an "earlier run") and one picture row.
    QString newDataset();
    // Opens `folder` (empty: a new dataset) and waits for its volume row.
    void openVolumeDataset(MainWindow &window, const QString &folder = {});

    QTemporaryDir m_dir;
    int m_datasets = 0;
};

void TestGuiVolumes::initTestCase()
{
    QVERIFY(m_dir.isValid());
}

QString TestGuiVolumes::newDataset()
{
    const QString folder = m_dir.filePath(QStringLiteral("dataset-%1").arg(++m_datasets));
    QDir().mkpath(folder + QStringLiteral("/scans"));
    QDir().mkpath(folder + QStringLiteral("/enhanced"));
    QDir().mkpath(folder + QStringLiteral("/images"));
    mri::test::writeTestNifti(folder + QStringLiteral("/scans/head.nii"), kNx, kNy, kNz, voxelValues(0));
    mri::test::writeTestNifti(folder + QStringLiteral("/enhanced/head.nii"), kNx, kNy, kNz, voxelValues(5));
    cv::Mat picture(16, 20, CV_8UC1);
    for (int y = 0; y < picture.rows; ++y)
        for (int x = 0; x < picture.cols; ++x)
            picture.at<uchar>(y, x) = static_cast<uchar>(10 * x + y);
    cv::imwrite((folder + QStringLiteral("/images/pic.png")).toStdString(), picture);
    writeText(folder + QStringLiteral("/brain_tumor_info.csv"),
              QStringLiteral("patient_id,image_path\nVOL-1,scans/head.nii\nPIC-1,images/pic.png\n"));
    // Results of an earlier run, as the metrics CSV the studio reads on opening.
    writeText(folder + QStringLiteral("/brain_tumor_info_metrics.csv"),
              QStringLiteral("patient_id,image_path,enhanced_image_path,PSNR,SSIM,error\n"
                             "VOL-1,scans/head.nii,enhanced/head.nii,41.25,0.9712,\n"
                             "PIC-1,images/pic.png,,,,\n"));
    return folder;
}

void TestGuiVolumes::openVolumeDataset(MainWindow &window, const QString &folder)
{
    test::showAndOpen(window, folder.isEmpty() ? newDataset() : folder);
    if (QTest::currentTestFailed())
        return;
    // Opening selects the first row: the volume.
    auto *view = window.patientsPage()->view();
    QTRY_VERIFY_WITH_TIMEOUT(view->isVolumeShown() && view->originalCanvas()->hasImage()
                                 && view->enhancedCanvas()->hasImage(),
                             10000);
}

void TestGuiVolumes::volumeRowShowsTheMiddleSliceWithASlider()
{
    MainWindow window;
    openVolumeDataset(window);
    if (QTest::currentTestFailed())
        return;
    auto *view = window.patientsPage()->view();
    auto *bar = view->findChild<QWidget *>(QStringLiteral("sliceBar"));
    auto *slider = view->findChild<QSlider *>(QStringLiteral("sliceSlider"));
    auto *label = view->findChild<QLabel *>(QStringLiteral("sliceLabel"));
    QVERIFY(bar && slider && label);
    QVERIFY(bar->isVisible());
    QCOMPARE(view->plane(), mri::SlicePlane::Axial);
    QCOMPARE(view->sliceCount(), kNz);
    QCOMPARE(slider->minimum(), 0);
    QCOMPARE(slider->maximum(), kNz - 1);
    QCOMPARE(view->currentSlice(), kNz / 2);
    QCOMPARE(label->text(), QStringLiteral("slice 5 / 8"));
    QCOMPARE(view->originalCanvas()->imageSize(), QSize(kNx, kNy));
    QCOMPARE(view->enhancedCanvas()->imageSize(), QSize(kNx, kNy));
    QVERIFY2(view->originalCanvas()->annotations().join(QLatin1Char('\n')).contains(QStringLiteral("axial slice 5 / 8")),
             qPrintable(view->originalCanvas()->annotations().join(QLatin1Char('\n'))));
    // The row's metrics stay those of the whole volume.
    QVERIFY(view->enhancedCanvas()->annotations().join(QLatin1Char('\n')).contains(QStringLiteral("41.25")));
    // The table gives the volume's size.
    auto *model = window.session()->patientModel();
    QTRY_COMPARE(model->index(0, PatientTableModel::SizeColumn).data().toString(), QStringLiteral("12 × 10 × 8 · NIfTI"));
    QCOMPARE(model->index(0, PatientTableModel::StatusColumn).data().toString(), QStringLiteral("Enhanced"));
    test::saveReviewShot(window, QStringLiteral("volume-row"));

    // The pixel readout gives voxel values: the enhanced twin is the original + 5.
    auto *pixel = view->findChild<QLabel *>(QStringLiteral("pixelLabel"));
    emit view->originalCanvas()->hovered(QPoint(3, 2));
    const QRegularExpression readout(QStringLiteral("original (\\d+) · enhanced (\\d+) · difference (\\d+)"));
    const auto match = readout.match(pixel->text());
    QVERIFY2(match.hasMatch(), qPrintable(pixel->text()));
    QCOMPARE(match.captured(2).toInt(), match.captured(1).toInt() + 5);
    QCOMPARE(match.captured(3).toInt(), 5);
    const int value = match.captured(1).toInt();
    QVERIFY2((value - 100 - 3 - 140 * (kNz / 2)) % 13 == 0, qPrintable(pixel->text())); // x = 3 on the middle slice
    // The difference view works on volume slices too.
    view->setDifferenceShown(true);
    QVERIFY(view->enhancedCanvas()->hasImage());
    QCOMPARE(view->enhancedCanvas()->caption(), QStringLiteral("Difference |original − enhanced|"));
}

void TestGuiVolumes::pageUpAndCtrlWheelStepOriginalAndEnhanced()
{
    MainWindow window;
    openVolumeDataset(window);
    if (QTest::currentTestFailed())
        return;
    auto *view = window.patientsPage()->view();
    auto *label = view->findChild<QLabel *>(QStringLiteral("sliceLabel"));
    const QImage originalBefore = view->originalCanvas()->image();
    const QImage enhancedBefore = view->enhancedCanvas()->image();
    const double levelBefore = view->windowLevel();

    view->originalCanvas()->setFocus();
    QTest::keyClick(view->originalCanvas(), Qt::Key_PageUp);
    QCOMPARE(view->currentSlice(), kNz / 2 + 1);
    QTRY_VERIFY_WITH_TIMEOUT(view->originalCanvas()->annotations().join(QLatin1Char('\n')).contains(QStringLiteral("axial slice 6 / 8")), 10000);
    QCOMPARE(label->text(), QStringLiteral("slice 6 / 8"));
    QVERIFY(view->originalCanvas()->image() != originalBefore);
    QVERIFY(view->enhancedCanvas()->image() != enhancedBefore);
    // Scrolling keeps the window the user had.
    QCOMPARE(view->windowLevel(), levelBefore);

    // Ctrl+wheel: one slice per notch, no zoom.
    const QImage atSix = view->originalCanvas()->image();
    const QPointF at(view->originalCanvas()->width() / 2.0, view->originalCanvas()->height() / 2.0);
    QWheelEvent wheel(at, view->originalCanvas()->mapToGlobal(at), QPoint(), QPoint(0, 120), Qt::NoButton,
                      Qt::ControlModifier, Qt::NoScrollPhase, false);
    QApplication::sendEvent(view->originalCanvas(), &wheel);
    QTRY_VERIFY_WITH_TIMEOUT(view->originalCanvas()->annotations().join(QLatin1Char('\n')).contains(QStringLiteral("axial slice 7 / 8")), 10000);
    QVERIFY(view->originalCanvas()->image() != atSix);
    QVERIFY(view->isFit());

    // Page Down goes back; the ends hold.
    QTest::keyClick(view->originalCanvas(), Qt::Key_PageDown);
    QTRY_VERIFY_WITH_TIMEOUT(view->originalCanvas()->annotations().join(QLatin1Char('\n')).contains(QStringLiteral("axial slice 6 / 8")), 10000);
    QCOMPARE(view->originalCanvas()->image(), atSix);
    for (int i = 0; i < 10; ++i)
        QTest::keyClick(view->originalCanvas(), Qt::Key_PageUp);
    QCOMPARE(view->currentSlice(), kNz - 1);
    QTRY_VERIFY_WITH_TIMEOUT(view->originalCanvas()->annotations().join(QLatin1Char('\n')).contains(QStringLiteral("axial slice 8 / 8")), 10000);
}

void TestGuiVolumes::planeSwitchChangesTheSliderRange()
{
    MainWindow window;
    openVolumeDataset(window);
    if (QTest::currentTestFailed())
        return;
    auto *view = window.patientsPage()->view();
    auto *combo = view->findChild<QComboBox *>(QStringLiteral("planeCombo"));
    auto *slider = view->findChild<QSlider *>(QStringLiteral("sliceSlider"));
    QVERIFY(combo && slider);

    combo->setCurrentIndex(1);
    emit combo->activated(1); // as a user's choice
    QTRY_VERIFY_WITH_TIMEOUT(view->plane() == mri::SlicePlane::Coronal, 10000);
    QCOMPARE(view->sliceCount(), kNy);
    QCOMPARE(slider->maximum(), kNy - 1);
    QCOMPARE(view->currentSlice(), kNy / 2);
    QCOMPARE(view->originalCanvas()->imageSize(), QSize(kNx, kNz));
    QCOMPARE(view->enhancedCanvas()->imageSize(), QSize(kNx, kNz));

    view->setPlane(mri::SlicePlane::Sagittal);
    QTRY_VERIFY_WITH_TIMEOUT(view->plane() == mri::SlicePlane::Sagittal, 10000);
    QCOMPARE(view->sliceCount(), kNx);
    QCOMPARE(slider->maximum(), kNx - 1);
    QCOMPARE(combo->currentIndex(), 2);
    QCOMPARE(view->originalCanvas()->imageSize(), QSize(kNy, kNz));

    // Selecting the row again keeps the plane and slice shown last.
    QTest::keyClick(view->originalCanvas(), Qt::Key_PageDown);
    QTRY_VERIFY_WITH_TIMEOUT(view->originalCanvas()->annotations().join(QLatin1Char('\n')).contains(QStringLiteral("sagittal slice 6 / 12")), 10000);
    window.patientsPage()->selectRow(1);
    QTRY_VERIFY_WITH_TIMEOUT(view->currentRow() == 1, 10000);
    window.patientsPage()->selectRow(0);
    QTRY_VERIFY_WITH_TIMEOUT(view->currentRow() == 0 && view->isVolumeShown(), 10000);
    QCOMPARE(view->plane(), mri::SlicePlane::Sagittal);
    QCOMPARE(view->currentSlice(), 5);
}

void TestGuiVolumes::pictureRowHidesTheSlider()
{
    MainWindow window;
    openVolumeDataset(window);
    if (QTest::currentTestFailed())
        return;
    auto *view = window.patientsPage()->view();
    auto *bar = view->findChild<QWidget *>(QStringLiteral("sliceBar"));
    window.patientsPage()->selectRow(1);
    QTRY_VERIFY_WITH_TIMEOUT(view->currentRow() == 1 && view->originalCanvas()->hasImage(), 10000);
    QVERIFY(!view->isVolumeShown());
    QVERIFY(bar->isHidden());
    QCOMPARE(view->originalCanvas()->imageSize(), QSize(20, 16));
    QVERIFY(view->originalCanvas()->annotations().join(QLatin1Char('\n')).contains(QStringLiteral("8-bit")));
    // Page Up on a picture does nothing.
    QTest::keyClick(view->originalCanvas(), Qt::Key_PageUp);
    QCOMPARE(view->currentRow(), 1);
    QCOMPARE(window.session()->patientModel()->index(1, PatientTableModel::SizeColumn).data().toString(),
             QStringLiteral("20 × 16 · 8-bit"));
}

void TestGuiVolumes::comparisonShowsTheSliceShownLast()
{
    MainWindow window;
    openVolumeDataset(window);
    if (QTest::currentTestFailed())
        return;
    auto *view = window.patientsPage()->view();
    QTest::keyClick(view->originalCanvas(), Qt::Key_PageDown);
    QTRY_VERIFY_WITH_TIMEOUT(view->originalCanvas()->annotations().join(QLatin1Char('\n')).contains(QStringLiteral("axial slice 4 / 8")), 10000);

    QSignalSpy shown(window.comparisonPage(), &ComparisonPage::comparisonShown);
    window.showTab(QStringLiteral("compare"));
    QVERIFY(shown.wait(10000));
    QCOMPARE(window.comparisonPage()->patientIds(), QStringList{QStringLiteral("VOL-1")});
    const QString title = window.comparisonPage()->titles().value(0);
    QVERIFY2(title.contains(QStringLiteral("axial slice 4 / 8")), qPrintable(title));
    QVERIFY2(title.contains(QStringLiteral("41.25")), qPrintable(title));
    test::saveReviewShot(window, QStringLiteral("volume-comparison"));

    // Another slice viewed in the patients view: the comparison follows it.
    window.showTab(QStringLiteral("patients"));
    QTest::keyClick(view->originalCanvas(), Qt::Key_PageDown);
    QTRY_VERIFY_WITH_TIMEOUT(view->originalCanvas()->annotations().join(QLatin1Char('\n')).contains(QStringLiteral("axial slice 3 / 8")), 10000);
    shown.clear();
    window.showTab(QStringLiteral("compare"));
    QVERIFY(shown.wait(10000));
    QVERIFY2(window.comparisonPage()->titles().value(0).contains(QStringLiteral("axial slice 3 / 8")),
             qPrintable(window.comparisonPage()->titles().value(0)));

    // The figure is the engine's, with the same slice.
    const QString figure = m_dir.filePath(QStringLiteral("volume-figure.png"));
    QSignalSpy saved(window.session(), &StudioSession::comparisonSaved);
    window.comparisonPage()->saveFigureTo(figure);
    QVERIFY(saved.wait(10000));
    const cv::Mat written = cv::imread(figure.toStdString());
    QVERIFY(!written.empty());
}

void TestGuiVolumes::headerColumnsReadWell()
{
    // The columns a scan of DICOM series adds, here written in a CSV.
    const QString folder = m_dir.filePath(QStringLiteral("dicom-like"));
    QDir().mkpath(folder);
    mri::test::writeTestNifti(folder + QStringLiteral("/series1.nii"), kNx, kNy, kNz, voxelValues(0));
    writeText(folder + QStringLiteral("/brain_tumor_info.csv"),
              QStringLiteral("patient_id,image_path,study_date,series_description,format,series_uid\n"
                             "P-7,series1.nii,20240501,T1 MPRAGE SAG,nifti,\n"));
    MainWindow window;
    test::showAndOpen(window, folder);
    if (QTest::currentTestFailed())
        return;
    auto *model = window.session()->patientModel();
    QCOMPARE(model->columnCount(), PatientTableModel::ColumnCount + 2);
    QCOMPARE(model->headerData(PatientTableModel::ColumnCount, Qt::Horizontal).toString(), QStringLiteral("Study date"));
    QCOMPARE(model->headerData(PatientTableModel::ColumnCount + 1, Qt::Horizontal).toString(), QStringLiteral("Description"));
    QCOMPARE(model->index(0, PatientTableModel::ColumnCount).data().toString(), QStringLiteral("2024-05-01"));
    QCOMPARE(model->index(0, PatientTableModel::ColumnCount + 1).data().toString(), QStringLiteral("T1 MPRAGE SAG"));
    QCOMPARE(model->index(0, PatientTableModel::StatusColumn).data().toString(), QStringLiteral("Not enhanced"));
    // The filter finds rows by these columns too.
    window.patientsPage()->filterEdit()->setText(QStringLiteral("MPRAGE"));
    QCOMPARE(window.patientsPage()->proxy()->rowCount(), 1);
}

// Opening reads DICOM headers only: a series' row shows its size, and a
// series with a file cut short is marked with the sentence the full read gives.
void TestGuiVolumes::dicomRowsShowTheirHeaders()
{
    const QString folder = m_dir.filePath(QStringLiteral("dicom-rows"));
    mri::ScanVolume volume;
    volume.format = mri::ScanFormat::Dicom;
    volume.size = {kNx, kNy, kNz, 1};
    for (const std::int16_t value : voxelValues(0))
        volume.voxels.push_back(value);
    mri::DicomWriteOptions options;
    options.patientId = "D-1";
    const std::filesystem::path root = folder.toStdString();
    mri::writeDicomSeries(volume, root / "good", options);
    mri::writeDicomSeries(volume, root / "cut", options);
    const std::filesystem::path cutFile = root / "cut" / "IM0004.dcm";
    QVERIFY(std::filesystem::exists(cutFile));
    std::filesystem::resize_file(cutFile, std::filesystem::file_size(cutFile) - 10);
    QString expected;
    try {
        mri::readScan(root / "cut");
    } catch (const std::exception &error) {
        expected = QString::fromStdString(error.what());
    }
    QVERIFY2(expected.contains(QStringLiteral("is cut short")), qPrintable(expected));
    writeText(folder + QStringLiteral("/brain_tumor_info.csv"), QStringLiteral("patient_id,image_path\nD-1,good\nD-2,cut\n"));

    MainWindow window;
    test::showAndOpen(window, folder);
    if (QTest::currentTestFailed())
        return;
    auto *model = window.session()->patientModel();
    QCOMPARE(model->rowCount(), 2);
    QCOMPARE(model->index(0, PatientTableModel::SizeColumn).data().toString(), QStringLiteral("12 × 10 × 8 · DICOM"));
    QVERIFY(model->imageError(0).isEmpty());
    QCOMPARE(model->imageError(1), expected);
    QCOMPARE(model->index(1, PatientTableModel::StatusColumn).data().toString(), QStringLiteral("Unreadable: ") + expected);
    QCOMPARE(model->unreadableCount(), 1);
}

// A .nii.gz whose checksum is wrong is refused only by a read through its
// voxels: opening (headers only) lists it with its size; showing it fails.
void TestGuiVolumes::openingDecodesNoVoxels()
{
    const QString folder = m_dir.filePath(QStringLiteral("undecoded"));
    QDir().mkpath(folder + QStringLiteral("/images"));
    cv::imwrite((folder + QStringLiteral("/images/pic.png")).toStdString(), cv::Mat(16, 20, CV_8UC1, cv::Scalar(90)));
    mri::ScanVolume volume;
    volume.size = {64, 64, 32, 1};
    for (int i = 0; i < 64 * 64 * 32; ++i)
        volume.voxels.push_back(static_cast<float>(100 + (i * 7919) % 3001));
    const std::filesystem::path file = (folder + QStringLiteral("/damaged.nii.gz")).toStdString();
    mri::writeNiftiVolume(volume, file, "test", mri::kNiftiInt16);
    {
        // The gzip trailer's CRC-32, which only the end of the stream checks.
        std::fstream bytes(file, std::ios::in | std::ios::out | std::ios::binary);
        const auto at = static_cast<std::streamoff>(std::filesystem::file_size(file) - 8);
        bytes.seekg(at);
        const char crc = static_cast<char>(bytes.get());
        bytes.seekp(at);
        bytes.put(static_cast<char>(crc ^ 0x5a));
        QVERIFY(bytes.good());
    }
    QString fullRead;
    try {
        mri::readScan(file);
    } catch (const std::exception &error) {
        fullRead = QString::fromStdString(error.what());
    }
    QVERIFY2(fullRead.contains(QStringLiteral("gzip data is damaged")), qPrintable(fullRead));
    writeText(folder + QStringLiteral("/brain_tumor_info.csv"),
              QStringLiteral("patient_id,image_path\nPIC-1,images/pic.png\nVOL-1,damaged.nii.gz\n"));

    MainWindow window;
    test::showAndOpen(window, folder);
    if (QTest::currentTestFailed())
        return;
    auto *model = window.session()->patientModel();
    QCOMPARE(model->index(1, PatientTableModel::SizeColumn).data().toString(), QStringLiteral("64 × 64 × 32 · NIfTI"));
    QVERIFY(model->imageError(1).isEmpty());
    QCOMPARE(model->unreadableCount(), 0);
}

void TestGuiVolumes::scannedFolderListsTheVolume()
{
    const QString folder = m_dir.filePath(QStringLiteral("scanned"));
    QDir().mkpath(folder);
    mri::test::writeTestNifti(folder + QStringLiteral("/head.nii"), kNx, kNy, kNz, voxelValues(0));
    try {
        if (mri::openDataset(folder.toStdString()).rows.empty())
            QSKIP("This branch's Dataset scan does not list NIfTI files yet.");
    } catch (const std::exception &) {
        QSKIP("This branch's Dataset scan does not list NIfTI files yet.");
    }
    MainWindow window;
    test::showAndOpen(window, folder);
    if (QTest::currentTestFailed())
        return;
    auto *model = window.session()->patientModel();
    QCOMPARE(model->rowCount(), 1);
    auto *view = window.patientsPage()->view();
    QTRY_VERIFY_WITH_TIMEOUT(view->isVolumeShown() && view->originalCanvas()->hasImage(), 10000);
    QCOMPARE(view->sliceCount(), kNz);
    QCOMPARE(view->currentSlice(), kNz / 2);
    QTRY_COMPARE(model->index(0, PatientTableModel::SizeColumn).data().toString(), QStringLiteral("12 × 10 × 8 · NIfTI"));
    QCOMPARE(model->index(0, PatientTableModel::PatientColumn).data().toString(), QStringLiteral("head"));
    // NIfTI files have no study date or description: no empty columns for them.
    QCOMPARE(model->columnCount(), int(PatientTableModel::ColumnCount));
}

void TestGuiVolumes::volumeEncodingKeepsValuesAndInvertsMonochromeOne()
{
    // Integer voxels (CT-like, negative too) are encoded exactly.
    mri::ScanVolume volume;
    volume.size = {4, 1, 1, 1};
    volume.voxels = {-1024.0f, 0.0f, 40.0f, 3071.0f};
    const auto exact = sliceimage::volumeEncodingOf(volume, false);
    QCOMPARE(exact.offset, -1024.0);
    QCOMPARE(exact.scale, 1.0);
    QCOMPARE(exact.maximumPixel, 4095);
    const cv::Mat values = mri::extractSlice(volume, mri::SlicePlane::Axial, 0);
    const cv::Mat pixels = sliceimage::encodeSlice(values, exact);
    QCOMPARE(pixels.type(), CV_16UC1);
    QCOMPARE(int(pixels.at<quint16>(0, 0)), 0);
    QCOMPARE(int(pixels.at<quint16>(0, 2)), 1064);
    // The DICOM window (here 40 ± 200 in stored values) in pixels.
    const auto window = sliceimage::windowInPixels(mri::DisplayWindow{-160.0, 240.0, false}, exact);
    QCOMPARE(window.first, 864);
    QCOMPARE(window.second, 1264);

    // MONOCHROME1: the maximum is pixel 0, so a window shows it inverted.
    const auto inverted = sliceimage::volumeEncodingOf(volume, true);
    QCOMPARE(inverted.offset, 3071.0);
    QCOMPARE(inverted.scale, -1.0);
    const cv::Mat flipped = sliceimage::encodeSlice(values, inverted);
    QCOMPARE(int(flipped.at<quint16>(0, 3)), 0);
    QCOMPARE(int(flipped.at<quint16>(0, 0)), 4095);
    const auto invertedWindow = sliceimage::windowInPixels(mri::DisplayWindow{-160.0, 240.0, true}, inverted);
    QCOMPARE(invertedWindow.first, 3071 - 240);
    QCOMPARE(invertedWindow.second, 3071 + 160);

    // Float voxels spread over the 16 bits.
    volume.voxels = {0.0f, 0.25f, 0.5f, 1.0f};
    const auto spread = sliceimage::volumeEncodingOf(volume, false);
    QCOMPARE(spread.maximumPixel, 65535);
    const cv::Mat floats = sliceimage::encodeSlice(mri::extractSlice(volume, mri::SlicePlane::Axial, 0), spread);
    QCOMPARE(int(floats.at<quint16>(0, 3)), 65535);
    QVERIFY(std::abs(spread.offset + spread.scale * floats.at<quint16>(0, 1) - 0.25) < 1e-4);
}

void TestGuiVolumes::enhancingAVolumeRowShowsTheEnhancedVolume()
{
    // A tiny model, trained with the engine on pictures, enhances the volume's slices.
    const QString pictures = m_dir.filePath(QStringLiteral("training-pictures"));
    mri::test::writeSyntheticDataset(pictures, 4, 32, 32);
    const QString modelFile = m_dir.filePath(QStringLiteral("tiny.pt"));
    mri::TrainingOptions options;
    options.modelFile = modelFile.toStdString();
    options.network.depth = 2;
    options.network.baseChannels = 4;
    options.patchSize = 8;
    options.batchSize = 4;
    options.patchesPerImage = 2;
    options.epochs = 1;
    options.seed = 3;
    options.threads = 1;
    std::atomic_bool cancel{false};
    const auto trained = mri::trainModel(mri::openDataset(pictures.toStdString()), options, {}, cancel);
    QCOMPARE(trained.epochsCompleted, 1);

    const QString folder = m_dir.filePath(QStringLiteral("to-enhance"));
    QDir().mkpath(folder);
    mri::test::writeTestNifti(folder + QStringLiteral("/head.nii"), kNx, kNy, kNz, voxelValues(0));
    MainWindow window;
    test::showAndOpen(window, folder);
    if (QTest::currentTestFailed())
        return;
    window.session()->setModelFile(modelFile);
    QTRY_VERIFY_WITH_TIMEOUT(window.session()->modelInfo().has_value(), 10000);
    auto *view = window.patientsPage()->view();
    QTRY_VERIFY_WITH_TIMEOUT(view->isVolumeShown() && view->originalCanvas()->hasImage(), 10000);
    QTest::keyClick(view->originalCanvas(), Qt::Key_PageUp);
    QTRY_VERIFY_WITH_TIMEOUT(view->originalCanvas()->annotations().join(QLatin1Char('\n')).contains(QStringLiteral("axial slice 6 / 8")), 10000);
    QVERIFY(!view->enhancedCanvas()->hasImage());

    QSignalSpy finished(window.session(), &StudioSession::enhanceFinished);
    window.enhanceSelected();
    QVERIFY(finished.wait(60000));
    QVERIFY2(window.lastError().isEmpty(), qPrintable(window.lastError()));
    QCOMPARE(finished.first().first().value<EnhanceOutcome>().succeeded, 1);
    // The enhanced volume is shown at the slice being viewed, with the row's metrics.
    QTRY_VERIFY_WITH_TIMEOUT(view->enhancedCanvas()->hasImage(), 10000);
    QCOMPARE(view->currentSlice(), kNz / 2 + 1);
    QCOMPARE(view->enhancedCanvas()->imageSize(), QSize(kNx, kNy));
    QVERIFY(view->enhancedCanvas()->annotations().join(QLatin1Char(' ')).contains(QStringLiteral("PSNR")));
}

QString TestGuiVolumes::newSuperResolvedDataset()
{
    const QString folder = m_dir.filePath(QStringLiteral("superres-%1").arg(++m_datasets));
    QDir().mkpath(folder + QStringLiteral("/scans"));
    QDir().mkpath(folder + QStringLiteral("/enhanced"));
    QDir().mkpath(folder + QStringLiteral("/images"));
    mri::ScanVolume thick;
    thick.size = {kNx, kNy, kNz, 1};
    thick.spacing = {1.0, 1.0, 4.0};
    thick.voxelToPatient = {{{1, 0, 0, 0}, {0, 1, 0, 0}, {0, 0, 4, 0}}};
    for (const auto value : voxelValues(0))
        thick.voxels.push_back(value);
    mri::writeNiftiVolume(thick, (folder + QStringLiteral("/scans/thick.nii")).toStdString(), "thick", mri::kNiftiInt16);
    const auto fine = mri::bsplineUpsampleVolumeAlongAxis(thick, 2, 4, 4 * kNz);
    mri::writeNiftiVolume(fine, (folder + QStringLiteral("/enhanced/thick.nii")).toStdString(), "x4", mri::kNiftiFloat32);
    cv::Mat picture(16, 20, CV_8UC1);
    for (int y = 0; y < picture.rows; ++y)
        for (int x = 0; x < picture.cols; ++x)
            picture.at<uchar>(y, x) = static_cast<uchar>(10 * x + y);
    cv::Mat twice;
    cv::resize(picture, twice, cv::Size(40, 32), 0, 0, cv::INTER_CUBIC);
    cv::imwrite((folder + QStringLiteral("/images/pic.png")).toStdString(), picture);
    cv::imwrite((folder + QStringLiteral("/enhanced/pic.png")).toStdString(), twice);
    writeText(folder + QStringLiteral("/brain_tumor_info.csv"),
              QStringLiteral("patient_id,image_path\nVOL-SR,scans/thick.nii\nPIC-SR,images/pic.png\n"));
    writeText(folder + QStringLiteral("/brain_tumor_info_metrics.csv"),
              QStringLiteral("patient_id,image_path,enhanced_image_path,PSNR,SSIM,scale,upsampled_along,error\n"
                             "VOL-SR,scans/thick.nii,enhanced/thick.nii,36.50,0.9400,4,z,\n"
                             "PIC-SR,images/pic.png,enhanced/pic.png,33.25,0.9100,2,x y,\n"));
    return folder;
}

void TestGuiVolumes::superResolvedVolumeShowsTheSamePhysicalExtent()
{
    MainWindow window;
    window.resize(1100, 760);
    test::showAndOpen(window, newSuperResolvedDataset());
    if (QTest::currentTestFailed())
        return;
    auto *view = window.patientsPage()->view();
    auto *slider = view->findChild<QSlider *>(QStringLiteral("sliceSlider"));
    auto *label = view->findChild<QLabel *>(QStringLiteral("sliceLabel"));
    QTRY_VERIFY_WITH_TIMEOUT(view->isVolumeShown() && view->originalCanvas()->hasImage()
                                 && view->enhancedCanvas()->hasImage(),
                             10000);
    // Axial: the slider steps through the 32 fine slices; the original follows.
    QCOMPARE(view->scale(), 4);
    QVERIFY(view->isSliceOnEnhancedGrid());
    QCOMPARE(view->sliceCount(), 4 * kNz);
    QCOMPARE(slider->maximum(), 4 * kNz - 1);
    QCOMPARE(view->originalSliceCount(), kNz);
    QCOMPARE(view->originalSlice(), kNz / 2);
    QVERIFY(std::abs(4 * view->originalSlice() + 1.5 - view->currentSlice()) <= 0.5); // the original's centre
    QCOMPARE(view->originalCanvas()->imageSize(), QSize(kNx, kNy));
    QCOMPARE(view->enhancedCanvas()->imageSize(), QSize(kNx, kNy));
    const QString caption = view->enhancedCanvas()->caption();
    QVERIFY2(caption.contains(QStringLiteral("×4 through-plane (z): 4 mm → 1 mm")), qPrintable(caption));
    QVERIFY2(view->enhancedCanvas()->annotations().join(QLatin1Char('\n')).contains(QStringLiteral("on its grid")),
             qPrintable(view->enhancedCanvas()->annotations().join(QLatin1Char('\n'))));

    // Scrolling: every fine slice shows the thick slice that contains its position.
    int lastOriginal = -1;
    int originalChanges = 0;
    for (int step = 0; step < 6; ++step) {
        const int before = view->currentSlice();
        QTest::keyClick(view->originalCanvas(), Qt::Key_PageUp);
        const int wanted = before + 1;
        QTRY_VERIFY_WITH_TIMEOUT(view->enhancedCanvas()->annotations().join(QLatin1Char('\n'))
                                     .contains(QStringLiteral("axial slice %1 / %2").arg(wanted + 1).arg(4 * kNz)),
                                 10000);
        QCOMPARE(view->currentSlice(), wanted);
        const int original = view->originalSlice();
        QVERIFY2(std::abs(4 * original + 1.5 - wanted) <= 2.0,
                 qPrintable(QStringLiteral("fine %1 shows thick %2").arg(wanted).arg(original)));
        QVERIFY(view->originalCanvas()->annotations().join(QLatin1Char('\n'))
                    .contains(QStringLiteral("axial slice %1 / %2").arg(original + 1).arg(kNz)));
        QVERIFY2(label->text().contains(QStringLiteral("original %1 / %2").arg(original + 1).arg(kNz)), qPrintable(label->text()));
        if (original != lastOriginal)
            ++originalChanges;
        lastOriginal = original;
    }
    QVERIFY(originalChanges >= 2 && originalChanges <= 3); // 6 fine steps cross 1 or 2 thick boundaries

    // Coronal: the thick original (12 x 8 pixels of 1 x 4 mm) is stretched to the enhanced 12 x 32.
    view->setPlane(mri::SlicePlane::Coronal);
    QTRY_VERIFY_WITH_TIMEOUT(view->plane() == mri::SlicePlane::Coronal && view->enhancedCanvas()->imageSize() == QSize(kNx, 4 * kNz), 10000);
    QCOMPARE(view->sliceCount(), kNy);
    QCOMPARE(view->originalSlice(), view->currentSlice()); // slices across y are the same on both grids
    QCOMPARE(view->originalCanvas()->imageSize(), QSize(kNx, kNz));
    QCOMPARE(view->originalCanvas()->pixelScale(), QSizeF(1.0, 4.0));
    QCOMPARE(view->enhancedCanvas()->pixelScale(), QSizeF(1.0, 1.0));
    QCOMPARE(view->displaySize(), QSizeF(kNx, 4 * kNz));
    QCOMPARE(view->originalCanvas()->imageRect(), view->enhancedCanvas()->imageRect());
    QVERIFY(view->originalCanvas()->imageRect().height() > 2.6 * view->originalCanvas()->imageRect().width()); // 32 mm tall, 12 mm wide
    test::saveReviewShot(window, QStringLiteral("superres-volume-coronal"));
    // Zoomed and panned, the two stay on the same physical extent.
    view->zoomIn();
    view->zoomIn();
    emit view->enhancedCanvas()->panRequested(QPointF(1.5, -2.0));
    QCOMPARE(view->originalCanvas()->imageRect(), view->enhancedCanvas()->imageRect());
    QCOMPARE(view->originalCanvas()->widgetToImage(QPointF(100, 100)).y() * 4.0,
             view->enhancedCanvas()->widgetToImage(QPointF(100, 100)).y());
    view->fitToWindow();

    // The pixel readout: one thick voxel under four fine ones.
    auto *pixel = view->findChild<QLabel *>(QStringLiteral("pixelLabel"));
    emit view->enhancedCanvas()->hovered(QPoint(3, 9));
    QVERIFY2(pixel->text().contains(QStringLiteral("original x 3, y 2:")) && pixel->text().contains(QStringLiteral("enhanced x 3, y 9:")),
             qPrintable(pixel->text()));
    emit view->originalCanvas()->hovered(QPoint(3, 2));
    QVERIFY2(pixel->text().contains(QStringLiteral("original x 3, y 2:")) && pixel->text().contains(QStringLiteral("enhanced x 3, y 10:")),
             qPrintable(pixel->text()));
    // The difference compares on the fine grid.
    view->setDifferenceShown(true);
    QCOMPARE(view->enhancedCanvas()->imageSize(), QSize(kNx, 4 * kNz));
    view->setDifferenceShown(false);

    // Back to axial and away and back: the slice comes back by position.
    view->setPlane(mri::SlicePlane::Axial);
    QTRY_VERIFY_WITH_TIMEOUT(view->plane() == mri::SlicePlane::Axial && view->sliceCount() == 4 * kNz, 10000);
    QCOMPARE(view->originalCanvas()->pixelScale(), QSizeF(1.0, 1.0));
    QCOMPARE(view->originalCanvas()->imageRect(), view->enhancedCanvas()->imageRect());
}

void TestGuiVolumes::superResolvedPictureShowsTheSameSize()
{
    MainWindow window;
    test::showAndOpen(window, newSuperResolvedDataset());
    if (QTest::currentTestFailed())
        return;
    auto *view = window.patientsPage()->view();
    window.patientsPage()->selectRow(1);
    QTRY_VERIFY_WITH_TIMEOUT(view->currentRow() == 1 && view->enhancedCanvas()->hasImage(), 10000);
    QVERIFY(!view->isVolumeShown());
    QCOMPARE(view->scale(), 2);
    QCOMPARE(view->originalCanvas()->imageSize(), QSize(20, 16));
    QCOMPARE(view->enhancedCanvas()->imageSize(), QSize(40, 32));
    QCOMPARE(view->originalCanvas()->pixelScale(), QSizeF(2.0, 2.0));
    QCOMPARE(view->originalCanvas()->imageRect(), view->enhancedCanvas()->imageRect());
    QVERIFY(view->enhancedCanvas()->caption().contains(QStringLiteral("×2 in-plane")));
    QVERIFY(view->originalCanvas()->annotations().join(QLatin1Char('\n')).contains(QStringLiteral("nearest neighbour")));
    test::saveReviewShot(window, QStringLiteral("superres-picture"));
    auto *pixel = view->findChild<QLabel *>(QStringLiteral("pixelLabel"));
    emit view->enhancedCanvas()->hovered(QPoint(11, 7));
    QVERIFY2(pixel->text().contains(QStringLiteral("original x 5, y 3: %1").arg(10 * 5 + 3)), qPrintable(pixel->text()));
    view->setDifferenceShown(true);
    QCOMPARE(view->enhancedCanvas()->imageSize(), QSize(40, 32));
}

void TestGuiVolumes::superResolvedComparisonNamesTheScale()
{
    MainWindow window;
    window.resize(1100, 760);
    test::showAndOpen(window, newSuperResolvedDataset());
    if (QTest::currentTestFailed())
        return;
    auto *view = window.patientsPage()->view();
    QTRY_VERIFY_WITH_TIMEOUT(view->isVolumeShown() && view->enhancedCanvas()->hasImage(), 10000);
    view->setPlane(mri::SlicePlane::Coronal);
    QTRY_VERIFY_WITH_TIMEOUT(view->plane() == mri::SlicePlane::Coronal && view->enhancedCanvas()->imageSize() == QSize(kNx, 4 * kNz), 10000);

    QSignalSpy shown(window.comparisonPage(), &ComparisonPage::comparisonShown);
    window.showTab(QStringLiteral("compare"));
    QVERIFY(shown.wait(10000));
    QCOMPARE(window.comparisonPage()->patientIds().size(), 2);
    const QString titles = window.comparisonPage()->titles().join(QLatin1Char('\n'));
    QVERIFY2(titles.contains(QStringLiteral("on the input grid")), qPrintable(titles));
    QVERIFY2(titles.contains(QStringLiteral("coronal slice 6 / 10")), qPrintable(titles));
    const auto tiles = window.comparisonPage()->findChildren<ImageTile *>();
    QStringList captions;
    for (const auto *tile : tiles)
        captions << tile->caption();
    QVERIFY2(captions.join(QLatin1Char('\n')).contains(QStringLiteral("×4 through-plane")), qPrintable(captions.join(QLatin1Char('\n'))));
    QVERIFY2(captions.join(QLatin1Char('\n')).contains(QStringLiteral("×2 in-plane")), qPrintable(captions.join(QLatin1Char('\n'))));
    test::saveReviewShot(window, QStringLiteral("superres-comparison"));

    const QString figure = m_dir.filePath(QStringLiteral("superres-figure.png"));
    QSignalSpy saved(window.session(), &StudioSession::comparisonSaved);
    window.comparisonPage()->saveFigureTo(figure);
    QVERIFY(saved.wait(10000));
    QVERIFY(!cv::imread(figure.toStdString()).empty());
}

void TestGuiVolumes::residualOfAVolumeIsInItsUnits()
{
    const QString folder = newDataset();
    // The earlier run's CSV with its self-check. At a noise level of 200 the
    // noise floor lifts what the input should read well above the values
    // (100..1300), so the residual differs plainly from the difference (5).
    writeText(folder + QStringLiteral("/brain_tumor_info_metrics.csv"),
              QStringLiteral("patient_id,image_path,enhanced_image_path,PSNR,SSIM,error,verdict,verdict_reason,noise_sigma,noise_coils\n"
                             "VOL-1,scans/head.nii,enhanced/head.nii,41.25,0.9712,,check,an estimated gain of only 1.8 dB over the input,200,1\n"
                             "PIC-1,images/pic.png,,,,,,,,\n"));
    MainWindow window;
    openVolumeDataset(window, folder);
    if (QTest::currentTestFailed())
        return;
    auto *model = window.session()->patientModel();
    QCOMPARE(model->index(0, PatientTableModel::StatusColumn).data().toString(), QStringLiteral("Enhanced · check"));
    auto *view = window.patientsPage()->view();
    view->setDifferenceShown(true);
    const QImage difference = view->enhancedCanvas()->image();
    const QString differenceWindow = view->enhancedCanvas()->annotations().constLast();
    view->findChild<QAbstractButton *>(QStringLiteral("residualButton"))->click();
    QVERIFY(view->isResidualShown() && !view->isDifferenceShown());
    QCOMPARE(view->enhancedCanvas()->caption(), QStringLiteral("Residual |original − expected(enhanced)|"));
    QCOMPARE(view->enhancedCanvas()->annotations().constLast(), differenceWindow);
    QVERIFY(view->enhancedCanvas()->image() != difference);

    // Voxel by voxel: the engine's residual of the voxel values, as the readout gives them.
    auto *pixel = view->findChild<QLabel *>(QStringLiteral("pixelLabel"));
    const QRegularExpression readout(QStringLiteral("original (\\d+) · enhanced (\\d+) · difference (\\d+) · residual (\\d+)"));
    const auto residualAt = [&](const QPoint &voxel) {
        emit view->originalCanvas()->hovered(voxel);
        const auto match = readout.match(pixel->text());
        if (!match.hasMatch())
            return std::make_pair(-1, -1);
        const cv::Mat input(1, 1, CV_32FC1, cv::Scalar(match.captured(1).toDouble()));
        const cv::Mat result(1, 1, CV_32FC1, cv::Scalar(match.captured(2).toDouble()));
        const int expected = qRound(std::abs(mri::residualOf(input, result, 200.0, 1.0).at<float>(0, 0)));
        return std::make_pair(match.captured(4).toInt(), expected);
    };
    const auto middle = residualAt(QPoint(3, 2));
    QVERIFY2(middle.first >= 0, qPrintable(pixel->text()));
    QCOMPARE(middle.first, middle.second);
    QVERIFY(middle.first > 5);

    // The next slice brings its own residual, computed by the worker.
    QSignalSpy shown(window.patientsPage(), &PatientsPage::slicesShown);
    view->stepSlice(-1);
    QTRY_VERIFY_WITH_TIMEOUT(!shown.isEmpty(), 10000);
    QCOMPARE(view->currentSlice(), kNz / 2 - 1);
    QVERIFY(view->isResidualShown());
    const auto lower = residualAt(QPoint(3, 2));
    QCOMPARE(lower.first, lower.second);
    QVERIFY(lower.first != middle.first);
}

int main(int argc, char *argv[])
{
    return studio::test::runGuiTest<TestGuiVolumes>(argc, argv, QStringLiteral("tst_gui_volumes"));
}

#include "tst_gui_volumes.moc"
