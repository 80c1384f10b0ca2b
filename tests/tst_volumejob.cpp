// Volumes (NIfTI, DICOM) at the dataset and job level: scanning a folder of
// mixed scans, enhancing each kind of volume row (outputs, geometry, metrics,
// inputs untouched), enhancing along another plane with per-slice metrics,
// bad volume rows failing alone with one sentence, and training on a mixed
// dataset. Data is written by the engine's own writers; enhancement uses the
// small committed model of tests/data/models, training a tiny run.

#include "base/EngineError.h"
#include "dataset/Dataset.h"
#include "enhance/EnhanceJob.h"
#include "io/CsvTable.h"
#include "io/DicomSeries.h"
#include "io/ImageIO.h"
#include "io/NiftiFile.h"
#include "io/ScanVolume.h"
#include "model/TrainingSettings.h"
#include "quality/Metrics.h"
#include "quality/Noise.h"
#include "quality/TissueContrast.h"
#include "quality/VolumeMetrics.h"
#include "training/Trainer.h"
#include "DicomTestSupport.h"
#include "TestDatasets.h"

#include <QCryptographicHash>
#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QTemporaryDir>
#include <QtTest>

#include <gdcmDataSet.h>
#include <gdcmReader.h>
#include <gdcmWriter.h>

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <set>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>

using namespace mri;
namespace fs = std::filesystem;

namespace {

// A volume of synthetic slices: values offset + scale * [0, 1], spacing and an
// origin so that the geometry is not the identity.
ScanVolume makeVolume(int nx, int ny, int nz, int nt, double scale, double offset,
                      std::array<double, 3> spacing = {0.9, 1.1, 2.5})
{
    ScanVolume volume;
    volume.size = {nx, ny, nz, nt};
    volume.spacing = spacing;
    volume.voxelToPatient = {{{spacing[0], 0, 0, -10.0}, {0, spacing[1], 0, 20.0}, {0, 0, spacing[2], -30.0}}};
    volume.voxels.resize(static_cast<std::size_t>(nx) * ny * nz * nt);
    std::size_t i = 0;
    for (int t = 0; t < nt; ++t) {
        for (int z = 0; z < nz; ++z) {
            const cv::Mat slice = test::syntheticSlice(nx, ny, 100 + 10 * t + z);
            for (int y = 0; y < ny; ++y) {
                for (int x = 0; x < nx; ++x)
                    volume.voxels[i++] = static_cast<float>(offset + scale * slice.at<float>(y, x));
            }
        }
    }
    return volume;
}

QByteArray treeDigest(const fs::path &path)
{
    QCryptographicHash hash(QCryptographicHash::Sha256);
    QStringList files;
    const QString root = QString::fromStdString(path.string());
    if (QFileInfo(root).isDir()) {
        QDirIterator it(root, QDir::Files | QDir::Hidden, QDirIterator::Subdirectories);
        while (it.hasNext())
            files.push_back(it.next());
    } else {
        files.push_back(root);
    }
    files.sort();
    for (const auto &name : files) {
        QFile file(name);
        if (file.open(QIODevice::ReadOnly)) {
            hash.addData(name.toUtf8());
            hash.addData(file.readAll());
        }
    }
    return hash.result();
}

void writeText(const fs::path &file, const std::string &text)
{
    fs::create_directories(file.parent_path());
    std::ofstream(file, std::ios::binary) << text;
}

void writePicture(const fs::path &file, std::uint64_t seed)
{
    fs::create_directories(file.parent_path());
    saveImageAtomically(file, fromUnitFloat(test::syntheticSlice(40, 32, seed), CV_8U));
}

// GDCM edits, as tests/tst_dicom.cpp makes broken files.
std::string stringOf(const fs::path &file, uint16_t group, uint16_t element)
{
    gdcm::Reader reader;
    reader.SetFileName(file.c_str());
    reader.Read();
    const auto &dataSet = reader.GetFile().GetDataSet();
    const gdcm::Tag tag(group, element);
    if (!dataSet.FindDataElement(tag) || !dataSet.GetDataElement(tag).GetByteValue())
        return {};
    const auto *bytes = dataSet.GetDataElement(tag).GetByteValue();
    std::string text(bytes->GetPointer(), bytes->GetLength());
    while (!text.empty() && (text.back() == ' ' || text.back() == '\0'))
        text.pop_back();
    return text;
}

DicomWriteOptions dicomOptions(const std::string &patient, DicomWriteOptions::Compression compression = {},
                               bool multiFrame = false)
{
    DicomWriteOptions options;
    options.patientId = patient;
    options.studyDate = "20240102";
    options.seriesDescription = "T1 " + patient;
    options.compression = compression;
    options.multiFrame = multiFrame;
    return options;
}

int column(const CsvTable &table, const char *name)
{
    const int index = table.columnIndex(name);
    if (index < 0)
        qFatal("no column %s", name);
    return index;
}

void compareGeometry(const ScanVolume &read, const ScanVolume &expected)
{
    QCOMPARE(read.size, expected.size);
    for (int a = 0; a < 3; ++a)
        QVERIFY2(std::abs(read.spacing[a] - expected.spacing[a]) < 1e-4, qPrintable(QString::number(a)));
    for (int r = 0; r < 3; ++r) {
        for (int c = 0; c < 4; ++c)
            QVERIFY2(std::abs(read.voxelToPatient[r][c] - expected.voxelToPatient[r][c]) < 1e-3,
                     qPrintable(QString("voxelToPatient[%1][%2]").arg(r).arg(c)));
    }
}

} // namespace

class TestVolumeJob final : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void scannedFolderOfMixedScans();
    void enhancesNiftiRows_data();
    void enhancesNiftiRows();
    void enhancesDicomRows_data();
    void enhancesDicomRows();
    void enhancesFourDimensionalDicomRows_data();
    void enhancesFourDimensionalDicomRows();
    void nonFiniteVoxelsStayInPlace_data();
    void nonFiniteVoxelsStayInPlace();
    void anotherPlaneAndPerSliceMetrics();
    void theContrastStepGoesSliceBySliceAlongThePlane();
    void slicesGoBackWhereTheyCameFrom_data();
    void slicesGoBackWhereTheyCameFrom();
    void oneStemTwoNiftiFilesAndASeriesAtTheTop();
    void upperCaseNiftiNames();
    void badVolumeRowsFailAlone_data();
    void badVolumeRowsFailAlone();
    void cancellingInsideAVolumeWritesNothingForIt();
    void trainsOnAMixedDataset();
    void airOnlySlicesLoseTheirFloorToo();
    void floorFollowsAVaryingNoiseLevel();
    void trainingSkipsUnusableVolumes();

private:
    static fs::path model() { return MRI_TEST_DATA_DIR "/models/model-v1.pt"; }
    fs::path fresh(const std::string &name) const;
    static EnhanceRunResult run(const Dataset &dataset, EnhanceOptions options = {});
    // A one-volume dataset `name`/head.nii.gz: slice z is cleanSlice(z) (unit
    // range) with `spec` noise of sigma 0.05 (seeds seed + z), stored x 1000.
    Dataset noisyHeadDataset(const std::string &name, int nx, int ny, int nz,
                             const std::function<cv::Mat(int)> &cleanSlice, const NoiseSpec &spec, int seed) const;
    // A small network's training (patch 32, batch 4, base 8, no validation) of
    // `epochs` epochs of `patches` patches per image into `model`.
    static TrainingOptions smallTraining(const fs::path &model, int epochs, int patches, std::uint64_t seed,
                                         int threads);
    // The small model the floor tests train on a dataset (8 epochs of 8 steps).
    fs::path trainFloorModel(const Dataset &dataset, const std::string &name) const;

    QTemporaryDir m_dir;
};

void TestVolumeJob::initTestCase()
{
    QVERIFY(m_dir.isValid());
}

Dataset TestVolumeJob::noisyHeadDataset(const std::string &name, int nx, int ny, int nz,
                                        const std::function<cv::Mat(int)> &cleanSlice, const NoiseSpec &spec,
                                        int seed) const
{
    const fs::path folder = fresh(name);
    ScanVolume volume = makeVolume(nx, ny, nz, 1, 1.0, 0.0);
    for (int z = 0; z < nz; ++z) {
        const cv::Mat noisy = addNoise(cleanSlice(z), spec, 0.05, static_cast<std::uint64_t>(seed + z));
        for (int y = 0; y < ny; ++y)
            for (int x = 0; x < nx; ++x)
                volume.voxels[(static_cast<std::size_t>(z) * ny + y) * nx + x] = 1000.0f * noisy.at<float>(y, x);
    }
    writeNiftiVolume(volume, folder / "head.nii.gz", "test", kNiftiFloat32);
    writeText(folder / "brain_tumor_info.csv", "patient_id,image_path\nP1,head.nii.gz\n");
    return openDataset(folder);
}

TrainingOptions TestVolumeJob::smallTraining(const fs::path &model, int epochs, int patches, std::uint64_t seed,
                                             int threads)
{
    TrainingOptions options;
    options.modelFile = model;
    options.epochs = epochs;
    options.patchSize = 32;
    options.batchSize = 4;
    options.patchesPerImage = patches;
    options.validationFraction = 0.0;
    options.seed = seed;
    options.threads = threads;
    options.network.baseChannels = 8;
    return options;
}

fs::path TestVolumeJob::trainFloorModel(const Dataset &dataset, const std::string &name) const
{
    const TrainingOptions options = smallTraining(fresh(name) / "model.pt", 8, 32, 3, 2);
    std::atomic_bool cancel{false};
    trainModel(dataset, options, {}, cancel);
    return options.modelFile;
}

fs::path TestVolumeJob::fresh(const std::string &name) const
{
    const fs::path path = fs::path(m_dir.path().toStdString()) / name;
    fs::remove_all(path);
    fs::create_directories(path);
    return path;
}

EnhanceRunResult TestVolumeJob::run(const Dataset &dataset, EnhanceOptions options)
{
    if (options.modelFile.empty())
        options.modelFile = model();
    std::atomic_bool cancel{false};
    return enhanceDataset(dataset, options, {}, cancel);
}

void TestVolumeJob::scannedFolderOfMixedScans()
{
    const fs::path folder = fresh("scanned");
    writePicture(folder / "pic.png", 1);
    writeNiftiVolume(makeVolume(24, 20, 6, 1, 800.0, 0.0), folder / "head.nii.gz", "test", kNiftiFloat32);
    writeDicomSeries(makeVolume(24, 20, 5, 1, 3000.0, 50.0), folder / "sub" / "deep", dicomOptions("PAT-D"));
    // Two series in one folder: written apart, then moved together.
    for (const char *name : {"A", "B"}) {
        const fs::path apart = fresh(std::string("apart") + name);
        writeDicomSeries(makeVolume(24, 20, 5, 1, 2000.0, 10.0), apart, dicomOptions(std::string("PAT-") + name));
        fs::create_directories(folder / "two");
        for (const auto &file : filesIn(apart))
            fs::rename(file, folder / "two" / (std::string(name) + file.filename().string()));
    }

    const Dataset dataset = openDataset(folder);
    QVERIFY(dataset.csvFile.empty());
    QCOMPARE(dataset.columns, (std::vector<std::string>{"patient_id", "image_path", "series_uid", "study_date",
                                                       "series_description"}));
    QCOMPARE(dataset.rows.size(), std::size_t(5));
    const auto &rows = dataset.rows;
    QCOMPARE(rows[0].imagePathText, std::string("head.nii.gz"));
    QCOMPARE(rows[0].patientId, std::string("head"));
    QCOMPARE(rows[1].imagePathText, std::string("pic.png"));
    QCOMPARE(rows[1].patientId, std::string("pic"));
    QCOMPARE(rows[2].imagePathText, std::string("sub/deep"));
    QCOMPARE(rows[2].patientId, std::string("PAT-D"));
    QCOMPARE(rows[3].imagePathText, std::string("two"));
    QCOMPARE(rows[4].imagePathText, std::string("two"));
    QCOMPARE((std::set<std::string>{rows[3].patientId, rows[4].patientId}), (std::set<std::string>{"PAT-A", "PAT-B"}));
    for (std::size_t i = 0; i < rows.size(); ++i) {
        QCOMPARE(rows[i].fields.size(), dataset.columns.size());
        const bool twoSeries = i >= 3;
        QCOMPARE(rows[i].seriesUid.empty(), !twoSeries);
        QCOMPARE(rows[i].fields[2], rows[i].seriesUid);
        const bool dicom = i >= 2;
        QCOMPARE(rows[i].fields[3], std::string(dicom ? "20240102" : ""));
        QCOMPARE(rows[i].fields[4], dicom ? "T1 " + rows[i].patientId : std::string());
    }
    QVERIFY(rows[3].seriesUid != rows[4].seriesUid);
    // The series_uid picks each row's own series.
    QCOMPARE(readScan(rows[3].imagePath, rows[3].seriesUid).patientId, rows[3].patientId);
    QCOMPARE(readScan(rows[4].imagePath, rows[4].seriesUid).patientId, rows[4].patientId);

    const auto result = run(dataset);
    for (const auto &row : result.rows)
        QVERIFY2(row.done, row.error.c_str());
    QCOMPARE(result.succeeded, 5);
    QVERIFY(fs::exists(folder / "enhanced_images" / "head_enhanced.nii.gz"));
    QVERIFY(fs::is_directory(folder / "enhanced_images" / "sub" / "deep"));
    QVERIFY(result.rows[3].enhancedImage != result.rows[4].enhancedImage);

    // The results (DICOM series among them) are not scanned as inputs.
    const Dataset again = openDataset(folder);
    QCOMPARE(again.rows.size(), dataset.rows.size());
    for (std::size_t i = 0; i < rows.size(); ++i) {
        QCOMPARE(again.rows[i].imagePathText, rows[i].imagePathText);
        QCOMPARE(again.rows[i].patientId, rows[i].patientId);
        QCOMPARE(again.rows[i].seriesUid, rows[i].seriesUid);
    }
}

void TestVolumeJob::enhancesNiftiRows_data()
{
    QTest::addColumn<int>("datatype");
    QTest::addColumn<int>("frames");
    QTest::addColumn<double>("slope"); // 0: no scaling
    QTest::newRow("float32 3-D") << kNiftiFloat32 << 1 << 0.0;
    QTest::newRow("int16 scaled") << kNiftiInt16 << 1 << 0.5;
    QTest::newRow("int16 4-D unscaled") << kNiftiInt16 << 2 << 0.0;
}

void TestVolumeJob::enhancesNiftiRows()
{
    QFETCH(int, datatype);
    QFETCH(int, frames);
    QFETCH(double, slope);
    const fs::path folder = fresh("nifti");
    const ScanVolume made = makeVolume(24, 20, 6, frames, 1500.0, 20.0);
    // Scaling: written as a plain .nii, then scl_slope and scl_inter patched
    // in (NIfTI-1 header offsets 112 and 116).
    const fs::path input = folder / (slope != 0.0 ? "scan.nii" : "scan.nii.gz");
    writeNiftiVolume(made, input, "test", datatype);
    if (slope != 0.0) {
        std::fstream file(input, std::ios::in | std::ios::out | std::ios::binary);
        const float values[2] = {static_cast<float>(slope), 7.0f};
        file.seekp(112);
        file.write(reinterpret_cast<const char *>(values), sizeof values);
    }
    writeText(folder / "brain_tumor_info.csv", "patient_id,image_path\nP1," + input.filename().string() + "\n");
    const ScanVolume source = readNiftiFile(input);
    const QByteArray before = treeDigest(input);

    double expectedRange = 0.0;
    if (datatype == kNiftiInt16 && slope == 0.0) {
        expectedRange = 65535.0;
    } else {
        const auto [low, high] = std::minmax_element(source.voxels.begin(), source.voxels.end());
        expectedRange = static_cast<double>(*high) - *low;
        if (slope != 0.0) // the scaled values are read
            QVERIFY(std::abs(source.voxels[0] - (7.0 + slope * std::round(made.voxels[0]))) < 1e-3);
    }
    QCOMPARE(source.dataRange, expectedRange);

    const auto result = run(openDataset(folder));
    QCOMPARE(result.succeeded, 1);
    const auto &row = result.rows[0];
    QVERIFY2(row.done, row.error.c_str());
    const fs::path output = folder / "enhanced_images" / "scan_enhanced.nii.gz";
    QCOMPARE(row.enhancedImage, output);
    const ScanVolume written = readNiftiFile(output);
    compareGeometry(written, source);
    QCOMPARE(written.size[3], frames);

    const auto metrics = compareVolumes(source, written);
    const auto table = readCsvFile(result.metricsCsv);
    QCOMPARE(table.rows.size(), std::size_t(1));
    const auto &fields = table.rows[0];
    QCOMPARE(fields[column(table, "format")], std::string("nifti"));
    QCOMPARE(fields[column(table, "slices")], std::to_string(6 * frames));
    QCOMPARE(fields[column(table, "enhanced_image_path")], std::string("enhanced_images/scan_enhanced.nii.gz"));
    QVERIFY(std::abs(parseMetric(fields[column(table, "data_range")]) - expectedRange) < 1e-6 * expectedRange);
    QCOMPARE(fields[column(table, "PSNR")], formatMetric(metrics.psnr, 4));
    QCOMPARE(fields[column(table, "SSIM")], formatMetric(metrics.ssim, 6));
    QVERIFY(fields[column(table, "error")].empty());
    // The committed model is barely trained: only that the numbers are real numbers.
    QVERIFY(std::isfinite(metrics.psnr) && std::isfinite(metrics.ssim));
    QCOMPARE(treeDigest(input), before);
}

void TestVolumeJob::nonFiniteVoxelsStayInPlace_data()
{
    QTest::addColumn<int>("datatype");
    QTest::newRow("float32") << kNiftiFloat32;
    QTest::newRow("float64") << kNiftiFloat64;
}

// NaN and Inf voxels (a resampled field of view, a division by zero upstream)
// do not spread: every finite voxel stays finite, the others are written back
// where they were, and the scores are numbers.
void TestVolumeJob::nonFiniteVoxelsStayInPlace()
{
    QFETCH(int, datatype);
    const fs::path folder = fresh("nonfinite");
    ScanVolume made = makeVolume(24, 20, 8, 1, 1500.0, 20.0);
    const float nan = std::numeric_limits<float>::quiet_NaN();
    const float inf = std::numeric_limits<float>::infinity();
    for (const auto &[index, value] : std::vector<std::pair<std::size_t, float>>{
             {5, nan}, {777, inf}, {1500, -inf}, {2000, nan}, {2001, inf}, {3839, nan}})
        made.voxels[index] = value;
    writeNiftiVolume(made, folder / "scan.nii.gz", "test", datatype);
    writeText(folder / "brain_tumor_info.csv", "patient_id,image_path\nP1,scan.nii.gz\n");
    const ScanVolume source = readNiftiFile(folder / "scan.nii.gz");
    const auto result = run(openDataset(folder));
    QCOMPARE(result.succeeded, 1);
    const auto &row = result.rows[0];
    QVERIFY2(row.error.empty(), row.error.c_str());
    QVERIFY(std::isfinite(row.psnr) && std::isfinite(row.ssim));
    const ScanVolume written = readNiftiFile(row.enhancedImage);
    QCOMPARE(written.voxels.size(), source.voxels.size());
    int finite = 0;
    for (std::size_t i = 0; i < source.voxels.size(); ++i) {
        const float in = source.voxels[i];
        const float out = written.voxels[i];
        if (std::isfinite(in)) {
            QVERIFY2(std::isfinite(out) && std::abs(out) < 1e5f, qPrintable(QString::number(i)));
            ++finite;
        } else {
            QVERIFY2(std::isnan(in) ? std::isnan(out) : out == in, qPrintable(QString::number(i)));
        }
    }
    QCOMPARE(finite, static_cast<int>(source.voxels.size()) - 6);
}

void TestVolumeJob::enhancesDicomRows_data()
{
    QTest::addColumn<int>("compression");
    QTest::addColumn<bool>("multiFrame");
    QTest::newRow("12-bit series") << int(DicomWriteOptions::Compression::None) << false;
    QTest::newRow("JPEG-LS series") << int(DicomWriteOptions::Compression::JpegLs) << false;
    QTest::newRow("multi-frame file") << int(DicomWriteOptions::Compression::None) << true;
}

void TestVolumeJob::enhancesDicomRows()
{
    QFETCH(int, compression);
    QFETCH(bool, multiFrame);
    const fs::path folder = fresh("dicom");
    writeDicomSeries(makeVolume(24, 20, 6, 1, 4000.0, 30.0), folder / "series",
                     dicomOptions("PAT-7", static_cast<DicomWriteOptions::Compression>(compression), multiFrame));
    const std::string imagePath = multiFrame ? "series/IM0001.dcm" : "series";
    writePicture(folder / "pic.png", 3);
    writeText(folder / "brain_tumor_info.csv", "patient_id,image_path\nP0,pic.png\nPAT-7," + imagePath + "\n");
    const fs::path input = folder / imagePath;
    const ScanVolume source = readDicom(input);
    QCOMPARE(source.dataRange, 4095.0);
    const QByteArray before = treeDigest(folder / "series");

    const auto result = run(openDataset(folder));
    QCOMPARE(result.succeeded, 2);
    const auto &row = result.rows[1];
    QVERIFY2(row.done, row.error.c_str());
    const fs::path output = folder / "enhanced_images" / (multiFrame ? "series/IM0001" : "series");
    QCOMPARE(row.enhancedImage, output);
    QVERIFY(fs::is_directory(output));
    const ScanVolume written = readDicom(output);
    compareGeometry(written, source);
    QCOMPARE(written.patientId, source.patientId);
    QVERIFY(!written.seriesInstanceUid.empty());
    QVERIFY(written.seriesInstanceUid != source.seriesInstanceUid);

    const auto metrics = compareVolumes(source, written);
    const auto table = readCsvFile(result.metricsCsv);
    QCOMPARE(table.rows.size(), std::size_t(2));
    const auto &fields = table.rows[1];
    QCOMPARE(fields[column(table, "format")], std::string("dicom"));
    QCOMPARE(fields[column(table, "data_range")], std::string("4095"));
    QCOMPARE(fields[column(table, "slices")], std::string("6"));
    QCOMPARE(fields[column(table, "PSNR")], formatMetric(metrics.psnr, 4));
    QCOMPARE(fields[column(table, "SSIM")], formatMetric(metrics.ssim, 6));
    QCOMPARE(table.rows[0][column(table, "format")], std::string("picture"));
    QCOMPARE(treeDigest(folder / "series"), before);

    // A later run on the picture alone keeps the volume row as it was.
    EnhanceOptions pictureOnly;
    pictureOnly.patientIds = {"P0"};
    run(openDataset(folder), pictureOnly);
    const auto merged = readCsvFile(result.metricsCsv);
    QCOMPARE(merged.rows.size(), std::size_t(2));
    QCOMPARE(merged.rows[1], table.rows[1]);
}

void TestVolumeJob::enhancesFourDimensionalDicomRows_data()
{
    QTest::addColumn<bool>("multiFrame");
    QTest::newRow("enhanced MR file") << true;
    QTest::newRow("series") << false;
}

// A 4-D DICOM row (6 positions x 3 echoes, each frame its own rescale) is
// enhanced volume by volume exactly as a 4-D NIfTI of the same values is, and
// written back with the same frames: each derived frame (or file) holds the
// NIfTI result of its own (z, t), rounded on its own rescale.
void TestVolumeJob::enhancesFourDimensionalDicomRows()
{
    QFETCH(bool, multiFrame);
    const fs::path folder = fresh(multiFrame ? "dicom-4d-file" : "dicom-4d-series");
    FourDimensionalDicom scan;
    scan.columns = 24;
    scan.rows = 20;
    scan.positions = 6;
    scan.volumes = 3;
    scan.key = multiFrame ? FourDimensionalDicom::Key::DimensionIndex : FourDimensionalDicom::Key::EchoNumber;
    scan.frameOrder = FourDimensionalDicom::positionMajor(scan.positions, scan.volumes);
    std::vector<cv::Mat> slices;
    for (int t = 0; t < scan.volumes; ++t)
        for (int z = 0; z < scan.positions; ++z)
            slices.push_back(test::syntheticSlice(scan.columns, scan.rows, 300 + 10 * t + z));
    scan.stored = [&](int x, int y, int z, int t) {
        return static_cast<std::uint16_t>(30 + std::lround(4000.0 * slices[std::size_t(t * scan.positions + z)].at<float>(y, x)));
    };
    scan.slope = [](int, int t) { return 1.0 + 0.5 * t; };
    scan.intercept = [](int z, int) { return -2.0 * z; };
    if (multiFrame)
        writeFourDimensionalMultiFrame(scan, folder / "echoes");
    else
        writeFourDimensionalSeries(scan, folder / "echoes");
    const std::string imagePath = multiFrame ? "echoes/IM0001.dcm" : "echoes";
    const ScanVolume source = readDicom(folder / imagePath);
    QCOMPARE(source.size, (std::array<int, 4>{24, 20, 6, 3}));
    // The same values and geometry as a 4-D NIfTI (float: no rounding of its own).
    ScanVolume asNifti = source;
    asNifti.format = ScanFormat::Nifti;
    asNifti.sliceFiles.clear();
    asNifti.frameSources.clear();
    writeNiftiVolume(asNifti, folder / "echoes.nii", "test", kNiftiFloat32);
    writeText(folder / "brain_tumor_info.csv",
              "patient_id,image_path\nP-4D," + imagePath + "\nP-NII,echoes.nii\n");
    const QByteArray before = treeDigest(folder / "echoes");

    const auto result = run(openDataset(folder));
    QCOMPARE(result.succeeded, 2);
    const auto &row = result.rows[0];
    QVERIFY2(row.done, row.error.c_str());
    QCOMPARE(row.slices, 18);
    QCOMPARE(row.slicesPerVolume, 6);
    const ScanVolume written = readDicom(row.enhancedImage);
    compareGeometry(written, source);
    const ScanVolume nifti = readNiftiFile(result.rows[1].enhancedImage);
    QCOMPARE(nifti.size, source.size);
    for (int t = 0; t < scan.volumes; ++t)
        for (int z = 0; z < scan.positions; ++z)
            for (int y = 0; y < scan.rows; ++y)
                for (int x = 0; x < scan.columns; ++x) {
                    // The NIfTI result (on the volume's scale) stored on the frame's own rescale, 12 bits.
                    const double slope = scan.slope(z, t), intercept = scan.intercept(z, t);
                    const double physical = nifti.at(x, y, z, t) * source.rescaleSlope + source.rescaleIntercept;
                    const double stored = std::clamp(std::nearbyint((physical - intercept) / slope), 0.0, 4095.0);
                    const double expected = ((slope * stored + intercept) - written.rescaleIntercept) / written.rescaleSlope;
                    if (std::abs(written.at(x, y, z, t) - expected) > 1e-3)
                        QFAIL(qPrintable(QString("(%1, %2, %3, %4): %5, the NIfTI row's %6").arg(x).arg(y).arg(z).arg(t)
                                             .arg(written.at(x, y, z, t)).arg(expected)));
                }
    // The same frame layout: one file of 18 frames, or 18 files of the same names.
    const auto sourceFiles = filesIn(folder / "echoes");
    const auto derivedFiles = filesIn(row.enhancedImage);
    QCOMPARE(derivedFiles.size(), sourceFiles.size());
    for (std::size_t i = 0; i < derivedFiles.size(); ++i)
        QCOMPARE(derivedFiles[i].filename(), sourceFiles[i].filename());
    QCOMPARE(stringOf(derivedFiles.front(), 0x0028, 0x0008), std::string(multiFrame ? "18" : ""));

    const auto metrics = compareVolumes(source, written);
    const auto table = readCsvFile(result.metricsCsv);
    QCOMPARE(table.rows.size(), std::size_t(2));
    QCOMPARE(table.rows[0][column(table, "slices")], std::string("18"));
    QCOMPARE(table.rows[0][column(table, "PSNR")], formatMetric(metrics.psnr, 4));
    QCOMPARE(table.rows[0][column(table, "SSIM")], formatMetric(metrics.ssim, 6));
    QCOMPARE(treeDigest(folder / "echoes"), before);
}

void TestVolumeJob::anotherPlaneAndPerSliceMetrics()
{
    const fs::path folder = fresh("plane");
    // Anisotropic: thick axial slices; two volumes for the volume numbering.
    const ScanVolume made = makeVolume(24, 20, 10, 2, 900.0, 0.0, {1.0, 1.0, 3.0});
    writeNiftiVolume(made, folder / "aniso.nii.gz", "test", kNiftiFloat32);
    writeText(folder / "brain_tumor_info.csv", "patient_id,image_path\nA1,aniso.nii.gz\n");
    const ScanVolume source = readNiftiFile(folder / "aniso.nii.gz");
    const int coronal = sliceCountOf(source, SlicePlane::Coronal);
    QCOMPARE(coronal, 20);
    QCOMPARE(sliceCountOf(source, SlicePlane::Axial), 10);

    EnhanceOptions options;
    options.plane = SlicePlane::Coronal;
    options.perSliceCsv = folder / "slices.csv";
    const auto result = run(openDataset(folder), options);
    const auto &row = result.rows[0];
    QVERIFY2(row.done, row.error.c_str());
    QCOMPARE(row.slices, 2 * coronal);
    QCOMPARE(row.slicesPerVolume, coronal);
    const auto metrics = readCsvFile(result.metricsCsv);
    QCOMPARE(metrics.rows[0][column(metrics, "slices")], std::to_string(2 * coronal));

    const ScanVolume written = readNiftiFile(row.enhancedImage);
    const auto table = readCsvFile(options.perSliceCsv);
    QCOMPARE(table.rows.size(), std::size_t(2 * coronal));
    for (int i = 0; i < 2 * coronal; ++i) {
        const auto &fields = table.rows[static_cast<std::size_t>(i)];
        const int volume = i / coronal;
        const int slice = i % coronal;
        QCOMPARE(fields[column(table, "patient_id")], std::string("A1"));
        QCOMPARE(fields[column(table, "volume")], std::to_string(volume + 1));
        QCOMPARE(fields[column(table, "slice")], std::to_string(slice + 1));
        QCOMPARE(fields[column(table, "plane")], std::string("coronal"));
        const cv::Mat original = extractSlice(source, SlicePlane::Coronal, slice, volume);
        const cv::Mat enhanced = extractSlice(written, SlicePlane::Coronal, slice, volume);
        QCOMPARE(original.cols, 24);
        QCOMPARE(original.rows, 10);
        QCOMPARE(fields[column(table, "PSNR")],
                 formatMetric(peakSignalNoiseRatio(original, enhanced, source.dataRange), 4));
        QCOMPARE(fields[column(table, "SSIM")],
                 formatMetric(structuralSimilarity(original, enhanced, source.dataRange), 6));
        // Every slice's own self-check, with the volume's noise level.
        const std::string verdict = fields[column(table, "verdict")];
        QVERIFY2(verdict == "ok" || verdict == "check" || verdict == "suspect", verdict.c_str());
        QVERIFY(!fields[column(table, "verdict_reason")].empty());
        QCOMPARE(fields[column(table, "noise_sigma")], formatMetric(row.selfCheck.noiseSigma, 6));
    }
    QCOMPARE(row.sliceChecks.size(), std::size_t(2 * coronal));
}

// --contrast on a volume: each slice along the plane, on the network's unit
// scale of the input; CNR with the classes of the volume before the step.
void TestVolumeJob::theContrastStepGoesSliceBySliceAlongThePlane()
{
    const fs::path folder = fresh("contrast");
    writeNiftiVolume(makeVolume(24, 20, 10, 1, 900.0, 0.0, {1.0, 1.0, 3.0}), folder / "scan.nii.gz", "test", kNiftiFloat32);
    writeText(folder / "brain_tumor_info.csv", "patient_id,image_path\nA1,scan.nii.gz\n");
    const auto dataset = openDataset(folder);
    EnhanceOptions plainOptions;
    plainOptions.plane = SlicePlane::Coronal;
    const auto plain = run(dataset, plainOptions);
    EnhanceOptions options = plainOptions;
    options.contrast = parseContrastStep("clahe:2,2");
    options.outputDir = folder / "with-contrast";
    options.metricsCsv = folder / "with-contrast.csv";
    const auto stepped = run(dataset, options);
    QVERIFY2(plain.rows[0].done && stepped.rows[0].done, stepped.rows[0].error.c_str());
    const ScanVolume source = readNiftiFile(folder / "scan.nii.gz");
    const ScanVolume plainVolume = readNiftiFile(plain.rows[0].enhancedImage);
    const ScanVolume steppedVolume = readNiftiFile(stepped.rows[0].enhancedImage);
    const auto range = networkRangeOf(source);
    for (int slice = 0; slice < sliceCountOf(source, SlicePlane::Coronal); ++slice) {
        const cv::Mat expected = fromNetworkUnit(
            applyContrast(toNetworkUnit(extractSlice(plainVolume, SlicePlane::Coronal, slice), range), options.contrast), range);
        const cv::Mat actual = extractSlice(steppedVolume, SlicePlane::Coronal, slice);
        QVERIFY2(cv::norm(expected, actual, cv::NORM_INF) < 1e-3 * (range.high - range.low), qPrintable(QString::number(slice)));
    }
    const auto table = readCsvFile(options.metricsCsv);
    QCOMPARE(table.rows[0][column(table, "contrast")], std::string("clahe:2,2"));
    QCOMPARE(table.rows[0][column(table, "CNR")], formatMetric(greyWhiteCnr(steppedVolume, plainVolume), 4));
    QCOMPARE(readCsvFile(plain.metricsCsv).rows[0][column(table, "contrast")], std::string("none"));
}

void TestVolumeJob::oneStemTwoNiftiFilesAndASeriesAtTheTop()
{
    // scan.nii and scan.nii.gz side by side: two outputs, both NIfTI; a series
    // in the dataset folder itself (row "."), enhanced twice and scanned again.
    const fs::path folder = fresh("stems");
    writeNiftiVolume(makeVolume(24, 20, 6, 1, 500.0, 0.0), folder / "scan.nii", "test", kNiftiFloat32);
    writeNiftiVolume(makeVolume(24, 20, 7, 1, 500.0, 0.0), folder / "scan.nii.gz", "test", kNiftiFloat32);
    writeDicomSeries(makeVolume(24, 20, 5, 1, 3000.0, 0.0), folder, dicomOptions("TOP"));
    const Dataset dataset = openDataset(folder);
    QCOMPARE(dataset.rows.size(), std::size_t(3));
    QCOMPARE(dataset.rows[0].imagePathText, std::string("."));
    QCOMPARE(dataset.rows[0].patientId, std::string("TOP"));
    for (int pass = 0; pass < 2; ++pass) {
        const auto result = run(dataset);
        for (const auto &row : result.rows)
            QVERIFY2(row.done, row.error.c_str());
        QCOMPARE(result.rows[1].enhancedImage, folder / "enhanced_images" / "scan_enhanced.nii.gz");
        QCOMPARE(result.rows[2].enhancedImage, folder / "enhanced_images" / "scan_nii_gz_enhanced.nii.gz");
        QCOMPARE(result.rows[0].enhancedImage, folder / "enhanced_images" / "stems");
        for (std::size_t i = 1; i < 3; ++i) {
            QVERIFY2(isNiftiFile(result.rows[i].enhancedImage), result.rows[i].enhancedImage.c_str());
            QCOMPARE(readNiftiFile(result.rows[i].enhancedImage).size[2], i == 1 ? 6 : 7);
        }
        QCOMPARE(readDicom(result.rows[0].enhancedImage).patientId, std::string("TOP"));
    }
    const Dataset again = openDataset(folder);
    QCOMPARE(again.rows.size(), std::size_t(3));
}

void TestVolumeJob::upperCaseNiftiNames()
{
    const fs::path folder = fresh("upper");
    writeNiftiVolume(makeVolume(24, 20, 6, 1, 500.0, 0.0), folder / "lower.nii.gz", "test", kNiftiFloat32);
    fs::rename(folder / "lower.nii.gz", folder / "HEAD.NII.GZ");
    const Dataset dataset = openDataset(folder);
    QCOMPARE(dataset.rows.size(), std::size_t(1));
    QCOMPARE(dataset.rows[0].patientId, std::string("HEAD"));
    const auto result = run(dataset);
    QVERIFY2(result.rows[0].done, result.rows[0].error.c_str());
    QCOMPARE(result.rows[0].enhancedImage, folder / "enhanced_images" / "HEAD_enhanced.nii.gz");
    QCOMPARE(result.rows[0].format, std::string("nifti"));
}

using Matrix3 = std::array<std::array<double, 3>, 3>;
Q_DECLARE_METATYPE(Matrix3)

void TestVolumeJob::slicesGoBackWhereTheyCameFrom_data()
{
    // Array axes -> patient axes (RAS) as written in the sform: enhancement
    // cuts slices with extractSlice and puts the results back with
    // insertSlice, which must be its exact inverse in every plane.
    QTest::addColumn<Matrix3>("axes");
    QTest::newRow("array order") << Matrix3{{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}}};
    QTest::newRow("x and y flipped") << Matrix3{{{-1, 0, 0}, {0, -1, 0}, {0, 0, 1}}};
    QTest::newRow("sagittal acquisition") << Matrix3{{{0, 0, 1}, {1, 0, 0}, {0, 1, 0}}};
    QTest::newRow("coronal acquisition, flipped") << Matrix3{{{-1, 0, 0}, {0, 0, 1}, {0, -1, 0}}};
    QTest::newRow("oblique") << Matrix3{{{0.9, 0.3, 0}, {-0.3, 0.9, 0.1}, {0, -0.1, 1}}};
}

void TestVolumeJob::slicesGoBackWhereTheyCameFrom()
{
    QFETCH(Matrix3, axes);
    const fs::path folder = fresh("slices");
    ScanVolume made = makeVolume(9, 8, 7, 2, 100.0, 0.0, {1, 1, 1});
    for (int r = 0; r < 3; ++r)
        made.voxelToPatient[r] = {axes[r][0], axes[r][1], axes[r][2], 5.0 * r};
    for (std::size_t i = 0; i < made.voxels.size(); ++i)
        made.voxels[i] = static_cast<float>(i); // every voxel its own value
    writeNiftiVolume(made, folder / "v.nii", "test", kNiftiFloat32);
    const ScanVolume volume = readNiftiFile(folder / "v.nii");
    QCOMPARE(volume.voxels, made.voxels);
    int total = 0;
    for (const SlicePlane plane : {SlicePlane::Axial, SlicePlane::Coronal, SlicePlane::Sagittal}) {
        ScanVolume rebuilt = volume;
        std::fill(rebuilt.voxels.begin(), rebuilt.voxels.end(), -1.0f);
        const int count = sliceCountOf(volume, plane);
        const int axis = sliceAxisOf(volume, plane);
        QCOMPARE(count, volume.size[static_cast<std::size_t>(axis)]);
        total += axis;
        for (int frame = 0; frame < 2; ++frame) {
            for (int slice = 0; slice < count; ++slice) {
                const cv::Mat values = extractSlice(volume, plane, slice, frame);
                QCOMPARE(static_cast<std::size_t>(values.total()), volume.voxelsPerVolume() / count);
                insertSlice(rebuilt, plane, slice, frame, values);
            }
        }
        QVERIFY2(rebuilt.voxels == volume.voxels, slicePlaneName(plane).c_str());
    }
    QCOMPARE(total, 0 + 1 + 2); // the three planes take the three array axes
}

void TestVolumeJob::badVolumeRowsFailAlone_data()
{
    QTest::addColumn<QString>("what");
    for (const char *what : {"dicom without pixel data", "duplicated slice", "mixed sizes", "nifti shorter than its header",
                             "truncated nii.gz", "rgb dicom", "2-D nifti", "two series without series_uid", "unknown series_uid",
                             "volume thinner than the SSIM window", "truncated dicom file", "truncated multi-frame dicom",
                             "big-endian dicom", "decoder crash on a jpeg 2000 dicom"})
        QTest::newRow(what) << QString(what);
}

void TestVolumeJob::badVolumeRowsFailAlone()
{
    QFETCH(QString, what);
    const fs::path folder = fresh("bad");
    writePicture(folder / "a.png", 1);
    writePicture(folder / "z.png", 2);
    const auto series = [&] {
        writeDicomSeries(makeVolume(17, 13, 5, 1, 4000.0, 0.0), folder / "bad", dicomOptions("PAT-B"));
        return filesIn(folder / "bad");
    };
    std::string imagePath = "bad";
    std::string seriesUid;
    std::string expected; // in the row's error, where the case says more than the path
    if (what == "dicom without pixel data") {
        const auto files = series();
        editFile(files[0], [](gdcm::DataSet &dataSet) { dataSet.Remove(gdcm::Tag(0x7fe0, 0x0010)); });
    } else if (what == "duplicated slice") {
        const auto files = series();
        const std::string position = stringOf(files[1], 0x0020, 0x0032);
        editFile(files[2], [&](gdcm::DataSet &dataSet) { setString(dataSet, 0x0020, 0x0032, gdcm::VR::DS, position); });
    } else if (what == "mixed sizes") {
        const auto files = series();
        const fs::path other = fresh("other");
        writeDicomSeries(makeVolume(9, 9, 5, 1, 4000.0, 0.0), other, dicomOptions("PAT-B"));
        const std::string uid = stringOf(files[0], 0x0020, 0x000e);
        const auto otherFiles = filesIn(other);
        editFile(otherFiles[2], [&](gdcm::DataSet &dataSet) { setString(dataSet, 0x0020, 0x000e, gdcm::VR::UI, uid); });
        fs::copy_file(otherFiles[2], files[2], fs::copy_options::overwrite_existing);
    } else if (what == "nifti shorter than its header") {
        imagePath = "short.nii";
        writeNiftiVolume(makeVolume(17, 13, 5, 1, 100.0, 0.0), folder / imagePath, "test", kNiftiInt16);
        fs::resize_file(folder / imagePath, fs::file_size(folder / imagePath) - 200);
    } else if (what == "truncated nii.gz") {
        imagePath = "cut.nii.gz";
        writeNiftiVolume(makeVolume(17, 13, 5, 1, 100.0, 0.0), folder / imagePath, "test", kNiftiFloat32);
        fs::resize_file(folder / imagePath, fs::file_size(folder / imagePath) / 2);
    } else if (what == "rgb dicom") {
        const auto files = series();
        imagePath = "bad/" + files[0].filename().string();
        editFile(files[0], [](gdcm::DataSet &dataSet) {
            setUnsignedShort(dataSet, 0x0028, 0x0002, 3);
            setUnsignedShort(dataSet, 0x0028, 0x0006, 0);
            setUnsignedShort(dataSet, 0x0028, 0x0100, 8);
            setUnsignedShort(dataSet, 0x0028, 0x0101, 8);
            setUnsignedShort(dataSet, 0x0028, 0x0102, 7);
            setString(dataSet, 0x0028, 0x0004, gdcm::VR::CS, "RGB");
            std::vector<char> pixels(17 * 13 * 3, 'x');
            pixels.push_back(0);
            gdcm::DataElement data(gdcm::Tag(0x7fe0, 0x0010));
            data.SetVR(gdcm::VR::OB);
            data.SetByteValue(pixels.data(), static_cast<gdcm::VL::Type>(pixels.size()));
            dataSet.Replace(data);
        });
    } else if (what == "two series without series_uid") {
        const auto files = series();
        const fs::path other = fresh("other");
        writeDicomSeries(makeVolume(17, 13, 5, 1, 4000.0, 0.0), other, dicomOptions("PAT-C"));
        for (const auto &file : filesIn(other))
            fs::rename(file, folder / "bad" / ("C" + file.filename().string()));
    } else if (what == "unknown series_uid") {
        series();
        seriesUid = "1.2.3.4.5";
    } else if (what == "volume thinner than the SSIM window") {
        imagePath = "thin.nii.gz";
        writeNiftiVolume(makeVolume(5, 20, 8, 1, 100.0, 0.0), folder / imagePath, "test", kNiftiFloat32);
    } else if (what == "truncated dicom file") {
        // As pydicom's MR_truncated.dcm: a good file cut short in its pixel data.
        const auto files = series();
        fs::resize_file(files[2], fs::file_size(files[2]) - 100);
        expected = "'" + files[2].string() + "' is cut short: its pixel data holds 342 of 442 bytes";
    } else if (what == "truncated multi-frame dicom") {
        writeDicomSeries(makeVolume(17, 13, 5, 1, 4000.0, 0.0), folder / "bad", dicomOptions("PAT-B", {}, true));
        const fs::path file = filesIn(folder / "bad").front();
        imagePath = "bad/" + file.filename().string();
        fs::resize_file(file, fs::file_size(file) - 1000);
        expected = "'" + file.string() + "' is cut short: its pixel data holds 1210 of 2210 bytes";
    } else if (what == "big-endian dicom") {
        // Readable, but no derived series can be written: refused before the network runs.
        const auto files = series();
        convertToBigEndian(files[4]);
        expected = "'" + files[4].string() + "' uses the retired big-endian transfer syntax";
    } else if (what == "decoder crash on a jpeg 2000 dicom") {
        // GDCM's JPEG codecs run in a child process (a fuzz finding in its JPEG 2000 reader): the
        // test hook makes that child abort, as a damaged stream might make GDCM do.
        writeDicomSeries(makeVolume(17, 13, 5, 1, 4000.0, 0.0), folder / "bad",
                         dicomOptions("PAT-B", DicomWriteOptions::Compression::Jpeg2000Lossless));
        expected = "could not be decoded: GDCM's decoder for its transfer syntax 1.2.840.10008.1.2.4.90 (JPEG 2000 Image "
                   "Compression (Lossless Only)) crashed (signal 6";
    } else if (what == "2-D nifti") {
        imagePath = "flat.nii";
        test::writeTestNifti(QString::fromStdString((folder / imagePath).string()), 17, 13, 1,
                             std::vector<std::int16_t>(17 * 13, 5));
    }
    writeText(folder / "brain_tumor_info.csv",
              "patient_id,image_path,series_uid\nP1,a.png,\nP2," + imagePath + "," + seriesUid + "\nP3,z.png,\n");
    const QByteArray before = treeDigest(folder / imagePath);

    // Every bad row is refused before the network sees any of its slices.
    EnhanceOptions options;
    options.modelFile = model();
    EnhanceCallbacks callbacks;
    int badRowTiles = 0;
    callbacks.onSliceProgress = [&](const SliceProgress &progress) {
        if (progress.rowIndex == 1)
            ++badRowTiles;
    };
    std::atomic_bool cancel{false};
    if (what == "decoder crash on a jpeg 2000 dicom")
        qputenv("MRI_TEST_CRASH_CHILD", "1");
    const auto result = enhanceDataset(openDataset(folder), options, callbacks, cancel);
    qunsetenv("MRI_TEST_CRASH_CHILD");
    QCOMPARE(badRowTiles, 0);
    QCOMPARE(result.succeeded, 2);
    QCOMPARE(result.failed, 1);
    QVERIFY(result.rows[0].done && result.rows[2].done);
    const std::string error = result.rows[1].error;
    qInfo().noquote() << QString::fromStdString(error);
    QVERIFY(!result.rows[1].done);
    QVERIFY2(error.find((folder / imagePath).string()) != std::string::npos, error.c_str());
    QVERIFY2(error.find('\n') == std::string::npos, error.c_str());
    QVERIFY2(expected.empty() || error.find(expected) != std::string::npos, error.c_str());
    const auto table = readCsvFile(result.metricsCsv);
    QCOMPARE(table.rows.size(), std::size_t(3));
    QCOMPARE(table.rows[1][column(table, "error")], error);
    QVERIFY(table.rows[1][column(table, "PSNR")].empty());
    QVERIFY(table.rows[0][column(table, "error")].empty());
    QVERIFY(!table.rows[2][column(table, "PSNR")].empty());
    QCOMPARE(treeDigest(folder / imagePath), before);
    // Nothing written for the failed row.
    QCOMPARE(filesIn(folder / "enhanced_images").size(), std::size_t(2));
}

void TestVolumeJob::cancellingInsideAVolumeWritesNothingForIt()
{
    const fs::path folder = fresh("cancel");
    writePicture(folder / "a.png", 1);
    writeNiftiVolume(makeVolume(24, 20, 6, 1, 500.0, 0.0), folder / "v.nii.gz", "test", kNiftiFloat32);
    writeText(folder / "brain_tumor_info.csv", "patient_id,image_path\nP1,a.png\nP2,v.nii.gz\n");
    EnhanceOptions options;
    options.modelFile = model();
    std::atomic_bool cancel{false};
    EnhanceCallbacks callbacks;
    int volumeTiles = 0;
    callbacks.onSliceProgress = [&](const SliceProgress &progress) {
        if (progress.rowIndex == 1 && ++volumeTiles == 2) // within the volume's slices
            cancel = true;
    };
    const auto result = enhanceDataset(openDataset(folder), options, callbacks, cancel);
    QVERIFY(result.cancelled);
    QVERIFY(result.rows[0].done);
    QVERIFY(!result.rows[1].done);
    QVERIFY(result.rows[1].error.empty());
    QVERIFY(!fs::exists(folder / "enhanced_images" / "v_enhanced.nii.gz"));
    QCOMPARE(filesIn(folder / "enhanced_images").size(), std::size_t(1)); // a.png, no temporary
    const auto table = readCsvFile(result.metricsCsv);
    QCOMPARE(table.rows.size(), std::size_t(1));
}

// A head's first and last slices hold only air: with the noise floor measured
// slice by slice they had no background of their own and kept their floor
// (INIA19: 13.4 of 255 against under 1 elsewhere). One floor for the volume
// brings them to the level of the other slices' background.
void TestVolumeJob::airOnlySlicesLoseTheirFloorToo()
{
    const int nx = 64, ny = 64, nz = 10;
    const double sigma = 0.05;
    const Dataset dataset = noisyHeadDataset("air", nx, ny, nz, [&](int z) {
        cv::Mat clean(ny, nx, CV_32FC1, cv::Scalar(0.0));
        if (z >= 3 && z < nz - 3)
            cv::circle(clean, {32, 32}, 18, cv::Scalar(0.7), cv::FILLED);
        return clean;
    }, NoiseSpec{}, 500);
    const fs::path folder = dataset.folder;
    EnhanceOptions enhance;
    enhance.modelFile = trainFloorModel(dataset, "air-model");
    const auto result = run(dataset, enhance);
    QVERIFY2(result.rows[0].done, result.rows[0].error.c_str());
    const ScanVolume written = readNiftiFile(folder / "enhanced_images" / "head_enhanced.nii.gz");
    // Mean over the air of the air-only slices, and over the air around the disc (away from it) elsewhere.
    double airOnly = 0.0, aroundTissue = 0.0;
    int airCount = 0, aroundCount = 0;
    for (int z = 0; z < nz; ++z)
        for (int y = 0; y < ny; ++y)
            for (int x = 0; x < nx; ++x) {
                const double value = written.voxels[(static_cast<std::size_t>(z) * ny + y) * nx + x] / 1000.0;
                if (z < 3 || z >= nz - 3) {
                    airOnly += value;
                    ++airCount;
                } else if (std::hypot(x - 32, y - 32) > 26) {
                    aroundTissue += value;
                    ++aroundCount;
                }
            }
    airOnly /= airCount;
    aroundTissue /= aroundCount;
    qInfo("background after enhancement: %.4f sigma in air-only slices, %.4f sigma around the tissue (floor %.3f sigma)",
          airOnly / sigma, aroundTissue / sigma, std::sqrt(M_PI / 2.0));
    // Measured: 0.39 and 0.49 sigma; with the floor measured slice by slice the air-only slices kept 1.52.
    QVERIFY2(airOnly / sigma < 0.8, qPrintable(QString::number(airOnly / sigma)));
    QVERIFY2(airOnly < aroundTissue + 0.2 * sigma, qPrintable(QString::number(airOnly / sigma)));
}

// Parallel imaging: the noise level is sigma times a g-factor map, 1 at the
// field of view's edges (where the background is measured) and 1.5 in its
// middle (sense:3). Air in the middle keeps a floor of about 1.3 sigma when one
// sigma is removed; the volume's noise map (NoiseMap.h) takes it away.
void TestVolumeJob::floorFollowsAVaryingNoiseLevel()
{
    const int nx = 96, ny = 96, nz = 12;
    const double sigma = 0.05;
    // The mean of a written volume inside the hole (radius 5, in the input's units / 1000).
    const auto meanOf = [&](const ScanVolume &written) {
        double sum = 0.0;
        int count = 0;
        for (int z = 0; z < nz; ++z)
            for (int y = 0; y < ny; ++y)
                for (int x = 0; x < nx; ++x) {
                    if (std::hypot(x - 48, y - 48) < 5) {
                        sum += written.voxels[(static_cast<std::size_t>(z) * ny + y) * nx + x] / 1000.0;
                        ++count;
                    }
                }
        return sum / count;
    };
    const Dataset dataset = noisyHeadDataset("sense", nx, ny, nz, [&](int) {
        cv::Mat clean(ny, nx, CV_32FC1, cv::Scalar(0.0));
        cv::circle(clean, {48, 48}, 34, cv::Scalar(0.7), cv::FILLED);
        cv::circle(clean, {48, 48}, 9, cv::Scalar(0.0), cv::FILLED); // air where g is highest
        return clean;
    }, parseNoiseSpec("rician+sense:3"), 700);
    const fs::path folder = dataset.folder;
    EnhanceOptions enhance;
    enhance.modelFile = trainFloorModel(dataset, "sense-model");
    // --no-noise-map: one level.
    enhance.noiseMap = false;
    const auto plain = run(dataset, enhance);
    QVERIFY2(plain.rows[0].done, plain.rows[0].error.c_str());
    QCOMPARE(plain.rows[0].noiseLevelMaximum, 1.0);
    QVERIFY(describeMeasuredNoise(plain.rows).find("varies") == std::string::npos);
    const double holePlain = meanOf(readNiftiFile(folder / "enhanced_images" / "head_enhanced.nii.gz"));
    enhance.noiseMap = true;
    const auto result = run(dataset, enhance);
    QVERIFY2(result.rows[0].done, result.rows[0].error.c_str());
    const std::string sentence = describeMeasuredNoise(result.rows);
    qInfo("%s", sentence.c_str());
    QVERIFY2(result.rows[0].noiseLevelMaximum > 1.25 * result.rows[0].noiseLevelMinimum, sentence.c_str());
    QVERIFY2(sentence.find("its level varies over the field of view") != std::string::npos, sentence.c_str());
    const double hole = meanOf(readNiftiFile(folder / "enhanced_images" / "head_enhanced.nii.gz"));
    qInfo("air in the middle (g 1.5) after enhancement: %.3f sigma with one level, %.3f with the map", holePlain / sigma,
          hole / sigma);
    // Measured: 0.166 sigma with one level (the tiny network spreads its floor), 0.053 with the map.
    QVERIFY2(hole / sigma < 0.3 && hole < 0.6 * holePlain, qPrintable(QString::number(hole / sigma)));
}

void TestVolumeJob::trainsOnAMixedDataset()
{
    const fs::path folder = fresh("train");
    writePicture(folder / "pic.png", 4);
    ScanVolume volume = makeVolume(40, 32, 5, 1, 600.0, 0.0);
    // One constant slice: left out of training.
    std::fill(volume.voxels.begin() + 2 * 40 * 32, volume.voxels.begin() + 3 * 40 * 32, 0.0f);
    writeNiftiVolume(volume, folder / "vol.nii.gz", "test", kNiftiFloat32);
    const Dataset dataset = openDataset(folder);
    QCOMPARE(dataset.rows.size(), std::size_t(2));
    QCOMPARE(scanTrainingSlices(dataset, 1, SlicePlane::Axial).size(), std::size_t(4));

    TrainingOptions options = smallTraining(fresh("models") / "mixed.pt", 1, 2, 7, 1);
    std::atomic_bool cancel{false};
    const auto trained = trainModel(dataset, options, {}, cancel);
    QCOMPARE(trained.epochsCompleted, 1);
    QCOMPARE(trained.trainingImages, 1 + 4);
    QCOMPARE(trained.validationImages, 0);
    QVERIFY(trained.skippedImages.empty());

    // A 2.5-D model (neighbour_slices=1) trains and then enhances both rows.
    options.modelFile = options.modelFile.parent_path() / "neighbours.pt";
    applyTrainingSetting(options, "neighbour_slices=1");
    QCOMPARE(options.network.neighbourSlices, 1);
    const auto trained25 = trainModel(dataset, options, {}, cancel);
    QCOMPARE(trained25.epochsCompleted, 1);
    QCOMPARE(trained25.trainingImages + trained25.validationImages, 1 + 4);
    EnhanceOptions enhance;
    enhance.modelFile = options.modelFile;
    const auto result = run(dataset, enhance);
    for (const auto &row : result.rows)
        QVERIFY2(row.done, row.error.c_str());
    const ScanVolume written = readNiftiFile(folder / "enhanced_images" / "vol_enhanced.nii.gz");
    QCOMPARE(written.size, (std::array<int, 4>{40, 32, 5, 1}));
}

void TestVolumeJob::trainingSkipsUnusableVolumes()
{
    const fs::path folder = fresh("trainbad");
    writePicture(folder / "pic.png", 5);
    writeNiftiVolume(makeVolume(40, 32, 5, 1, 600.0, 0.0), folder / "cut.nii.gz", "test", kNiftiFloat32);
    fs::resize_file(folder / "cut.nii.gz", fs::file_size(folder / "cut.nii.gz") / 2);
    writeNiftiVolume(makeVolume(40, 32, 5, 1, 0.0, 3.0), folder / "flat.nii.gz", "test", kNiftiFloat32);
    const Dataset dataset = openDataset(folder);
    QCOMPARE(dataset.rows.size(), std::size_t(3));
    const TrainingOptions options = smallTraining(fresh("models-bad") / "m.pt", 1, 2, 3, 1);
    std::atomic_bool cancel{false};
    const auto trained = trainModel(dataset, options, {}, cancel);
    QCOMPARE(trained.trainingImages, 1);
    QCOMPARE(trained.skippedImages.size(), std::size_t(2));
    for (const auto &sentence : trained.skippedImages) {
        qInfo().noquote() << QString::fromStdString(sentence);
        QVERIFY2(sentence.back() == '.' && sentence.find('\n') == std::string::npos, sentence.c_str());
    }
    QVERIFY(trained.skippedImages[0].find("cut.nii.gz") != std::string::npos);
    QVERIFY(trained.skippedImages[1].find("flat.nii.gz") != std::string::npos);
    QVERIFY(trained.skippedImages[1].find("constant") != std::string::npos);
}

QTEST_GUILESS_MAIN(TestVolumeJob)
#include "tst_volumejob.moc"
