// Super-resolution: the degradation model and its inverse, cubic B-spline
// interpolation, the geometry of volumes on the finer grid, the shapes and
// voxel sizes of a super-resolved volume, and a x2 model trained on a
// synthetic image of sharp edges against bicubic interpolation.

#include "base/EngineError.h"
#include "dataset/Dataset.h"
#include "enhance/EnhanceJob.h"
#include "enhance/Enhancer.h"
#include "enhance/SuperResolution.h"
#include "image/Resampling.h"
#include "io/CsvTable.h"
#include "io/ImageIO.h"
#include "io/NiftiFile.h"
#include "io/ScanVolume.h"
#include "quality/Metrics.h"
#include "training/Trainer.h"
#include "TestDatasets.h"

#include <QDir>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include <cmath>
#include <random>

using namespace mri;

class TestSuperResolution : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void areaDegradationUndoesReplication_data();
    void areaDegradationUndoesReplication();
    void degradationKeepsConstantsAndRamps_data();
    void degradationKeepsConstantsAndRamps();
    void bsplineInterpolatesTheThickSamples();
    void bsplineKeepsRampsInside();
    void volumeGridsOverlayInPatientSpace_data();
    void volumeGridsOverlayInPatientSpace();
    void arraySlicesRoundTrip();
    void thickestAxisIsFound();
    void badFactorsAreOneSentence();
    void superResolvedVolumeHasTheFinerGrid();
    void learnsSharpEdgesBetterThanBicubic();
    void enhancesPicturesAndVolumesOnTheFinerGrid();
    void refusesModelsThatDoNotFit();
    void commandLineTrainsAndEnhances();

private:
    // Two 8-bit pictures and a NIfTI volume of 2 mm slices (1 mm in-plane) in a dataset folder.
    std::filesystem::path writeMixedDataset(const QString &name, bool withVolume = true) const;

    QTemporaryDir m_dir;
    std::filesystem::path m_edgeModel;
};

namespace {

cv::Mat randomImage(int rows, int cols, unsigned seed)
{
    cv::Mat image(rows, cols, CV_32FC1);
    cv::RNG rng(seed);
    rng.fill(image, cv::RNG::UNIFORM, 0.0, 1.0);
    return image;
}

// Piecewise-constant shapes with sharp edges at every angle: discs and
// rotated rectangles of random grey levels on a grey ground.
cv::Mat edgeImage(int size, unsigned seed)
{
    std::mt19937 random(seed);
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    cv::Mat image(size * 4, size * 4, CV_32FC1, cv::Scalar(0.2 + 0.3 * unit(random)));
    for (int shape = 0; shape < 14; ++shape) {
        const cv::Point2f centre(static_cast<float>(unit(random) * size * 4), static_cast<float>(unit(random) * size * 4));
        const double level = 0.1 + 0.8 * unit(random);
        if (shape % 2 == 0) {
            cv::circle(image, centre, static_cast<int>(8 + unit(random) * size * 0.8), cv::Scalar(level), cv::FILLED,
                       cv::LINE_8);
        } else {
            const cv::RotatedRect box(centre, cv::Size2f(static_cast<float>(16 + unit(random) * size),
                                                         static_cast<float>(8 + unit(random) * size * 0.6)),
                                      static_cast<float>(unit(random) * 180.0));
            cv::Point2f corners[4];
            box.points(corners);
            std::vector<cv::Point> polygon;
            for (const auto &corner : corners)
                polygon.emplace_back(cv::Point(cvRound(corner.x), cvRound(corner.y)));
            cv::fillConvexPoly(image, polygon, cv::Scalar(level), cv::LINE_8);
        }
    }
    // Drawn at 4x and area-averaged: edges at sub-pixel positions, as a scanner samples them.
    cv::Mat sampled;
    cv::resize(image, sampled, cv::Size(size, size), 0, 0, cv::INTER_AREA);
    return sampled;
}

ScanVolume rampVolume(std::array<int, 4> size, std::array<double, 3> spacing)
{
    ScanVolume volume;
    volume.size = size;
    volume.spacing = spacing;
    volume.voxelToPatient = {{{0, 0, spacing[2], -12.0}, {spacing[0], 0, 0, 7.5}, {0, spacing[1], 0, -3.0}}};
    volume.voxels.resize(volume.voxelsPerVolume() * size[3]);
    std::size_t i = 0;
    for (int t = 0; t < size[3]; ++t)
        for (int z = 0; z < size[2]; ++z)
            for (int y = 0; y < size[1]; ++y)
                for (int x = 0; x < size[0]; ++x)
                    volume.voxels[i++] = static_cast<float>(0.01 * x + 0.02 * y + 0.03 * z + t);
    return volume;
}

std::array<double, 3> patientPosition(const ScanVolume &volume, double x, double y, double z)
{
    std::array<double, 3> position{};
    for (int r = 0; r < 3; ++r) {
        const auto &row = volume.voxelToPatient[static_cast<std::size_t>(r)];
        position[static_cast<std::size_t>(r)] = row[0] * x + row[1] * y + row[2] * z + row[3];
    }
    return position;
}

} // namespace

void TestSuperResolution::initTestCase()
{
    QVERIFY(m_dir.isValid());
    qputenv("OMP_WAIT_POLICY", "passive");
}

void TestSuperResolution::areaDegradationUndoesReplication_data()
{
    QTest::addColumn<int>("axis");
    QTest::addColumn<int>("factor");
    for (const int axis : {0, 1})
        for (const int factor : {2, 3, 4})
            QTest::addRow("axis %d x%d", axis, factor) << axis << factor;
}

// Area degradation has an exact right inverse: replicating each sample F times.
void TestSuperResolution::areaDegradationUndoesReplication()
{
    QFETCH(int, axis);
    QFETCH(int, factor);
    const cv::Mat image = randomImage(13, 17, 3);
    const cv::Mat replicated = replicateAlongAxis(image, axis, factor);
    QCOMPARE(axis == 0 ? replicated.cols : replicated.rows, (axis == 0 ? image.cols : image.rows) * factor);
    const cv::Mat back = degradeAlongAxis(replicated, axis, factor, SliceProfile::Area);
    QCOMPARE(back.size(), image.size());
    QVERIFY(cv::norm(back, image, cv::NORM_INF) < 1e-6);
    // And the area of F samples is their mean, computed by hand.
    const cv::Mat fine = randomImage(12, 12, 5);
    const cv::Mat coarse = degradeAlongAxis(fine, axis, factor, SliceProfile::Area);
    double sum = 0.0;
    for (int i = 0; i < factor; ++i)
        sum += axis == 0 ? fine.at<float>(4, factor + i) : fine.at<float>(factor + i, 4);
    QCOMPARE_LT(std::abs((axis == 0 ? coarse.at<float>(4, 1) : coarse.at<float>(1, 4)) - sum / factor), 1e-6);
    // A trailing partial group is dropped.
    QCOMPARE(degradeAlongAxis(randomImage(10, 10, 1), axis, 4, SliceProfile::Area).size(),
             axis == 0 ? cv::Size(2, 10) : cv::Size(10, 2));
}

void TestSuperResolution::degradationKeepsConstantsAndRamps_data()
{
    QTest::addColumn<int>("profile");
    QTest::addColumn<int>("factor");
    for (const auto profile : {SliceProfile::Area, SliceProfile::Gaussian})
        for (const int factor : {2, 3, 4})
            QTest::addRow("%s x%d", sliceProfileName(profile).c_str(), factor) << static_cast<int>(profile) << factor;
}

// Both profiles are normalised and symmetric about the thick sample's centre:
// a constant stays, a ramp gives its value at the centre (away from the ends).
void TestSuperResolution::degradationKeepsConstantsAndRamps()
{
    QFETCH(int, profile);
    QFETCH(int, factor);
    const auto kind = static_cast<SliceProfile>(profile);
    const cv::Mat constant(20, 40, CV_32FC1, cv::Scalar(0.37));
    QVERIFY(cv::norm(degradeAlongAxis(constant, 0, factor, kind), cv::Mat(20, 40 / factor, CV_32FC1, cv::Scalar(0.37)),
                     cv::NORM_INF) < 1e-6);
    cv::Mat ramp(3, 48, CV_32FC1);
    for (int x = 0; x < ramp.cols; ++x)
        ramp.col(x).setTo(0.5 + 0.01 * x);
    const cv::Mat coarse = degradeAlongAxis(ramp, 0, factor, kind);
    for (int k = 3; k < coarse.cols - 3; ++k)
        QCOMPARE_LT(std::abs(coarse.at<float>(1, k) - (0.5 + 0.01 * (k * factor + (factor - 1) / 2.0))), 1e-5);
    QVERIFY_THROWS_EXCEPTION(EngineError, degradeAlongAxis(ramp, 1, factor + 2, kind)); // 3 rows < factor
}

// Interpolation passes through the samples it interpolates: at the centres of
// the thick samples (odd factors) the fine grid returns them exactly.
void TestSuperResolution::bsplineInterpolatesTheThickSamples()
{
    const cv::Mat coarse = randomImage(9, 11, 7);
    QVERIFY(cv::norm(bsplineUpsampleAlongAxis(coarse, 0, 1, coarse.cols), coarse, cv::NORM_INF) < 1e-5);
    for (const int axis : {0, 1}) {
        const int length = (axis == 0 ? coarse.cols : coarse.rows) * 3;
        const cv::Mat fine = bsplineUpsampleAlongAxis(coarse, axis, 3, length);
        for (int k = 0; k < (axis == 0 ? coarse.cols : coarse.rows); ++k) {
            const cv::Mat thick = axis == 0 ? coarse.col(k) : coarse.row(k);
            const cv::Mat atCentre = axis == 0 ? fine.col(3 * k + 1) : fine.row(3 * k + 1);
            QVERIFY2(cv::norm(thick, atCentre, cv::NORM_INF) < 1e-5, qPrintable(QString("sample %1").arg(k)));
        }
    }
    const cv::Mat both = bsplineUpsampleInPlane(coarse, 3, cv::Size(33, 27));
    QCOMPARE(both.size(), cv::Size(33, 27));
    QCOMPARE_LT(std::abs(both.at<float>(3 * 4 + 1, 3 * 5 + 1) - coarse.at<float>(4, 5)), 1e-5);
}

// Cubic B-splines reproduce straight lines; the mirror boundary bends them
// only near the ends.
void TestSuperResolution::bsplineKeepsRampsInside()
{
    cv::Mat coarse(1, 20, CV_32FC1);
    for (int k = 0; k < coarse.cols; ++k)
        coarse.at<float>(0, k) = static_cast<float>(0.2 + 0.03 * k);
    const cv::Mat fine = bsplineUpsampleAlongAxis(coarse, 0, 4, 80);
    for (int j = 30; j < 50; ++j) { // the boundary's effect decays as 0.27^distance
        const double t = (j - 1.5) / 4.0;
        QVERIFY2(std::abs(fine.at<float>(0, j) - (0.2 + 0.03 * t)) < 1e-4, qPrintable(QString::number(j)));
    }
}

void TestSuperResolution::volumeGridsOverlayInPatientSpace_data()
{
    QTest::addColumn<int>("axis");
    QTest::addColumn<int>("factor");
    for (const int axis : {0, 1, 2})
        QTest::addRow("axis %d x4", axis) << axis << 4;
    QTest::addRow("axis 2 x3") << 2 << 3;
}

// Degrading and up-sampling move the voxel grid as an acquisition would: the
// thick voxel's centre is the centre of the fine voxels it averages, and the
// fine grid made from the thick one is the original grid again.
void TestSuperResolution::volumeGridsOverlayInPatientSpace()
{
    QFETCH(int, axis);
    QFETCH(int, factor);
    const auto volume = rampVolume({12, 10, 8, 2}, {0.5, 0.6, 0.7});
    const auto thick = degradeVolumeAlongAxis(volume, axis, factor, SliceProfile::Area);
    auto size = volume.size;
    size[static_cast<std::size_t>(axis)] /= factor;
    QCOMPARE(thick.size, size);
    QCOMPARE(thick.spacing[static_cast<std::size_t>(axis)], volume.spacing[static_cast<std::size_t>(axis)] * factor);
    QCOMPARE(thick.voxels.size(), thick.voxelsPerVolume() * 2);
    std::array<double, 3> index{1, 1, 1};
    std::array<double, 3> fineIndex = index;
    fineIndex[static_cast<std::size_t>(axis)] = factor + (factor - 1) / 2.0;
    const auto thickAt = patientPosition(thick, index[0], index[1], index[2]);
    const auto fineAt = patientPosition(volume, fineIndex[0], fineIndex[1], fineIndex[2]);
    for (int r = 0; r < 3; ++r)
        QCOMPARE_LT(std::abs(thickAt[static_cast<std::size_t>(r)] - fineAt[static_cast<std::size_t>(r)]), 1e-9);
    // The ramp is linear: the thick voxel holds the value at its centre.
    const int x = axis == 0 ? 1 : 2, y = axis == 1 ? 1 : 2, z = axis == 2 ? 1 : 2;
    const double centre = (factor - 1) / 2.0 + factor;
    const double expected = 0.01 * (axis == 0 ? centre : x) + 0.02 * (axis == 1 ? centre : y) + 0.03 * (axis == 2 ? centre : z) + 1;
    QCOMPARE_LT(std::abs(thick.at(x, y, z, 1) - expected), 1e-5);

    const auto fine = bsplineUpsampleVolumeAlongAxis(thick, axis, factor, thick.size[static_cast<std::size_t>(axis)] * factor);
    QCOMPARE(fine.size, (std::array<int, 4>{axis == 0 ? 12 / factor * factor : 12, axis == 1 ? 10 / factor * factor : 10,
                                            axis == 2 ? 8 / factor * factor : 8, 2}));
    QCOMPARE_LT(std::abs(fine.spacing[static_cast<std::size_t>(axis)] - volume.spacing[static_cast<std::size_t>(axis)]), 1e-12);
    for (int r = 0; r < 3; ++r)
        for (int c = 0; c < 4; ++c)
            QCOMPARE_LT(std::abs(fine.voxelToPatient[static_cast<std::size_t>(r)][static_cast<std::size_t>(c)]
                                 - volume.voxelToPatient[static_cast<std::size_t>(r)][static_cast<std::size_t>(c)]),
                        1e-9);
}

void TestSuperResolution::arraySlicesRoundTrip()
{
    auto volume = rampVolume({6, 5, 4, 2}, {1, 1, 1});
    for (const int across : {0, 1, 2}) {
        const cv::Mat slice = arraySlice(volume, across, 1, 1);
        const int rows = across == 2 ? 5 : 4;
        const int cols = across == 0 ? 5 : 6;
        QCOMPARE(slice.size(), cv::Size(cols, rows));
        // Rows follow the higher remaining axis, columns the lower.
        QCOMPARE(slice.at<float>(1, 1), volume.at(1, 1, 1, 1));
        QCOMPARE(slice.at<float>(2, 3), across == 0 ? volume.at(1, 3, 2, 1) : across == 1 ? volume.at(3, 1, 2, 1)
                                                                                  : volume.at(3, 2, 1, 1));
        cv::Mat changed = slice + 5.0f;
        insertArraySlice(volume, across, 1, 1, changed);
        QVERIFY(cv::norm(arraySlice(volume, across, 1, 1), changed, cv::NORM_INF) == 0.0);
        QVERIFY(cv::norm(arraySlice(volume, across, 1, 0), arraySlice(rampVolume({6, 5, 4, 2}, {1, 1, 1}), across, 1, 0),
                         cv::NORM_INF) == 0.0);
    }
}

void TestSuperResolution::thickestAxisIsFound()
{
    QCOMPARE(thickestAxisOf(rampVolume({4, 4, 4, 1}, {1, 1, 4})), 2);
    QCOMPARE(thickestAxisOf(rampVolume({4, 4, 4, 1}, {0.5, 3, 0.5})), 1);
    QCOMPARE(thickestAxisOf(rampVolume({4, 4, 4, 1}, {1, 1, 1})), 0);
}

void TestSuperResolution::badFactorsAreOneSentence()
{
    const cv::Mat image = randomImage(8, 8, 1);
    QVERIFY_THROWS_EXCEPTION(EngineError, degradeAlongAxis(image, 0, 0, SliceProfile::Area));
    QVERIFY_THROWS_EXCEPTION(EngineError, degradeAlongAxis(image, 2, 2, SliceProfile::Area));
    QVERIFY_THROWS_EXCEPTION(EngineError, bsplineUpsampleAlongAxis(image, 0, 2, 0));
    QVERIFY_THROWS_EXCEPTION(EngineError, degradeVolumeAlongAxis(rampVolume({4, 4, 4, 1}, {1, 1, 1}), 3, 2,
                                                                 SliceProfile::Area));
    QCOMPARE(parseSliceProfile("Gaussian"), std::optional<SliceProfile>(SliceProfile::Gaussian));
    QVERIFY(!parseSliceProfile("box").has_value());
}

// Trains the edge model the last test measures; this one checks the grid of
// a volume it super-resolves: size along the slice axis times the factor,
// spacing divided by it, the same patient extent.
void TestSuperResolution::superResolvedVolumeHasTheFinerGrid()
{
    std::vector<TrainingSlice> slices;
    for (unsigned seed = 1; seed <= 12; ++seed)
        slices.push_back({"edges " + std::to_string(seed), edgeImage(64, seed), {}, {}});
    TrainingOptions options;
    options.objective = TrainingObjective::SuperResolution;
    options.superresScale = 2;
    options.modelFile = (std::filesystem::path(m_dir.path().toStdString()) / "edges.pt");
    options.network.baseChannels = 16;
    options.epochs = 6;
    options.patchSize = 32;
    options.batchSize = 16;
    options.patchesPerImage = 48;
    options.learningRate = 1e-3;
    options.validationFraction = 0.0;
    options.seed = 11;
    const std::atomic_bool cancel{false};
    const auto result = trainOnSlices(slices, options, {}, cancel);
    QCOMPARE(result.epochsCompleted, options.epochs);
    QCOMPARE(result.settings.superresAxes, 2); // pictures: in-plane
    QVERIFY(!result.settings.ricianCorrection);
    QVERIFY(result.settings.network.residualOutput);
    QVERIFY(!result.settings.network.batchNorm);
    m_edgeModel = options.modelFile;

    const auto model = Enhancer::load(m_edgeModel);
    QCOMPARE(superResolutionScale(model.info()), 2);
    ScanVolume volume = rampVolume({20, 18, 7, 1}, {0.8, 0.8, 1.6});
    const auto fine = superResolveVolume(model, volume, 2, networkRangeOf(volume));
    QVERIFY(fine.has_value());
    QCOMPARE(fine->size, (std::array<int, 4>{20, 18, 14, 1}));
    QCOMPARE(fine->spacing[2], 0.8);
    QCOMPARE(fine->spacing[0], 0.8);
    // The first and last fine slices lie a quarter of a thick slice inside its ends.
    const auto first = patientPosition(*fine, 0, 0, 0);
    const auto thickFirst = patientPosition(volume, 0, 0, -0.25);
    for (int r = 0; r < 3; ++r)
        QCOMPARE_LT(std::abs(first[static_cast<std::size_t>(r)] - thickFirst[static_cast<std::size_t>(r)]), 1e-9);
    double low = 0.0, high = 0.0;
    cv::minMaxLoc(cv::Mat(1, static_cast<int>(fine->voxels.size()), CV_32FC1, const_cast<float *>(fine->voxels.data())), &low, &high);
    const auto range = networkRangeOf(volume);
    QVERIFY(low >= range.low - 1e-4 && high <= range.high + 1e-4);
    // A denoising model is refused with a sentence.
    QVERIFY_THROWS_EXCEPTION(EngineError, superResolveUnit(Enhancer::load(QFINDTESTDATA("data/models/model-v1.pt").toStdString()),
                                                           randomImage(16, 16, 2)));
}

// On shapes it never saw, x2 learnt from the slices beats bicubic and B-spline
// interpolation of the same coarse image.
void TestSuperResolution::learnsSharpEdgesBetterThanBicubic()
{
    QVERIFY(!m_edgeModel.empty());
    const auto model = Enhancer::load(m_edgeModel);
    double gainOverBicubic = 0.0;
    double gainOverBspline = 0.0;
    for (unsigned seed = 101; seed <= 103; ++seed) {
        const cv::Mat truth = edgeImage(96, seed);
        const cv::Mat coarse = degradeInPlane(truth, 2, SliceProfile::Area);
        const cv::Mat sharp = superResolveUnit(model, coarse);
        QCOMPARE(sharp.size(), truth.size());
        cv::Mat bicubic;
        cv::resize(coarse, bicubic, truth.size(), 0, 0, cv::INTER_CUBIC);
        const cv::Mat bspline = bsplineUpsampleInPlane(coarse, 2, truth.size());
        const double network = peakSignalNoiseRatio(truth, sharp, 1.0);
        gainOverBicubic += network - peakSignalNoiseRatio(truth, bicubic, 1.0);
        gainOverBspline += network - peakSignalNoiseRatio(truth, bspline, 1.0);
        QVERIFY(structuralSimilarity(truth, sharp, 1.0) > structuralSimilarity(truth, bicubic, 1.0));
    }
    qInfo("x2 on unseen edges: %+.2f dB over bicubic, %+.2f dB over cubic B-spline (mean of 3)", gainOverBicubic / 3,
          gainOverBspline / 3);
    // About +1.3 dB on the build machine; the margin absorbs other CPUs' kernels.
    QCOMPARE_GT(gainOverBicubic / 3, 0.5);
    QCOMPARE_GT(gainOverBspline / 3, 0.5);
}

std::filesystem::path TestSuperResolution::writeMixedDataset(const QString &name, bool withVolume) const
{
    const QDir folder(m_dir.filePath(name));
    QDir().mkpath(folder.filePath("images"));
    const auto root = std::filesystem::path(folder.path().toStdString());
    for (int i = 0; i < 2; ++i) {
        const cv::Mat slice = test::syntheticSlice(64, 48, 20 + i);
        cv::Mat bytes;
        slice.convertTo(bytes, CV_8U, 255.0);
        saveImageAtomically(root / "images" / ("p" + std::to_string(i) + ".png"), bytes);
    }
    ScanVolume volume;
    volume.size = {40, 36, 6, 1};
    volume.spacing = {1.0, 1.0, 2.0};
    volume.voxelToPatient = {{{1, 0, 0, -20}, {0, 1, 0, -18}, {0, 0, 2, -6}}};
    for (int z = 0; z < 6; ++z) {
        const cv::Mat slice = test::syntheticSlice(40, 36, 30 + z);
        volume.voxels.insert(volume.voxels.end(), slice.ptr<float>(), slice.ptr<float>() + slice.total());
    }
    for (auto &voxel : volume.voxels)
        voxel = std::round(voxel * 1000.0f);
    writeNiftiVolume(volume, root / "images" / "head.nii.gz", "test", kNiftiInt16);
    CsvTable table{{"patient_id", "image_path"}, {{"P0", "images/p0.png"}, {"P1", "images/p1.png"}}};
    if (withVolume)
        table.rows.push_back({"P2", "images/head.nii.gz"});
    writeCsvFileAtomically(root / "brain_tumor_info.csv", table);
    return root;
}

// Pictures come out twice as large, volumes with twice the slices at half
// the thickness; the CSV says so and scores them on the input's grid; a
// denoiser and a super-resolution model chain in one run.
void TestSuperResolution::enhancesPicturesAndVolumesOnTheFinerGrid()
{
    QVERIFY(!m_edgeModel.empty());
    const auto root = writeMixedDataset("mixed");
    const auto dataset = openDataset(root);
    // A through-plane model trained on the volume row: its axial slices, one axis degraded.
    TrainingOptions training;
    training.objective = TrainingObjective::SuperResolution;
    training.modelFile = root.parent_path() / "through.pt";
    training.network.baseChannels = 4;
    training.epochs = 1;
    training.patchSize = 16;
    training.patchesPerImage = 4;
    training.validationFraction = 0.0;
    training.seed = 3;
    Dataset volumes = dataset;
    volumes.rows = {dataset.rows[2]};
    const std::atomic_bool cancel{false};
    const auto trained = trainModel(volumes, training, {}, cancel);
    QCOMPARE(trained.settings.superresAxes, 1);

    EnhanceOptions pictures;
    pictures.modelFile = m_edgeModel;
    pictures.patientIds = {"P0", "P1"};
    pictures.scale = 2;
    auto result = enhanceDataset(dataset, pictures, {}, cancel);
    QCOMPARE(result.succeeded, 2);
    for (const int row : {0, 1}) {
        const auto &outcome = result.rows[static_cast<std::size_t>(row)];
        QCOMPARE(outcome.scale, 2);
        QCOMPARE(outcome.upsampledAxis, -1);
        QCOMPARE(loadGrayscaleImage(outcome.enhancedImage).size(), cv::Size(128, 96));
        QVERIFY(outcome.psnr > 20.0 && outcome.ssim > 0.5);
    }
    EnhanceOptions throughPlane;
    throughPlane.modelFile = training.modelFile;
    throughPlane.patientIds = {"P2"};
    throughPlane.throughPlane = true;
    result = enhanceDataset(dataset, throughPlane, {}, cancel);
    QCOMPARE(result.succeeded, 1);
    const auto written = readScan(result.rows[2].enhancedImage);
    QCOMPARE(written.size, (std::array<int, 4>{40, 36, 12, 1}));
    QCOMPARE(written.spacing[2], 1.0);
    QCOMPARE(result.rows[2].upsampledAxis, 2);
    QVERIFY(std::isfinite(result.rows[2].psnr));

    // The CSV keeps both runs' rows and says how each was scored.
    const auto table = readCsvFile(root / "brain_tumor_info_metrics.csv");
    const auto column = [&](const char *name) { return static_cast<std::size_t>(table.columnIndex(name)); };
    QCOMPARE(table.rows.size(), std::size_t(3));
    QCOMPARE(table.rows[0][column("scale")], std::string("2"));
    QCOMPARE(table.rows[0][column("upsampled_along")], std::string("x y"));
    QCOMPARE(table.rows[0][column("metrics_grid")], std::string("input"));
    QCOMPARE(table.rows[2][column("upsampled_along")], std::string("z"));
    // Read back, for the comparison view.
    const auto reread = readMetricsCsv(dataset, root / "brain_tumor_info_metrics.csv");
    QCOMPARE(reread[2].scale, 2);
    QCOMPARE(reread[2].upsampledAxis, 2);
    QCOMPARE(reread[0].upsampledAxis, -1);

    // Denoise, then x2, in one run: both models' digests on the row.
    EnhanceOptions chained;
    chained.modelFile = QFINDTESTDATA("data/models/model-v1.pt").toStdString();
    chained.resolutionModel = m_edgeModel;
    chained.patientIds = {"P0"};
    chained.outputDir = root / "chained";
    chained.metricsCsv = root / "chained.csv";
    result = enhanceDataset(dataset, chained, {}, cancel);
    QCOMPARE(result.succeeded, 1);
    QCOMPARE(result.rows[0].scale, 2);
    QVERIFY(result.modelSha256.find('+') == 64);
    QCOMPARE(loadGrayscaleImage(result.rows[0].enhancedImage).size(), cv::Size(128, 96));
}

// Each refusal is one sentence before any work, or the row's own error.
void TestSuperResolution::refusesModelsThatDoNotFit()
{
    QVERIFY(!m_edgeModel.empty());
    const auto root = writeMixedDataset("refusals");
    const auto dataset = openDataset(root);
    const std::atomic_bool cancel{false};
    const auto refusal = [&](EnhanceOptions options) -> std::string {
        try {
            enhanceDataset(dataset, options, {}, cancel);
        } catch (const EngineError &error) {
            return error.what();
        }
        return {};
    };
    EnhanceOptions wrongScale;
    wrongScale.modelFile = m_edgeModel;
    wrongScale.scale = 3;
    QVERIFY2(refusal(wrongScale).find("trained for x2, not x3") != std::string::npos, refusal(wrongScale).c_str());
    EnhanceOptions denoiserScaled;
    denoiserScaled.modelFile = QFINDTESTDATA("data/models/model-v1.pt").toStdString();
    denoiserScaled.scale = 2;
    QVERIFY(refusal(denoiserScaled).find("denoises only") != std::string::npos);
    EnhanceOptions swapped;
    swapped.modelFile = m_edgeModel;
    swapped.resolutionModel = m_edgeModel;
    QVERIFY(refusal(swapped).find("give the denoising model first") != std::string::npos);
    EnhanceOptions notUpscaler;
    notUpscaler.modelFile = denoiserScaled.modelFile;
    notUpscaler.resolutionModel = denoiserScaled.modelFile;
    QVERIFY(refusal(notUpscaler).find("is not a super-resolution model") != std::string::npos);
    EnhanceOptions throughPictures;
    throughPictures.modelFile = m_edgeModel;
    throughPictures.throughPlane = true;
    QVERIFY(refusal(throughPictures).find("trained on pictures") != std::string::npos);
    // An in-plane model fails the volume row alone, with a sentence; the pictures are done.
    EnhanceOptions inPlane;
    inPlane.modelFile = m_edgeModel;
    const auto result = enhanceDataset(dataset, inPlane, {}, cancel);
    QCOMPARE(result.succeeded, 2);
    QCOMPARE(result.failed, 1);
    QVERIFY2(result.rows[2].error.find("needs one trained on volumes") != std::string::npos, result.rows[2].error.c_str());
}

// The user's commands: train --objective superres --scale 2, enhance --scale 2.
void TestSuperResolution::commandLineTrainsAndEnhances()
{
#ifndef MRI_ENHANCE_EXECUTABLE
    QSKIP("mri-enhance is not built");
#else
    const auto root = writeMixedDataset("cli", false);
    const QString folder = QString::fromStdString(root.string());
    const QString model = QDir(folder).filePath("sr.pt");
    const auto run = [](const QStringList &arguments) {
        QProcess process;
        process.start(QStringLiteral(MRI_ENHANCE_EXECUTABLE), arguments);
        process.waitForFinished(240000);
        return std::make_pair(process.exitCode(), QString::fromUtf8(process.readAllStandardOutput() + process.readAllStandardError()));
    };
    auto [code, text] = run({"train", "--dataset", folder, "--model", model, "--objective", "superres", "--scale", "2",
                             "--epochs", "1", "--patch", "16", "--patches-per-image", "4",
                             "--base-channels", "4", "--validation", "0", "--quiet"});
    QVERIFY2(code == 0, qPrintable(text));
    std::tie(code, text) = run({"enhance", "--dataset", folder, "--model", model, "--scale", "2", "--patients", "P0",
                                "--quiet"});
    QVERIFY2(code == 0, qPrintable(text));
    QCOMPARE(loadGrayscaleImage(root / "enhanced_images" / "images" / "p0.png").size(), cv::Size(128, 96));
    std::tie(code, text) = run({"enhance", "--dataset", folder, "--model", model, "--scale", "4", "--patients", "P0"});
    QCOMPARE(code, 1); // refused before any work, as every engine refusal
    QVERIFY2(text.contains("trained for x2, not x4"), qPrintable(text));
#endif
}

QTEST_GUILESS_MAIN(TestSuperResolution)
#include "tst_superres.moc"
