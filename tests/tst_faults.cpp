// kill -9 of `mri-enhance enhance` and `train` at random moments (seeded), then
// the same command again, as a user after a crash or a preempted cluster job
// would: no partial file under a final name, no stale temporary file after the
// rerun, resume works, and the metrics CSV has every row exactly once.

#include "io/CsvTable.h"
#include "io/ImageIO.h"
#include "model/ModelInfo.h"
#include "TestDatasets.h"

#include <QDir>
#include <QDirIterator>
#include <QElapsedTimer>
#include <QFile>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include <random>
#include <set>

#include <signal.h>

using namespace mri;

class TestFaults final : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void killedEnhancementIsRepairedByARerun_data();
    void killedEnhancementIsRepairedByARerun();
    void killedTrainingResumes_data();
    void killedTrainingResumes();
    void trainingOnAFullDiskIsOneSentence();
    void twoProcessesOnOtherPatientsKeepAllRows();

private:
    QTemporaryDir m_dir;
};

namespace {

const QStringList kTinyNetwork{"--depth", "1", "--base-channels", "4", "--patch", "16", "--batch", "4",
                               "--patches-per-image", "6", "--seed", "3", "--threads", "1"};

int runToEnd(const QStringList &arguments)
{
    QProcess process;
    process.start(QStringLiteral(MRI_ENHANCE_EXECUTABLE), arguments);
    if (!process.waitForFinished(240000))
        return -1;
    return process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1;
}

// Starts the command and kills it (SIGKILL) after `afterMs`, or lets it end.
void killAfter(const QStringList &arguments, int afterMs)
{
    QProcess process;
    process.start(QStringLiteral(MRI_ENHANCE_EXECUTABLE), arguments);
    QVERIFY(process.waitForStarted());
    if (!process.waitForFinished(afterMs)) {
        ::kill(static_cast<pid_t>(process.processId()), SIGKILL);
        process.waitForFinished();
    }
}

QStringList filesBelow(const QString &folder)
{
    QStringList files;
    QDirIterator it(folder, QDir::Files | QDir::Hidden, QDirIterator::Subdirectories);
    while (it.hasNext())
        files << it.next();
    return files;
}

void verifyNoTemporaryFiles(const QString &folder)
{
    for (const auto &file : filesBelow(folder))
        QVERIFY2(!QFileInfo(file).fileName().contains(QStringLiteral(".tmp-")), qPrintable(file));
}

} // namespace

void TestFaults::initTestCase()
{
    QVERIFY(m_dir.isValid());
    test::writeSyntheticDataset(m_dir.filePath("template"), 16, 96, 80);
}

void TestFaults::killedEnhancementIsRepairedByARerun_data()
{
    QTest::addColumn<int>("seed");
    for (int seed : {1, 2, 3})
        QTest::newRow(qPrintable(QStringLiteral("seed %1").arg(seed))) << seed;
}

void TestFaults::killedEnhancementIsRepairedByARerun()
{
    QFETCH(int, seed);
    const QString dataset = m_dir.filePath(QStringLiteral("enhance-%1").arg(seed));
    test::writeSyntheticDataset(dataset, 16, 96, 80, static_cast<std::uint64_t>(seed));
    const QString model = QStringLiteral(MRI_TEST_DATA_DIR "/models/model-v1.pt");
    const QStringList enhance{"enhance", "--dataset", dataset, "--model", model};
    // Time a whole run once, then kill runs at random points inside that time.
    QElapsedTimer timer;
    timer.start();
    QCOMPARE(runToEnd(enhance), 0);
    const int wholeMs = static_cast<int>(timer.elapsed());
    QVERIFY(QFile::remove(QDir(dataset).filePath("brain_tumor_info_metrics.csv")));
    QVERIFY(QDir(QDir(dataset).filePath("enhanced_images")).removeRecursively());

    std::mt19937 random(static_cast<unsigned>(seed));
    for (int kill = 0; kill < 3; ++kill)
        killAfter(enhance, std::uniform_int_distribution<int>(wholeMs / 10, wholeMs)(random));
    // Whatever was left under a final name is a complete image.
    for (const auto &file : filesBelow(QDir(dataset).filePath("enhanced_images"))) {
        if (!QFileInfo(file).fileName().startsWith('.'))
            loadGrayscaleImage(file.toStdString());
    }
    QCOMPARE(runToEnd(enhance), 0);
    verifyNoTemporaryFiles(dataset);
    const auto table = readCsvFile(QDir(dataset).filePath("brain_tumor_info_metrics.csv").toStdString());
    QCOMPARE(table.rows.size(), std::size_t(16));
    std::set<std::string> patients;
    for (const auto &row : table.rows) {
        patients.insert(row[static_cast<std::size_t>(table.columnIndex("patient_id"))]);
        QVERIFY(row[static_cast<std::size_t>(table.columnIndex("error"))].empty());
    }
    QCOMPARE(patients.size(), std::size_t(16));
}

void TestFaults::killedTrainingResumes_data()
{
    QTest::addColumn<int>("seed");
    for (int seed : {1, 2})
        QTest::newRow(qPrintable(QStringLiteral("seed %1").arg(seed))) << seed;
}

void TestFaults::killedTrainingResumes()
{
    QFETCH(int, seed);
    const QString dataset = m_dir.filePath("template");
    const QString models = m_dir.filePath(QStringLiteral("models-%1").arg(seed));
    QDir().mkpath(models);
    const QString model = QDir(models).filePath("model.pt");
    const QStringList train = QStringList{"train", "--dataset", dataset, "--model", model, "--epochs", "8"} + kTinyNetwork;
    std::mt19937 random(static_cast<unsigned>(seed));
    // Killed somewhere between start-up and the middle of the run.
    killAfter(train, std::uniform_int_distribution<int>(300, 4000)(random));
    if (QFile::exists(model)) {
        // A model under the final name is complete: it reads and resumes.
        readModelInfo(model.toStdString());
        QCOMPARE(runToEnd(train + QStringList{"--resume"}), 0);
    } else {
        QCOMPARE(runToEnd(train), 0);
    }
    verifyNoTemporaryFiles(models);
    QCOMPARE(readModelInfo(model.toStdString()).epochsTrained, 8);
}

void TestFaults::trainingOnAFullDiskIsOneSentence()
{
    // A file size limit makes every write past 4 KiB fail (EFBIG), as a full disk
    // does (ENOSPC): the same code path, without a disk to fill. SIGXFSZ is
    // ignored so that the write fails instead of killing the process.
    const QString models = m_dir.filePath("full-disk");
    QDir().mkpath(models);
    const QString model = QDir(models).filePath("model.pt");
    QStringList command{QStringLiteral(MRI_ENHANCE_EXECUTABLE), "train", "--dataset", m_dir.filePath("template"),
                        "--model", model, "--epochs", "1"};
    command += kTinyNetwork;
    QProcess process;
    process.start("bash", QStringList{"-c", "trap '' XFSZ; ulimit -f 4; exec \"$@\"", "bash"} + command);
    QVERIFY(process.waitForFinished(240000));
    QCOMPARE(process.exitStatus(), QProcess::NormalExit);
    QCOMPARE(process.exitCode(), 1);
    const QString err = QString::fromUtf8(process.readAllStandardError()).trimmed();
    const QString last = err.split('\n').last();
    QVERIFY2(last.contains(model) && last.contains("Cannot write"), qPrintable(err));
    QVERIFY2(!err.contains("terminate") && !err.contains("c10::"), qPrintable(err));
    QVERIFY(!QFile::exists(model));
    verifyNoTemporaryFiles(models);
}

void TestFaults::twoProcessesOnOtherPatientsKeepAllRows()
{
    const QString dataset = m_dir.filePath("concurrent");
    test::writeSyntheticDataset(dataset, 16, 96, 80, 7);
    QStringList odd;
    QStringList even;
    const auto table = readCsvFile(QDir(dataset).filePath("brain_tumor_info.csv").toStdString());
    for (std::size_t i = 0; i < table.rows.size(); ++i)
        (i % 2 ? odd : even) << QString::fromStdString(table.rows[i][static_cast<std::size_t>(table.columnIndex("patient_id"))]);
    const QString model = QStringLiteral(MRI_TEST_DATA_DIR "/models/model-v1.pt");
    QProcess first;
    QProcess second;
    first.start(QStringLiteral(MRI_ENHANCE_EXECUTABLE), {"enhance", "--dataset", dataset, "--model", model, "--patients", odd.join(',')});
    second.start(QStringLiteral(MRI_ENHANCE_EXECUTABLE), {"enhance", "--dataset", dataset, "--model", model, "--patients", even.join(',')});
    QVERIFY(first.waitForFinished(240000) && second.waitForFinished(240000));
    QCOMPARE(first.exitCode(), 0);
    QCOMPARE(second.exitCode(), 0);
    const auto metrics = readCsvFile(QDir(dataset).filePath("brain_tumor_info_metrics.csv").toStdString());
    QCOMPARE(metrics.rows.size(), table.rows.size());
}

QTEST_GUILESS_MAIN(TestFaults)
#include "tst_faults.moc"
