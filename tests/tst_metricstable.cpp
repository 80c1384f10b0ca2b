// The enhance job's parts that need no network: where results go
// (EnhanceOutputs.h) and the metrics CSV written, read back, merged and kept
// aside (MetricsTable.h). Rows are made up here; no model runs.

#include "base/EngineError.h"
#include "dataset/Dataset.h"
#include "enhance/EnhanceOutputs.h"
#include "enhance/MetricsTable.h"
#include "io/CsvTable.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QtTest>

#include <filesystem>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using namespace mri;

class TestMetricsTable : public QObject
{
    Q_OBJECT

private slots:
    void outputsFollowTheInputFormat_data();
    void outputsFollowTheInputFormat();
    void twoInputsNeverShareAnOutput();
    void anOutputOverAnInputIsRefused();
    void tableRoundTripsThroughTheCsv();
    void onlyRowsDoneOrFailedAreWritten();
    void aMergeKeepsTheRowsOfOtherRuns();
    void aMalformedCsvIsKeptAside();

private:
    static Dataset datasetOf(const QTemporaryDir &dir, const QStringList &imagePaths);
    static void touch(const fs::path &file);
    static EnhancedRow doneRow(std::size_t index, const fs::path &image, double psnr);
};

Dataset TestMetricsTable::datasetOf(const QTemporaryDir &dir, const QStringList &imagePaths)
{
    QFile csv(dir.filePath("brain_tumor_info.csv"));
    if (!csv.open(QIODevice::WriteOnly))
        qFatal("cannot write the dataset CSV");
    csv.write("patient_id,image_path,age\n");
    for (int i = 0; i < imagePaths.size(); ++i)
        csv.write(QStringLiteral("P%1,%2,%3\n").arg(i + 1).arg(imagePaths[i]).arg(40 + i).toUtf8());
    csv.close();
    return openDataset(dir.path().toStdString());
}

void TestMetricsTable::touch(const fs::path &file)
{
    fs::create_directories(file.parent_path());
    QFile out(QString::fromStdString(file.string()));
    if (!out.open(QIODevice::WriteOnly))
        qFatal("cannot write a result file");
}

EnhancedRow TestMetricsTable::doneRow(std::size_t index, const fs::path &image, double psnr)
{
    EnhancedRow row;
    row.rowIndex = index;
    row.done = true;
    row.enhancedImage = image;
    row.psnr = psnr;
    row.ssim = 0.912345;
    row.cnr = 1.5;
    row.contrast = "none";
    row.format = "picture";
    row.dataRange = 255;
    row.slices = 1;
    row.modelSha256 = "abc";
    row.selfCheck.verdict = Verdict::Check;
    row.selfCheck.reason = "the residual is 1.6 times the noise";
    return row;
}

void TestMetricsTable::outputsFollowTheInputFormat_data()
{
    QTest::addColumn<QString>("input");
    QTest::addColumn<QString>("output");
    QTest::newRow("picture") << "images/a.png" << "images/a.png";
    QTest::newRow("tiff as png") << "images/b.tif" << "images/b.png";
    QTest::newRow("nifti") << "vol/head.nii" << "vol/head_enhanced.nii.gz";
    QTest::newRow("nifti gz") << "vol/head.nii.gz" << "vol/head_enhanced.nii.gz";
    QTest::newRow("dicom file") << "series/IM1.dcm" << "series/IM1";
}

void TestMetricsTable::outputsFollowTheInputFormat()
{
    QFETCH(QString, input);
    QFETCH(QString, output);
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const auto dataset = datasetOf(dir, {input});
    const fs::path results = fs::path(dir.path().toStdString()) / "enhanced_images";
    const auto targets = planOutputPaths(dataset, results);
    QCOMPARE(targets.size(), std::size_t(1));
    QCOMPARE(QString::fromStdString(targets[0].lexically_relative(results).generic_string()), output);
}

void TestMetricsTable::twoInputsNeverShareAnOutput()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const auto dataset = datasetOf(dir, {"scan.png", "scan.tif", "head.nii", "head.nii.gz"});
    const auto targets = planOutputPaths(dataset, fs::path(dir.path().toStdString()) / "out");
    QCOMPARE(targets[0].filename().string(), std::string("scan.png"));
    QCOMPARE(targets[1].filename().string(), std::string("scan_tif.png"));
    QCOMPARE(targets[2].filename().string(), std::string("head_enhanced.nii.gz"));
    QCOMPARE(targets[3].filename().string(), std::string("head_nii_gz_enhanced.nii.gz"));
}

void TestMetricsTable::anOutputOverAnInputIsRefused()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const fs::path folder = dir.path().toStdString();
    touch(folder / "a.png");
    const auto dataset = datasetOf(dir, {"a.png"});
    EnhanceOptions options;
    // The results folder is the dataset folder: the output would be the input itself.
    const auto targets = planOutputPaths(dataset, folder);
    QVERIFY_THROWS_EXCEPTION(EngineError, checkOutputsAreSafe(dataset, {0}, folder, targets,
                                                              folder / "metrics.csv", options, true));
    // Its own folder is fine.
    const auto safe = planOutputPaths(dataset, folder / "enhanced_images");
    checkOutputsAreSafe(dataset, {0}, folder / "enhanced_images", safe, folder / "metrics.csv", options, true);
}

void TestMetricsTable::tableRoundTripsThroughTheCsv()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const fs::path folder = dir.path().toStdString();
    const auto dataset = datasetOf(dir, {"a.png", "b.png", "c.png"});
    std::vector<EnhancedRow> rows(3);
    rows[0] = doneRow(0, folder / "enhanced_images" / "a.png", 31.25);
    rows[1].rowIndex = 1;
    rows[1].error = "the slice 'b.png' is 5x5 pixels";
    rows[1].format = "picture";
    rows[2] = doneRow(2, folder / "enhanced_images" / "c.png", 28.5);
    rows[2].scale = 2;
    rows[2].upsampledAxis = 2;
    touch(rows[0].enhancedImage);
    touch(rows[2].enhancedImage);
    const fs::path csv = folder / "brain_tumor_info_metrics.csv";
    writeMetricsCsv(dataset, rows, csv);

    const auto table = readCsvFile(csv);
    QVERIFY(table.columnIndex("patient_id") == 0);
    QCOMPARE(table.rows[0][static_cast<std::size_t>(table.columnIndex("enhanced_image_path"))],
             std::string("enhanced_images/a.png"));
    QCOMPARE(table.rows[2][static_cast<std::size_t>(table.columnIndex("upsampled_along"))], std::string("z"));
    QCOMPARE(table.rows[2][static_cast<std::size_t>(table.columnIndex("metrics_grid"))], std::string("input"));

    const auto back = readMetricsCsv(dataset, csv);
    QCOMPARE(back.size(), std::size_t(3));
    QVERIFY(back[0].done);
    QCOMPARE(back[0].enhancedImage, rows[0].enhancedImage);
    QCOMPARE(back[0].psnr, 31.25);
    QCOMPARE(back[0].ssim, 0.912345);
    QCOMPARE(int(back[0].selfCheck.verdict), int(Verdict::Check));
    QCOMPARE(back[0].selfCheck.reason, rows[0].selfCheck.reason);
    QVERIFY(!back[1].done);
    QCOMPARE(back[1].error, rows[1].error);
    QCOMPARE(back[2].scale, 2);
    QCOMPARE(back[2].upsampledAxis, 2);

    // A result that is gone is not done, whatever the CSV says.
    fs::remove(rows[2].enhancedImage);
    QVERIFY(!readMetricsCsv(dataset, csv)[2].done);
}

void TestMetricsTable::onlyRowsDoneOrFailedAreWritten()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const fs::path folder = dir.path().toStdString();
    const auto dataset = datasetOf(dir, {"a.png", "b.png"});
    std::vector<EnhancedRow> rows(2);
    rows[0].rowIndex = 0; // never run
    rows[1] = doneRow(1, folder / "enhanced_images" / "b.png", 30.0);
    const auto table = buildMetricsTable(dataset, rows, folder / "metrics.csv");
    QCOMPARE(table.rows.size(), std::size_t(1));
    QCOMPARE(table.rows[0][0], std::string("P2"));
    // The dataset's own table is never the metrics CSV.
    QVERIFY_THROWS_EXCEPTION(EngineError, writeMetricsCsv(dataset, rows, dataset.csvFile));
}

void TestMetricsTable::aMergeKeepsTheRowsOfOtherRuns()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const fs::path folder = dir.path().toStdString();
    const auto dataset = datasetOf(dir, {"a.png", "b.png"});
    const fs::path csv = folder / "brain_tumor_info_metrics.csv";
    std::vector<EnhancedRow> earlier(2);
    earlier[0] = doneRow(0, folder / "enhanced_images" / "a.png", 33.0);
    earlier[1].rowIndex = 1;
    touch(earlier[0].enhancedImage);
    writeMetricsCsv(dataset, earlier, csv);

    // This run did row 2 only: row 1 stays as the other run wrote it.
    std::vector<EnhancedRow> mine(2);
    mine[0].rowIndex = 0;
    mine[1] = doneRow(1, folder / "enhanced_images" / "b.png", 29.0);
    touch(mine[1].enhancedImage);
    std::vector<std::string> notices;
    std::vector<std::string> heard;
    mergeAndWriteMetrics(dataset, mine, {false, true}, csv, [&](const std::string &m) { heard.push_back(m); },
                         notices);
    QVERIFY(notices.empty());
    const auto merged = readMetricsCsv(dataset, csv);
    QVERIFY(merged[0].done);
    QCOMPARE(merged[0].psnr, 33.0);
    QVERIFY(merged[1].done);
    QCOMPARE(merged[1].psnr, 29.0);
}

void TestMetricsTable::aMalformedCsvIsKeptAside()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const fs::path folder = dir.path().toStdString();
    const auto dataset = datasetOf(dir, {"a.png"});
    const fs::path csv = folder / "brain_tumor_info_metrics.csv";
    touch(csv);
    {
        QFile out(QString::fromStdString(csv.string()));
        QVERIFY(out.open(QIODevice::WriteOnly));
        out.write("no,metrics,here\n1,2,3\n");
    }
    std::vector<EnhancedRow> mine{doneRow(0, folder / "enhanced_images" / "a.png", 30.0)};
    touch(mine[0].enhancedImage);
    std::vector<std::string> notices;
    mergeAndWriteMetrics(dataset, mine, {true}, csv, {}, notices);
    QCOMPARE(notices.size(), std::size_t(1));
    QVERIFY(notices[0].find("malformed") != std::string::npos);
    const QStringList backups = QDir(dir.path()).entryList({"brain_tumor_info_metrics.csv.malformed-*"}, QDir::Files);
    QCOMPARE(backups.size(), 1);
    QVERIFY(readMetricsCsv(dataset, csv)[0].done);
}

QTEST_APPLESS_MAIN(TestMetricsTable)
#include "tst_metricstable.moc"
