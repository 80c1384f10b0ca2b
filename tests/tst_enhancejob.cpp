// The enhancement job's promises about the user's data: outputs that cannot
// collide or overwrite what the user gave us, a metrics CSV that keeps every
// row across partial, concurrent and earlier runs. Uses the small committed
// model of tests/data/models.

#include "base/EngineError.h"
#include "dataset/Dataset.h"
#include "enhance/EnhanceJob.h"
#include "io/AtomicFile.h"
#include "io/CsvTable.h"
#include "io/ImageIO.h"
#include "quality/Metrics.h"
#include "quality/Noise.h"
#include "quality/TissueContrast.h"
#include "TestDatasets.h"

#include <QCryptographicHash>
#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QTemporaryDir>
#include <QtTest>

#include <chrono>

#include <opencv2/core.hpp>

#include <fstream>
#include <set>
#include <tuple>
#include <thread>

using namespace mri;

class TestEnhanceJob final : public QObject
{
    Q_OBJECT

private slots:
    void sameFileNameInTwoFoldersGetsTwoOutputs();
    void anInputAtAnOutputNameIsRefusedBeforeAnyWork();
    void concurrentRunsOnOtherPatientsKeepEachOthersRows();
    void malformedEarlierCsvIsKeptAside();
    void theSameImageInTwoRowsKeepsBothRows();
    void outputsCannotOverwriteWhatTheUserGave_data();
    void outputsCannotOverwriteWhatTheUserGave();
    void userColumnsNamedLikeOursAreKept();
    void longFileNamesAndStaleTemporaryFiles();
    void anUnwritableOutputFolderIsFoundBeforeWork();
    void aSliceSmallerThanTheSsimWindowIsOneRowsSentence();
    void theNoiseOfEverySliceIsMeasuredAndReported();
    void tilesOfALargeSliceReportProgressAndCancelPromptly();
    void theContrastStepIsAppliedAndMeasured();

private:
    static QString model() { return QStringLiteral(MRI_TEST_DATA_DIR "/models/model-v1.pt"); }
    // Writes a slice (8-bit PNG) with its own content for `seed`.
    static void writeSlice(const QString &file, std::uint64_t seed);
    static void writeCsv(const QString &file, const QString &text);
    static QByteArray treeDigest(const QString &folder);
    static EnhanceRunResult run(const QString &folder, EnhanceOptions options = {});
};

void TestEnhanceJob::writeSlice(const QString &file, std::uint64_t seed)
{
    QDir().mkpath(QFileInfo(file).absolutePath());
    const cv::Mat unit = test::syntheticSlice(40, 32, seed);
    saveImageAtomically(file.toStdString(), fromUnitFloat(unit, CV_8U));
}

void TestEnhanceJob::writeCsv(const QString &file, const QString &text)
{
    QFile out(file);
    QVERIFY(out.open(QIODevice::WriteOnly | QIODevice::Truncate));
    out.write(text.toUtf8());
}

QByteArray TestEnhanceJob::treeDigest(const QString &folder)
{
    QCryptographicHash hash(QCryptographicHash::Sha256);
    QStringList files;
    QDirIterator it(folder, QDir::Files | QDir::Hidden, QDirIterator::Subdirectories);
    while (it.hasNext())
        files.push_back(it.next());
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

EnhanceRunResult TestEnhanceJob::run(const QString &folder, EnhanceOptions options)
{
    options.modelFile = model().toStdString();
    std::atomic_bool cancel{false};
    return enhanceDataset(openDataset(folder.toStdString()), options, {}, cancel);
}

void TestEnhanceJob::sameFileNameInTwoFoldersGetsTwoOutputs()
{
    QTemporaryDir dir;
    writeSlice(dir.filePath("a/scan.png"), 1);
    writeSlice(dir.filePath("b/scan.png"), 2);
    writeSlice(dir.filePath("a/scan.tif"), 3);
    writeCsv(dir.filePath("brain_tumor_info.csv"), "patient_id,image_path\nP1,a/scan.png\nP2,b/scan.png\nP3,a/scan.tif\n");
    const auto result = run(dir.path());
    QCOMPARE(result.succeeded, 3);
    std::set<std::filesystem::path> outputs;
    for (const auto &row : result.rows)
        outputs.insert(row.enhancedImage);
    QCOMPARE(outputs.size(), std::size_t(3));
    const auto table = readCsvFile(result.metricsCsv);
    const int enhanced = table.columnIndex("enhanced_image_path");
    QCOMPARE(table.rows[0][enhanced], std::string("enhanced_images/a/scan.png"));
    QCOMPARE(table.rows[1][enhanced], std::string("enhanced_images/b/scan.png"));
    QCOMPARE(table.rows[2][enhanced], std::string("enhanced_images/a/scan_tif.png"));
    // Each row's numbers are those of its own output against its own input.
    const int psnr = table.columnIndex("PSNR");
    for (const auto &[input, output, row] : {std::tuple{"a/scan.png", "enhanced_images/a/scan.png", 0},
                                             std::tuple{"b/scan.png", "enhanced_images/b/scan.png", 1}}) {
        const auto metrics = compareImages(loadGrayscaleImage(dir.filePath(input).toStdString()),
                                           loadGrayscaleImage(dir.filePath(output).toStdString()));
        QCOMPARE(table.rows[row][psnr], formatMetric(metrics.psnr, 4));
    }
    QVERIFY(table.rows[0][psnr] != table.rows[1][psnr]);
}

void TestEnhanceJob::anInputAtAnOutputNameIsRefusedBeforeAnyWork()
{
    QTemporaryDir dir;
    writeSlice(dir.filePath("scan.png"), 1);
    writeSlice(dir.filePath("enhanced_images/scan.png"), 2); // an input where scan.png's output would go
    writeCsv(dir.filePath("brain_tumor_info.csv"), "patient_id,image_path\nP1,scan.png\nP2,enhanced_images/scan.png\n");
    const QByteArray before = treeDigest(dir.path());
    try {
        run(dir.path());
        QFAIL("an output over an input must be refused");
    } catch (const EngineError &error) {
        const QString text = QString::fromUtf8(error.what());
        QVERIFY2(text.contains("enhanced_images/scan.png") && text.contains("would overwrite"), qPrintable(text));
    }
    QCOMPARE(treeDigest(dir.path()), before);
}

void TestEnhanceJob::concurrentRunsOnOtherPatientsKeepEachOthersRows()
{
    QTemporaryDir dir;
    QString csv = "patient_id,image_path\n";
    for (int i = 0; i < 12; ++i) {
        writeSlice(dir.filePath(QStringLiteral("images/s%1.png").arg(i)), 10 + i);
        csv += QStringLiteral("P%1,images/s%1.png\n").arg(i);
    }
    writeCsv(dir.filePath("brain_tumor_info.csv"), csv);
    EnhanceOptions first;
    EnhanceOptions second;
    for (int i = 0; i < 12; ++i)
        (i % 2 ? second : first).patientIds.push_back("P" + std::to_string(i));
    EnhanceRunResult a;
    EnhanceRunResult b;
    std::thread one([&] { a = run(dir.path(), first); });
    std::thread two([&] { b = run(dir.path(), second); });
    one.join();
    two.join();
    QCOMPARE(a.succeeded + b.succeeded, 12);
    const auto table = readCsvFile(dir.filePath("brain_tumor_info_metrics.csv").toStdString());
    QCOMPARE(table.rows.size(), std::size_t(12));
}

void TestEnhanceJob::malformedEarlierCsvIsKeptAside()
{
    QTemporaryDir dir;
    writeSlice(dir.filePath("images/s1.png"), 1);
    writeSlice(dir.filePath("images/s2.png"), 2);
    writeCsv(dir.filePath("brain_tumor_info.csv"), "patient_id,image_path\nP1,images/s1.png\nP2,images/s2.png\n");
    const QByteArray damaged = "patient_id,image_path,enhanced_image_path,PSNR,SSIM,error\nP1,\"images/s1.png\n";
    writeCsv(dir.filePath("brain_tumor_info_metrics.csv"), QString::fromUtf8(damaged));
    EnhanceOptions options;
    options.patientIds = {"P2"};
    const auto result = run(dir.path(), options);
    // One notice about the CSV (the other one reports the measured noise).
    const auto malformed = std::count_if(result.notices.begin(), result.notices.end(), [](const std::string &notice) {
        return notice.find("malformed") != std::string::npos;
    });
    QCOMPARE(malformed, 1);
    const QStringList backups = QDir(dir.path()).entryList({"brain_tumor_info_metrics.csv.malformed-*"}, QDir::Files);
    QCOMPARE(backups.size(), 1);
    QFile backup(dir.filePath(backups[0]));
    QVERIFY(backup.open(QIODevice::ReadOnly));
    QCOMPARE(backup.readAll(), damaged);
    QCOMPARE(readCsvFile(result.metricsCsv).rows.size(), std::size_t(1));
}

void TestEnhanceJob::theSameImageInTwoRowsKeepsBothRows()
{
    QTemporaryDir dir;
    writeSlice(dir.filePath("images/s1.png"), 1);
    writeSlice(dir.filePath("images/s2.png"), 2);
    writeCsv(dir.filePath("brain_tumor_info.csv"),
             "patient_id,image_path,visit\nP1,images/s1.png,1\nP1,images/s1.png,2\nP2,images/s2.png,1\n");
    QCOMPARE(run(dir.path()).succeeded, 3);
    // A partial rerun of the other patient keeps both rows of the first, each pointing at its image.
    EnhanceOptions options;
    options.patientIds = {"P2"};
    run(dir.path(), options);
    const auto table = readCsvFile(dir.filePath("brain_tumor_info_metrics.csv").toStdString());
    QCOMPARE(table.rows.size(), std::size_t(3));
    const int visit = table.columnIndex("visit");
    const int enhanced = table.columnIndex("enhanced_image_path");
    QCOMPARE(table.rows[0][visit], std::string("1"));
    QCOMPARE(table.rows[1][visit], std::string("2"));
    QCOMPARE(table.rows[0][enhanced], std::string("enhanced_images/images/s1.png"));
    QCOMPARE(table.rows[1][enhanced], std::string("enhanced_images/images/s1.png"));
    QCOMPARE(table.rows[2][enhanced], std::string("enhanced_images/images/s2.png"));
}

void TestEnhanceJob::outputsCannotOverwriteWhatTheUserGave_data()
{
    QTest::addColumn<QString>("outputDir");
    QTest::addColumn<QString>("metricsCsv");
    QTest::addColumn<QString>("mustSay");
    QTest::newRow("out-dir is the ground truth") << "clean" << "" << "holds input images";
    QTest::newRow("out-dir is the dataset") << "." << "" << "would overwrite";
    QTest::newRow("csv is the model") << "" << "@model" << "model file";
    QTest::newRow("csv is an input") << "" << "images/slice_1.png" << "input image";
    QTest::newRow("csv is the ground truth") << "" << "clean/slice_1.png" << "ground truth";
    QTest::newRow("csv is the dataset table") << "" << "brain_tumor_info.csv" << "dataset's table";
}

void TestEnhanceJob::outputsCannotOverwriteWhatTheUserGave()
{
    QFETCH(QString, outputDir);
    QFETCH(QString, metricsCsv);
    QFETCH(QString, mustSay);
    QTemporaryDir dir;
    test::writeSyntheticDataset(dir.path(), 3, 40, 32);
    QVERIFY(QFile::copy(model(), dir.filePath("model.pt")));
    const QByteArray before = treeDigest(dir.path());
    EnhanceOptions options;
    if (!outputDir.isEmpty())
        options.outputDir = dir.filePath(outputDir).toStdString();
    if (!metricsCsv.isEmpty())
        options.metricsCsv = metricsCsv == "@model" ? dir.filePath("model.pt").toStdString() : dir.filePath(metricsCsv).toStdString();
    options.modelFile = dir.filePath("model.pt").toStdString();
    std::atomic_bool cancel{false};
    try {
        enhanceDataset(openDataset(dir.path().toStdString()), options, {}, cancel);
        QFAIL("the run must be refused");
    } catch (const EngineError &error) {
        const QString text = QString::fromUtf8(error.what());
        QVERIFY2(text.contains(mustSay) && !text.contains('\n'), qPrintable(text));
    }
    QCOMPARE(treeDigest(dir.path()), before);
}

void TestEnhanceJob::userColumnsNamedLikeOursAreKept()
{
    QTemporaryDir dir;
    writeSlice(dir.filePath("images/s1.png"), 1);
    writeSlice(dir.filePath("images/s2.png"), 2);
    writeCsv(dir.filePath("brain_tumor_info.csv"), "patient_id,image_path,Error,psnr,enhanced_image_path,Format\n"
                                                   "P1,images/s1.png,none,31.5,old/s1.png,png\n"
                                                   "P2,images/s2.png,x,29,old/s2.png,png\n");
    QCOMPARE(run(dir.path()).succeeded, 2);
    EnhanceOptions options;
    options.patientIds = {"P2"};
    run(dir.path(), options); // the earlier row of P1 is found again through the renamed columns
    const auto table = readCsvFile(dir.filePath("brain_tumor_info_metrics.csv").toStdString());
    std::vector<std::string> expected{"patient_id", "image_path", "Error_input", "psnr_input",
                                      "enhanced_image_path_input", "Format_input", "enhanced_image_path",
                                      "PSNR", "SSIM", "CNR", "contrast", "data_range", "slices", "format",
                                      "scale", "upsampled_along", "metrics_grid", "model_sha256", "error"};
    expected.insert(expected.end(), selfCheckColumns().begin(), selfCheckColumns().end());
    QCOMPARE(table.header, expected);
    QCOMPARE(table.rows.size(), std::size_t(2));
    QCOMPARE(table.rows[0][2], std::string("none"));
    QCOMPARE(table.rows[0][3], std::string("31.5"));
    QCOMPARE(table.rows[0][4], std::string("old/s1.png"));
    QCOMPARE(table.rows[0][5], std::string("png"));
    QCOMPARE(table.rows[0][6], std::string("enhanced_images/images/s1.png"));
    QCOMPARE(table.rows[0][10], std::string("none"));
    QCOMPARE(table.rows[0][13], std::string("picture"));
}

void TestEnhanceJob::longFileNamesAndStaleTemporaryFiles()
{
    QTemporaryDir dir;
    const QString longName = QString(240, QChar('n')) + ".png";
    writeSlice(dir.filePath("images/" + longName), 1);
    writeCsv(dir.filePath("brain_tumor_info.csv"), "patient_id,image_path\nP1,images/" + longName + "\n");
    // A temporary file of a process that no longer runs (pid_max is never a live pid).
    std::ifstream pidMax("/proc/sys/kernel/pid_max");
    long deadPid = 4194304;
    pidMax >> deadPid;
    QDir().mkpath(dir.filePath("enhanced_images/images"));
    const QString stale = dir.filePath(QStringLiteral("enhanced_images/images/.old.tmp-%1-0123456789abcdef.png").arg(deadPid));
    writeCsv(stale, "half");
    const QString live = dir.filePath(QStringLiteral("enhanced_images/images/.mine.tmp-%1-0123456789abcdef.png").arg(QCoreApplication::applicationPid()));
    writeCsv(live, "in progress");
    // This machine's tag, from a temporary name of ours; another machine's
    // file on a shared file system is left alone whatever its process id.
    std::string ours;
    writeFileAtomically(dir.filePath("probe.png").toStdString(),
                        [&](const std::filesystem::path &temporary) { ours = temporary.filename().string(); std::ofstream(temporary) << "x"; });
    const auto at = ours.rfind('@');
    QVERIFY2(at != std::string::npos && ours.size() >= at + 9, ours.c_str());
    std::string otherTag = ours.substr(at + 1, 8);
    otherTag[0] = otherTag[0] == '0' ? '1' : '0';
    const QString staleHere = dir.filePath(QStringLiteral("enhanced_images/images/.here.tmp-%1-0123456789abcdef@%2.png")
                                               .arg(deadPid)
                                               .arg(QString::fromStdString(ours.substr(at + 1, 8))));
    writeCsv(staleHere, "half");
    const QString otherMachine = dir.filePath(QStringLiteral("enhanced_images/images/.there.tmp-%1-0123456789abcdef@%2.png")
                                                  .arg(deadPid)
                                                  .arg(QString::fromStdString(otherTag)));
    writeCsv(otherMachine, "in progress elsewhere");
    const auto result = run(dir.path());
    QCOMPARE(result.succeeded, 1);
    QVERIFY(QFile::exists(dir.filePath("enhanced_images/images/" + longName)));
    QVERIFY(!QFile::exists(stale));
    QVERIFY(!QFile::exists(staleHere));
    QVERIFY(QFile::exists(live)); // a running process's file is left alone
    QVERIFY(QFile::exists(otherMachine));
}

void TestEnhanceJob::anUnwritableOutputFolderIsFoundBeforeWork()
{
    QTemporaryDir dir;
    test::writeSyntheticDataset(dir.path(), 2, 40, 32);
    writeCsv(dir.filePath("not-a-folder"), "x");
    EnhanceOptions options;
    options.outputDir = dir.filePath("not-a-folder/out").toStdString();
    EnhanceCallbacks callbacks;
    int rows = 0;
    callbacks.onRow = [&](const EnhancedRow &) { ++rows; };
    options.modelFile = model().toStdString();
    std::atomic_bool cancel{false};
    QVERIFY_THROWS_EXCEPTION(EngineError, enhanceDataset(openDataset(dir.path().toStdString()), options, callbacks, cancel));
    QCOMPARE(rows, 0);
}

void TestEnhanceJob::aSliceSmallerThanTheSsimWindowIsOneRowsSentence()
{
    QTemporaryDir dir;
    writeSlice(dir.filePath("images/big.png"), 1);
    saveImageAtomically(dir.filePath("images/tiny.png").toStdString(), cv::Mat(5, 6, CV_8UC1, cv::Scalar(40)));
    writeCsv(dir.filePath("brain_tumor_info.csv"), "patient_id,image_path\nP1,images/tiny.png\nP2,images/big.png\n");
    const auto result = run(dir.path());
    QCOMPARE(result.succeeded, 1);
    QCOMPARE(result.failed, 1);
    QVERIFY2(result.rows[0].error.find("tiny.png' is 6x5 pixels") != std::string::npos, result.rows[0].error.c_str());
    QVERIFY(!QFile::exists(dir.filePath("enhanced_images/images/tiny.png")));
}

// The noise the floor removal works with is measured in each slice's
// background, reported in one sentence, and the coil count can be overridden.
void TestEnhanceJob::theNoiseOfEverySliceIsMeasuredAndReported()
{
    QTemporaryDir dir;
    QString csv = "patient_id,image_path\n";
    for (int i = 0; i < 3; ++i) {
        const cv::Mat clean = fromUnitFloat(test::syntheticSlice(160, 150, 30 + i), CV_8U);
        const auto name = QStringLiteral("s%1.png").arg(i);
        saveImageAtomically(dir.filePath(name).toStdString(), addNoise(clean, parseNoiseSpec("rician"), 0.06, 5 + i));
        csv += QStringLiteral("P%1,%2\n").arg(i).arg(name);
    }
    writeCsv(dir.filePath("brain_tumor_info.csv"), csv);
    const auto result = run(dir.path());
    QCOMPARE(result.succeeded, 3);
    for (const auto &row : result.rows) {
        QVERIFY2(std::abs(row.noise.sigma - 0.06) < 0.01, qPrintable(QString::number(row.noise.sigma)));
        QCOMPARE(row.noise.coils, 1.0);
        QVERIFY(row.noise.backgroundPixels > 0);
    }
    QVERIFY(std::any_of(result.notices.begin(), result.notices.end(), [](const std::string &notice) {
        return notice.rfind("Noise in the slices' background (median of 3): sigma 6.", 0) == 0
            && notice.find("1 coil,") != std::string::npos;
    }));
    EnhanceOptions fourCoils;
    fourCoils.noiseCoils = 4;
    fourCoils.writeCsv = false;
    for (const auto &row : run(dir.path(), fourCoils).rows)
        QCOMPARE(row.noise.coils, 4.0);
}

// A slice of many tiles reports each tile (slice k of n, tile i of m); a
// cancel between tiles stops the slice at once, and nothing is written for it.
void TestEnhanceJob::tilesOfALargeSliceReportProgressAndCancelPromptly()
{
    QTemporaryDir dir;
    const cv::Mat clean = fromUnitFloat(test::syntheticSlice(700, 600, 3), CV_8U);
    saveImageAtomically(dir.filePath("big.png").toStdString(), clean);
    writeCsv(dir.filePath("brain_tumor_info.csv"), "patient_id,image_path\nP1,big.png\n");
    EnhanceOptions options;
    options.modelFile = model().toStdString();
    options.tileSize = 64;
    std::vector<SliceProgress> reports;
    EnhanceCallbacks callbacks;
    callbacks.onSliceProgress = [&](const SliceProgress &progress) { reports.push_back(progress); };
    std::atomic_bool cancel{false};
    const auto result = enhanceDataset(openDataset(dir.path().toStdString()), options, callbacks, cancel);
    QCOMPARE(result.succeeded, 1);
    QVERIFY(reports.size() > 20);
    for (std::size_t i = 0; i < reports.size(); ++i) {
        QCOMPARE(reports[i].tilesDone, static_cast<int>(i) + 1);
        QCOMPARE(reports[i].tilesTotal, static_cast<int>(reports.size()));
        QCOMPARE(reports[i].slice, 1);
        QCOMPARE(reports[i].slices, 1);
        QCOMPARE(reports[i].rowIndex, std::size_t(0));
    }

    std::chrono::steady_clock::time_point cancelledAt;
    int tilesRun = 0;
    callbacks.onSliceProgress = [&](const SliceProgress &progress) {
        tilesRun = progress.tilesDone;
        if (progress.tilesDone == 3) {
            cancel = true;
            cancelledAt = std::chrono::steady_clock::now();
        }
    };
    options.outputDir = dir.filePath("second").toStdString();
    options.writeCsv = false;
    const auto stopped = enhanceDataset(openDataset(dir.path().toStdString()), options, callbacks, cancel);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - cancelledAt).count();
    QVERIFY(stopped.cancelled);
    QCOMPARE(stopped.succeeded, 0);
    QCOMPARE(tilesRun, 3);
    QVERIFY2(seconds < 1.0, qPrintable(QString::number(seconds)));
    QVERIFY(!QFile::exists(dir.filePath("second/big.png")));
}

// --contrast: the written picture is the network's result through the step;
// the CSV names the step and gives the grey/white CNR of what was written
// with the classes of the result before the step. The test model's output is
// nearly flat (no three classes): its CNR is "nan", as documented; the
// figure's values on real slices are checked in tst_contrast and measured by
// bench_contrast.
void TestEnhanceJob::theContrastStepIsAppliedAndMeasured()
{
    QTemporaryDir plainDir;
    QTemporaryDir claheDir;
    for (const auto *dir : {&plainDir, &claheDir}) {
        for (int i = 0; i < 3; ++i)
            writeSlice(dir->filePath(QString("images/s%1.png").arg(i)), 40 + i);
        writeCsv(dir->filePath("brain_tumor_info.csv"),
                 "patient_id,image_path\nP0,images/s0.png\nP1,images/s1.png\nP2,images/s2.png\n");
    }
    const auto plain = run(plainDir.path());
    EnhanceOptions options;
    options.contrast = parseContrastStep("clahe:3,4");
    const auto clahe = run(claheDir.path(), options);
    QCOMPARE(plain.succeeded, 3);
    QCOMPARE(clahe.succeeded, 3);
    const auto plainTable = readCsvFile(plainDir.filePath("brain_tumor_info_metrics.csv").toStdString());
    const auto claheTable = readCsvFile(claheDir.filePath("brain_tumor_info_metrics.csv").toStdString());
    const int cnr = claheTable.columnIndex("CNR");
    const int contrast = claheTable.columnIndex("contrast");
    QCOMPARE(cnr, claheTable.columnIndex("SSIM") + 1);
    QCOMPARE(contrast, cnr + 1);
    for (std::size_t r = 0; r < 3; ++r) {
        QCOMPARE(plainTable.rows[r][static_cast<std::size_t>(contrast)], std::string("none"));
        QCOMPARE(claheTable.rows[r][static_cast<std::size_t>(contrast)], std::string("clahe:3,4"));
        // The written picture is the plain result through the step.
        const cv::Mat plainImage = loadGrayscaleImage(plain.rows[r].enhancedImage);
        const cv::Mat claheImage = loadGrayscaleImage(clahe.rows[r].enhancedImage);
        const cv::Mat expected = fromUnitFloat(applyContrast(toUnitFloat(plainImage), options.contrast), CV_8U);
        QCOMPARE(cv::norm(claheImage, expected, cv::NORM_INF), 0.0);
        // The CNR columns: the written image with the classes of the network's result.
        for (const auto &[table, image] : {std::pair{&plainTable, plainImage}, std::pair{&claheTable, claheImage}}) {
            const std::string written = table->rows[r][static_cast<std::size_t>(cnr)];
            const double value = greyWhiteCnr(image, plainImage);
            QCOMPARE(written, formatMetric(value, 4));
            QVERIFY2(written == "nan" || (value >= 0.0 && value < 1000.0), written.c_str());
        }
        QCOMPARE(formatMetric(clahe.rows[r].cnr, 4), claheTable.rows[r][static_cast<std::size_t>(cnr)]);
        // PSNR/SSIM are the written image's against the input.
        const auto metrics = compareImages(loadGrayscaleImage(claheDir.filePath(QString("images/s%1.png").arg(r)).toStdString()), claheImage);
        QVERIFY(std::abs(clahe.rows[r].psnr - metrics.psnr) < 1e-9);
    }
    // Read back.
    const auto again = readMetricsCsv(openDataset(claheDir.path().toStdString()), claheDir.filePath("brain_tumor_info_metrics.csv").toStdString());
    QCOMPARE(again[1].contrast, std::string("clahe:3,4"));
    QCOMPARE(formatMetric(again[1].cnr, 4), formatMetric(clahe.rows[1].cnr, 4));
    // An out-of-range step is refused before any work.
    EnhanceOptions bad;
    bad.contrast.kind = ContrastKind::Gamma;
    bad.contrast.gamma = 9.0;
    QVERIFY_THROWS_EXCEPTION(EngineError, run(claheDir.path(), bad));
}

QTEST_GUILESS_MAIN(TestEnhanceJob)
#include "tst_enhancejob.moc"
