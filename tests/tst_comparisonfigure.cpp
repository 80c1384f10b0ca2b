// The comparison figure and the on-screen geometry of super-resolved results
// (engine/enhance/ComparisonFigure.h, engine/image/DisplayMapping.h): a volume enhanced on a
// grid 4 times finer along z is matched slice by slice by physical position,
// its original stretched to the same physical size, and the figure labels the
// scale; a picture enhanced x2 is shown at the same size. A result on the
// input's grid keeps the figure as it was.

#include "base/EngineError.h"
#include "dataset/Dataset.h"
#include "enhance/ComparisonFigure.h"
#include "enhance/EnhanceJob.h"
#include "image/DisplayMapping.h"
#include "image/Resampling.h"
#include "io/NiftiFile.h"
#include "io/ScanVolume.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <QTemporaryDir>
#include <QtTest>

#include <cmath>
#include <filesystem>
#include <string>

namespace fs = std::filesystem;

class TestComparisonFigure final : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void finerGridIsRecognisedAndNamed();
    void slicesMatchByPhysicalPosition();
    void reversedAxisStillMatches();
    void pixelSizesFollowTheSpacing();
    void mismatchedGridIsRefused();
    void superResolvedVolumeEntryHasPanelsOfOneSize();
    void superResolvedPictureEntryHasPanelsOfOneSize();
    void sameGridEntryIsUnchanged();

private:
    QTemporaryDir m_dir;
    mri::ScanVolume m_thick;   // 12 x 10 x 8, 1 x 1 x 4 mm
    mri::ScanVolume m_fine;    // the same, x4 along z: 12 x 10 x 32, 1 x 1 x 1 mm
    mri::Dataset m_dataset;    // row 0: the volume, row 1: a picture, row 2: a picture enhanced on its grid
    std::vector<mri::EnhancedRow> m_results;
};

namespace {

mri::ScanVolume thickVolume()
{
    mri::ScanVolume volume;
    volume.size = {12, 10, 8, 1};
    volume.spacing = {1.0, 1.0, 4.0};
    volume.voxelToPatient = {{{1, 0, 0, -6}, {0, 1, 0, -5}, {0, 0, 4, -16}}};
    volume.voxels.resize(volume.voxelsPerVolume());
    for (int z = 0; z < 8; ++z)
        for (int y = 0; y < 10; ++y)
            for (int x = 0; x < 12; ++x)
                volume.voxels[(static_cast<std::size_t>(z) * 10 + y) * 12 + x] = static_cast<float>(100 + x + 13 * y + 140 * z);
    volume.dataRange = 1200.0;
    return volume;
}

mri::DatasetRow rowOf(const std::string &patient, const fs::path &path)
{
    mri::DatasetRow row;
    row.patientId = patient;
    row.imagePathText = path.string();
    row.imagePath = path;
    return row;
}

mri::EnhancedRow resultOf(std::size_t row, const fs::path &enhanced, int scale, int axis)
{
    mri::EnhancedRow result;
    result.rowIndex = row;
    result.done = true;
    result.enhancedImage = enhanced;
    result.psnr = 38.5;
    result.ssim = 0.95;
    result.scale = scale;
    result.upsampledAxis = axis;
    return result;
}

} // namespace

void TestComparisonFigure::initTestCase()
{
    QVERIFY(m_dir.isValid());
    const fs::path folder = m_dir.path().toStdString();
    m_thick = thickVolume();
    m_fine = mri::bsplineUpsampleVolumeAlongAxis(m_thick, 2, 4, 32);
    QCOMPARE(m_fine.size[2], 32);
    QCOMPARE(m_fine.spacing[2], 1.0);
    mri::writeNiftiVolume(m_thick, folder / "thick.nii", "thick", mri::kNiftiFloat32);
    mri::writeNiftiVolume(m_fine, folder / "fine.nii", "x4 through-plane", mri::kNiftiFloat32);

    cv::Mat picture(16, 20, CV_8UC1);
    for (int y = 0; y < picture.rows; ++y)
        for (int x = 0; x < picture.cols; ++x)
            picture.at<uchar>(y, x) = static_cast<uchar>(10 * x + y);
    cv::Mat twice;
    cv::resize(picture, twice, cv::Size(40, 32), 0, 0, cv::INTER_CUBIC);
    QVERIFY(cv::imwrite((folder / "pic.png").string(), picture));
    QVERIFY(cv::imwrite((folder / "pic_x2.png").string(), twice));
    QVERIFY(cv::imwrite((folder / "pic_same.png").string(), picture));

    m_dataset.folder = folder;
    m_dataset.rows = {rowOf("VOL-1", folder / "thick.nii"), rowOf("PIC-1", folder / "pic.png"),
                      rowOf("PIC-2", folder / "pic.png")};
    m_results = {resultOf(0, folder / "fine.nii", 4, 2), resultOf(1, folder / "pic_x2.png", 2, -1),
                 resultOf(2, folder / "pic_same.png", 1, -1)};
}

void TestComparisonFigure::finerGridIsRecognisedAndNamed()
{
    const auto refinement = mri::gridRefinementOf(m_thick, m_fine);
    QCOMPARE(refinement.axis, 2);
    QCOMPARE(refinement.factor, 4);
    QCOMPARE(QString::fromStdString(mri::refinementNote(m_thick, refinement)),
             QStringLiteral("×4 through-plane (z): 4 mm → 1 mm"));
    const auto same = mri::gridRefinementOf(m_thick, m_thick);
    QCOMPARE(same.factor, 1);
    QCOMPARE(same.axis, -1);
    QVERIFY(mri::refinementNote(m_thick, same).empty());
}

void TestComparisonFigure::slicesMatchByPhysicalPosition()
{
    // Fine slice j lies at thick position (j - 1.5) / 4: slices 12..15 sit within thick slice 3.
    for (int j = 12; j <= 15; ++j)
        QCOMPARE(mri::matchingSliceOf(m_fine, mri::SlicePlane::Axial, j, m_thick), 3);
    const int fine = mri::matchingSliceOf(m_thick, mri::SlicePlane::Axial, 3, m_fine);
    QVERIFY2(fine == 13 || fine == 14, qPrintable(QString::number(fine)));
    // Every fine slice goes to the thick slice nearest in patient space.
    for (int j = 0; j < 32; ++j) {
        const double position = m_fine.voxelToPatient[2][2] * j + m_fine.voxelToPatient[2][3];
        const int thick = mri::matchingSliceOf(m_fine, mri::SlicePlane::Axial, j, m_thick);
        const double thickPosition = 4.0 * thick - 16.0;
        QVERIFY2(std::abs(position - thickPosition) <= 2.0 + 1e-9, qPrintable(QStringLiteral("fine slice %1").arg(j)));
    }
    // Planes that cut along z: the same slice on both grids.
    for (int y = 0; y < 10; ++y)
        QCOMPARE(mri::matchingSliceOf(m_thick, mri::SlicePlane::Coronal, y, m_fine), y);
    for (int x = 0; x < 12; ++x)
        QCOMPARE(mri::matchingSliceOf(m_fine, mri::SlicePlane::Sagittal, x, m_thick), x);
    // Out of range: clamped.
    QCOMPARE(mri::matchingSliceOf(m_fine, mri::SlicePlane::Axial, 31, m_thick), 7);
    const int first = mri::matchingSliceOf(m_thick, mri::SlicePlane::Axial, 0, m_fine); // at fine position 1.5
    QVERIFY(first == 1 || first == 2);
}

void TestComparisonFigure::reversedAxisStillMatches()
{
    // x runs towards the patient's left (LAS): sagittal slices count from the far end.
    mri::ScanVolume thick = m_thick;
    thick.orientation[0] = mri::AxisOrientation{0, -1};
    thick.voxelToPatient[0] = {-1, 0, 0, 6};
    const auto fine = mri::bsplineUpsampleVolumeAlongAxis(thick, 2, 4, 32);
    QCOMPARE(fine.orientation[0].sign, -1);
    for (int x = 0; x < 12; ++x)
        QCOMPARE(mri::matchingSliceOf(thick, mri::SlicePlane::Sagittal, x, fine), x);
    for (int j = 12; j <= 15; ++j)
        QCOMPARE(mri::matchingSliceOf(fine, mri::SlicePlane::Axial, j, thick), 3);
    // The same anatomy: the sagittal slice shows the same voxels on both grids at the thick slices' centres.
    const cv::Mat a = mri::extractSlice(thick, mri::SlicePlane::Sagittal, 2);
    const cv::Mat b = mri::extractSlice(fine, mri::SlicePlane::Sagittal, 2);
    QCOMPARE(a.cols, b.cols);
    QCOMPARE(b.rows, 4 * a.rows);
}

void TestComparisonFigure::pixelSizesFollowTheSpacing()
{
    const auto coronalThick = mri::slicePixelSizeOf(m_thick, mri::SlicePlane::Coronal);
    QCOMPARE(coronalThick.width, 1.0);
    QCOMPARE(coronalThick.height, 4.0);
    const auto coronalFine = mri::slicePixelSizeOf(m_fine, mri::SlicePlane::Coronal);
    QCOMPARE(coronalFine.height, 1.0);
    const auto axial = mri::slicePixelSizeOf(m_thick, mri::SlicePlane::Axial);
    QCOMPARE(axial.width, 1.0);
    QCOMPARE(axial.height, 1.0);
    const auto axes = mri::sliceAxesOf(m_thick, mri::SlicePlane::Sagittal);
    QCOMPARE(axes.slice, 0);
    QCOMPARE(axes.rows, 2);
    QCOMPARE(axes.columns, 1);
    // Physical extents agree: thick rows x 4 mm == fine rows x 1 mm.
    QCOMPARE(mri::extractSlice(m_thick, mri::SlicePlane::Coronal, 0).rows * coronalThick.height,
             mri::extractSlice(m_fine, mri::SlicePlane::Coronal, 0).rows * coronalFine.height);
}

void TestComparisonFigure::mismatchedGridIsRefused()
{
    mri::ScanVolume other = m_thick;
    other.size[0] = 11;
    other.voxels.resize(other.voxelsPerVolume());
    QVERIFY_THROWS_EXCEPTION(mri::EngineError, mri::gridRefinementOf(m_thick, other));
    // Finer along two axes is not a super-resolved twin either.
    mri::ScanVolume both = mri::bsplineUpsampleVolumeAlongAxis(m_fine, 0, 2, 24);
    QVERIFY_THROWS_EXCEPTION(mri::EngineError, mri::gridRefinementOf(m_thick, both));
}

void TestComparisonFigure::superResolvedVolumeEntryHasPanelsOfOneSize()
{
    // Coronal: the thick original (12 x 8 pixels of 1 x 4 mm) is stretched to the enhanced 12 x 32.
    const auto entries = mri::loadComparisonEntries(m_dataset, m_results, {0},
                                                    {{0, mri::ShownSlice{mri::SlicePlane::Coronal, 4}}});
    QCOMPARE(entries.size(), std::size_t(1));
    const auto &entry = entries[0];
    QCOMPARE(entry.scale, 4);
    QCOMPARE(entry.enhanced.size(), cv::Size(12, 32));
    QCOMPARE(entry.original.size(), entry.enhanced.size());
    // Nearest neighbour: each thick row repeated 4 times, its blocks visible.
    for (int row = 0; row < 32; row += 4)
        for (int k = 1; k < 4; ++k)
            QCOMPARE(cv::countNonZero(entry.original.row(row) != entry.original.row(row + k)), 0);
    QCOMPARE(QString::fromStdString(entry.sliceNote), QStringLiteral("coronal slice 5 / 10"));
    QCOMPARE(QString::fromStdString(entry.scaleNote), QStringLiteral("×4 through-plane (z): 4 mm → 1 mm"));

    const auto rows = mri::comparisonFigureRows(entries);
    QCOMPARE(rows.size(), std::size_t(1));
    QCOMPARE(rows[0].panels.size(), std::size_t(2));
    QCOMPARE(rows[0].panels[0].image.size(), rows[0].panels[1].image.size());
    const QString title = QString::fromStdString(rows[0].title);
    QVERIFY2(title.contains(QStringLiteral("x4 through-plane")), qPrintable(title));
    QVERIFY2(title.contains(QStringLiteral("on the input grid")), qPrintable(title));
    QCOMPARE(QString::fromStdString(rows[0].panels[1].label), QStringLiteral("enhanced x4"));
    QVERIFY(rows[0].panels[0].nearest);

    // Axial: the enhanced slice at the original slice's position (thick slice 3 -> fine 13 or 14).
    const auto axial = mri::loadComparisonEntries(m_dataset, m_results, {0},
                                                  {{0, mri::ShownSlice{mri::SlicePlane::Axial, 3}}});
    const mri::DisplayWindow window = mri::displayWindowOf(m_thick);
    const cv::Mat expected13 = mri::volumeSliceForDisplay(m_fine, mri::SlicePlane::Axial, 13, window);
    const cv::Mat expected14 = mri::volumeSliceForDisplay(m_fine, mri::SlicePlane::Axial, 14, window);
    QVERIFY(cv::countNonZero(axial[0].enhanced != expected13) == 0 || cv::countNonZero(axial[0].enhanced != expected14) == 0);
    QCOMPARE(cv::countNonZero(axial[0].original != mri::volumeSliceForDisplay(m_thick, mri::SlicePlane::Axial, 3, window)), 0);

    // The rendered figure: both panels as wide as each other, one row.
    auto both = entries;
    both.push_back(mri::loadComparisonEntries(m_dataset, m_results, {1}).at(0));
    const cv::Mat figure = mri::renderComparisonFigure(both);
    QVERIFY(!figure.empty());
    QCOMPARE(figure.type(), CV_8UC3);
    // MRI_STUDIO_TEST_SHOTS=<folder>: keep the figure for a visual review.
    if (const QString shots = qEnvironmentVariable("MRI_STUDIO_TEST_SHOTS"); !shots.isEmpty())
        cv::imwrite((fs::path(shots.toStdString()) / "superres-figure.png").string(), figure);
}

void TestComparisonFigure::superResolvedPictureEntryHasPanelsOfOneSize()
{
    const auto entries = mri::loadComparisonEntries(m_dataset, m_results, {1});
    const auto &entry = entries.at(0);
    QCOMPARE(entry.scale, 2);
    QCOMPARE(entry.enhanced.size(), cv::Size(40, 32));
    QCOMPARE(entry.original.size(), cv::Size(40, 32));
    QCOMPARE(entry.original.at<uchar>(3, 5), entry.original.at<uchar>(2, 4)); // the 2x2 block of pixel (2, 1)
    QCOMPARE(QString::fromStdString(entry.scaleNote), QStringLiteral("×2 in-plane"));
    const auto rows = mri::comparisonFigureRows(entries);
    QCOMPARE(rows[0].panels[0].image.size(), rows[0].panels[1].image.size());
    QVERIFY(QString::fromStdString(rows[0].title).contains(QStringLiteral("x2 in-plane")));

    // A run that did not record the scale (scale 1) is still recognised by the sizes.
    auto unstated = m_results;
    unstated[1].scale = 1;
    QCOMPARE(mri::loadComparisonEntries(m_dataset, unstated, {1}).at(0).scale, 2);
    // A stated scale the sizes contradict is an error naming the file.
    auto wrong = m_results;
    wrong[1].scale = 3;
    QVERIFY_THROWS_EXCEPTION(mri::EngineError, mri::loadComparisonEntries(m_dataset, wrong, {1}));
}

void TestComparisonFigure::sameGridEntryIsUnchanged()
{
    const auto entries = mri::loadComparisonEntries(m_dataset, m_results, {2});
    QCOMPARE(entries.at(0).scale, 1);
    QVERIFY(entries.at(0).scaleNote.empty());
    const auto rows = mri::comparisonFigureRows(entries);
    QCOMPARE(QString::fromStdString(rows[0].panels[0].label), QStringLiteral("original"));
    QCOMPARE(QString::fromStdString(rows[0].panels[1].label), QStringLiteral("enhanced"));
    QVERIFY(!QString::fromStdString(rows[0].title).contains(QStringLiteral("input grid")));
    QVERIFY(!rows[0].panels[0].nearest);
}

QTEST_APPLESS_MAIN(TestComparisonFigure)
#include "tst_comparisonfigure.moc"
