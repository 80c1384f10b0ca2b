// The command line end to end: a small dataset is built, a tiny model
// trained, slices enhanced and compared, exactly as a user would run it.
#include "dataset/ResultsLocation.h"
#include "io/CsvTable.h"
#include "io/ImageIO.h"
#include "quality/Metrics.h"
#include "TestDatasets.h"

#include <QCryptographicHash>
#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QProcess>
#include <QScopeGuard>
#include <QTemporaryDir>
#include <QtTest>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <opencv2/imgcodecs.hpp>

#include <unistd.h>

using namespace mri;

namespace {

struct Run
{
    int exitCode = -1;
    QString out;
    QString err;
};

Run runTool(const QStringList &arguments, int timeoutMs = 240000,
            const QProcessEnvironment &environment = QProcessEnvironment::systemEnvironment())
{
    QProcess process;
    process.setProcessEnvironment(environment);
    process.start(QStringLiteral(MRI_ENHANCE_EXECUTABLE), arguments);
    if (!process.waitForFinished(timeoutMs))
        process.kill();
    return {process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1,
            QString::fromUtf8(process.readAllStandardOutput()), QString::fromUtf8(process.readAllStandardError())};
}

QByteArray treeDigest(const QString &folder)
{
    QCryptographicHash hash(QCryptographicHash::Sha256);
    QStringList files;
    QDirIterator it(folder, QDir::Files | QDir::Hidden, QDirIterator::Subdirectories);
    while (it.hasNext())
        files << it.next();
    files.sort();
    for (const auto &file : files) {
        QFile f(file);
        if (f.open(QIODevice::ReadOnly)) {
            hash.addData(file.toUtf8());
            hash.addData(f.readAll());
        }
    }
    return hash.result();
}

const QStringList kTinyNetwork{"--depth", "2", "--base-channels", "8", "--patch", "32", "--batch", "8",
                               "--patches-per-image", "4", "--lr", "0.003", "--seed", "5", "--threads", "2"};

} // namespace

class TestEndToEnd final : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void trainEnhanceCompare();
    void readOnlyDatasetResultsGoToDataFolder();
    void usageErrors_data();
    void usageErrors();
    void metricsCommand();
    void selfCheckInReportsAndFailOn();
    void mirrorAverageCanBeTurnedOff();
    void badDatasetIsOneSentence();
    void startsWithPassiveThreadWaiting();

private:
    QTemporaryDir m_dir;
    QString m_input;
    QString m_work;
};

void TestEndToEnd::initTestCase()
{
    QVERIFY(m_dir.isValid());
    m_input = m_dir.filePath("input");
    test::writeSyntheticDataset(m_input, 5, 45, 38);
    // A 16-bit TIFF slice, and a row whose image is broken.
    const auto slice16 = fromUnitFloat(test::syntheticSlice(33, 29, 99), CV_16U);
    QVERIFY(cv::imwrite(QDir(m_input).filePath("images/deep.tif").toStdString(), slice16));
    QFile broken(QDir(m_input).filePath("images/broken.png"));
    QVERIFY(broken.open(QIODevice::WriteOnly));
    broken.write("\x89PNG\r\n\x1a\n truncated");
    broken.close();
    QFile csv(QDir(m_input).filePath("brain_tumor_info.csv"));
    QVERIFY(csv.open(QIODevice::Append));
    csv.write("P-200,images/deep.tif,,61\n\"P-201, broken\",images/broken.png,,62\n");
    csv.close();
    m_work = m_dir.filePath("work");
    QVERIFY(QDir().mkpath(m_work));
}

void TestEndToEnd::trainEnhanceCompare()
{
    const QByteArray inputBefore = treeDigest(m_input);
    const QString model = QDir(m_work).filePath("model.pt");

    auto train = runTool(QStringList{"train", "--dataset", m_input, "--model", model, "--epochs", "2"} + kTinyNetwork);
    QVERIFY2(train.exitCode == 0, qPrintable(train.err));
    QVERIFY(train.out.contains("Trained 2 epochs"));
    QVERIFY2(train.err.contains("broken.png"), qPrintable(train.err)); // the skipped row is named
    QVERIFY(train.err.contains("Epoch 2/2"));
    QVERIFY(QFile::exists(model));

    const QString outDir = QDir(m_work).filePath("enhanced");
    const QString metrics = QDir(m_work).filePath("metrics.csv");
    auto enhance = runTool({"enhance", "--dataset", m_input, "--model", model, "--out-dir", outDir, "--csv-out", metrics});
    QCOMPARE(enhance.exitCode, 3); // one row failed, the others were written
    QVERIFY2(enhance.err.contains("broken.png"), qPrintable(enhance.err));

    const auto table = readCsvFile(metrics.toStdString());
    std::vector<std::string> expected{"patient_id", "image_path", "clean_image_path", "age",
                                      "enhanced_image_path", "PSNR", "SSIM", "CNR", "contrast", "data_range",
                                      "slices", "format", "scale", "upsampled_along", "metrics_grid",
                                      "model_sha256", "error"};
    // The self-check's columns (SelfCheck.h), filled for every row done.
    for (const char *column : {"verdict", "verdict_reason", "estimated_gain_dB", "residual_to_noise",
                               "residual_edge_correlation", "residual_signal_correlation",
                               "residual_neighbour_correlation", "tissue_bias", "noise_sigma", "noise_coils",
                               "noise_level_min", "noise_level_max", "noise_left", "SNR_input", "SNR_result", "CNR_mriqc_input", "CNR_mriqc_result",
                               "CJV_input", "CJV_result", "EFC_input", "EFC_result"})
        expected.push_back(column);
    QCOMPARE(table.header, expected);
    const int verdictColumn = table.columnIndex("verdict");
    const int enhancedColumn = table.columnIndex("enhanced_image_path");
    for (const auto &row : table.rows) {
        const std::string &verdict = row[static_cast<std::size_t>(verdictColumn)];
        if (row[static_cast<std::size_t>(enhancedColumn)].empty())
            QVERIFY(verdict.empty());
        else
            QVERIFY2(verdict == "ok" || verdict == "check" || verdict == "suspect", verdict.c_str());
    }
    QCOMPARE(table.rows.size(), std::size_t(7));
    int failed = 0;
    for (const auto &row : table.rows) {
        if (row[0] == "P-201, broken") {
            ++failed;
            QVERIFY(row[4].empty() && row[5].empty() && row[6].empty() && row[7].empty() && row[8].empty()
                    && row[9].empty() && row[10].empty());
            QVERIFY(QString::fromStdString(row[16]).contains("broken.png"));
            continue;
        }
        QCOMPARE(row[8], std::string("none")); // contrast
        QVERIFY2(row[9] == "255" || row[9] == "65535", row[9].c_str()); // the picture's bit depth
        QCOMPARE(row[10], std::string("1"));
        QCOMPARE(row[11], std::string("picture"));
        QCOMPARE(row[12], std::string("1"));        // scale
        QVERIFY(row[13].empty());                   // upsampled_along
        QCOMPARE(row[14], std::string("enhanced")); // metrics_grid
        QCOMPARE(row[15].size(), std::size_t(64)); // model_sha256
        QVERIFY(row[16].empty());
        const QString enhancedPath = QDir(m_work).filePath(QString::fromStdString(row[4]));
        QVERIFY2(QFile::exists(enhancedPath), qPrintable(enhancedPath));
        const auto original = loadGrayscaleImage(QDir(m_input).filePath(QString::fromStdString(row[1])).toStdString());
        const auto enhanced = loadGrayscaleImage(enhancedPath.toStdString());
        QCOMPARE(enhanced.size(), original.size());
        QCOMPARE(enhanced.depth(), original.depth());
        // The CSV's numbers are those of the written image against its original.
        const auto expected = compareImages(original, enhanced);
        QCOMPARE(std::stod(row[5]), std::round(expected.psnr * 1e4) / 1e4);
        QVERIFY(std::abs(std::stod(row[6]) - expected.ssim) < 1e-6);
    }
    QCOMPARE(failed, 1);
    QCOMPARE(treeDigest(m_input), inputBefore); // nothing of the input was modified
    // One file per enhanced row, mirroring the input's place in the dataset (images/...).
    QCOMPARE(QDir(QDir(outDir).filePath("images")).entryList(QDir::Files | QDir::Hidden).size(), 6);

    // A subset with the default locations: the earlier CSV elsewhere is untouched.
    auto subset = runTool({"enhance", "--dataset", m_input, "--model", model, "--patients", "P-100,P-102"});
    QVERIFY2(subset.exitCode == 0, qPrintable(subset.err));
    const auto defaultCsv = readCsvFile(QDir(m_input).filePath("brain_tumor_info_metrics.csv").toStdString());
    QCOMPARE(defaultCsv.rows.size(), std::size_t(2));
    QVERIFY(QFile::exists(QDir(m_input).filePath("enhanced_images/images/slice_1.png")));
    auto unknown = runTool({"enhance", "--dataset", m_input, "--model", model, "--patients", "P-999"});
    QCOMPARE(unknown.exitCode, 1);
    QVERIFY(unknown.err.contains("P-999"));

    const QString figure = QDir(m_work).filePath("compare.png");
    auto compare = runTool({"compare", "--dataset", m_input, "--metrics-csv", metrics, "--out", figure, "--seed", "3"});
    QVERIFY2(compare.exitCode == 0, qPrintable(compare.err));
    QCOMPARE(compare.out.count("PSNR="), 3);
    const cv::Mat picture = cv::imread(figure.toStdString());
    QVERIFY(!picture.empty());
    QVERIFY(picture.rows > 3 * 300);
}

// The mirror average is on by default and --no-mirror-average turns it off:
// the report says which, and the results differ. Uses the model trained by
// trainEnhanceCompare().
void TestEndToEnd::mirrorAverageCanBeTurnedOff()
{
    const QString model = QDir(m_work).filePath("model.pt");
    QVERIFY(QFile::exists(model));
    std::vector<cv::Mat> results;
    for (const bool averaged : {true, false}) {
        const QString name = averaged ? QStringLiteral("mirrored") : QStringLiteral("one-pass");
        const QString outDir = QDir(m_work).filePath(name);
        const QString report = QDir(m_work).filePath(name + ".json");
        QStringList arguments{"enhance", "--dataset", m_input, "--model", model, "--patients", "P-100", "--out-dir",
                              outDir, "--csv-out", QDir(m_work).filePath(name + ".csv"), "--json", report};
        if (!averaged)
            arguments << "--no-mirror-average";
        const auto enhance = runTool(arguments);
        QVERIFY2(enhance.exitCode == 0, qPrintable(enhance.err));
        QFile file(report);
        QVERIFY(file.open(QIODevice::ReadOnly));
        const QJsonObject json = QJsonDocument::fromJson(file.readAll()).object();
        QCOMPARE(json["settings"].toObject()["mirror_average"].toBool(), averaged);
        const QString written = json["rows"].toArray().first().toObject()["enhanced_image_path"].toString();
        results.push_back(cv::imread(written.toStdString(), cv::IMREAD_UNCHANGED));
        QVERIFY(!results.back().empty());
    }
    QVERIFY(cv::norm(results[0], results[1], cv::NORM_INF) > 0.0);
}

// Every row done carries its self-check in the JSON report as in the CSV;
// with --fail-on check the rows not marked ok fail (exit 3) and lose their
// result. 'check' gives the verdict of a result against its input. Uses the
// model trained by trainEnhanceCompare().
void TestEndToEnd::selfCheckInReportsAndFailOn()
{
    const QString model = QDir(m_work).filePath("model.pt");
    QVERIFY(QFile::exists(model));
    const QString outDir = QDir(m_work).filePath("fail-on");
    const QString metrics = QDir(m_work).filePath("fail-on.csv");
    const QString report = QDir(m_work).filePath("fail-on.json");
    auto enhance = runTool({"enhance", "--dataset", m_input, "--model", model, "--out-dir", outDir, "--csv-out",
                            metrics, "--json", report, "--fail-on", "check"});
    QCOMPARE(enhance.exitCode, 3); // the broken row at least
    QFile file(report);
    QVERIFY(file.open(QIODevice::ReadOnly));
    const QJsonObject json = QJsonDocument::fromJson(file.readAll()).object();
    QCOMPARE(json["settings"].toObject()["fail_on"].toString(), QString("check"));
    const auto table = readCsvFile(metrics.toStdString());
    int refused = 0;
    for (const auto value : json["rows"].toArray()) {
        const QJsonObject row = value.toObject();
        const QString error = row["error"].toString();
        if (row["status"].toString() == "done") {
            const QJsonObject check = row["self_check"].toObject();
            QCOMPARE(check["verdict"].toString(), QString("ok"));
            QVERIFY(!check["verdict_reason"].toString().isEmpty());
            QVERIFY(check["residual_to_noise"].isDouble() && check["estimated_gain_dB"].isDouble());
            QVERIFY(QFile::exists(row["enhanced_image_path"].toString()));
            // The CSV says the same.
            bool found = false;
            for (const auto &line : table.rows)
                if (line[0] == row["patient_id"].toString().toStdString()) {
                    found = true;
                    QCOMPARE(line[static_cast<std::size_t>(table.columnIndex("verdict"))], std::string("ok"));
                    QCOMPARE(std::stod(line[static_cast<std::size_t>(table.columnIndex("residual_to_noise"))]),
                             check["residual_to_noise"].toDouble());
                }
            QVERIFY(found);
        } else if (error.contains("self-check")) {
            ++refused;
            QVERIFY2(error.contains("suspect (") || error.contains("check ("), qPrintable(error));
            const QString image = row["image_path"].toString();
            QVERIFY(!QFile::exists(QDir(outDir).filePath(image)));
        } else {
            QVERIFY2(error.contains("broken.png"), qPrintable(error));
        }
    }
    qInfo() << refused << "rows refused by their self-check";

    // 'check' on a picture: the input against itself changes nothing.
    const QString picture = QDir(m_input).filePath("images/slice_1.png");
    auto same = runTool({"check", picture, picture});
    QCOMPARE(same.exitCode, 0);
    QVERIFY2((same.out.contains("verdict=suspect") || same.out.contains("verdict=check"))
                 && same.out.contains("little changed"),
             qPrintable(same.out));
    QVERIFY(same.out.contains("estimated_gain_dB=") && same.out.contains("EFC_result="));
    auto missing = runTool({"check", picture});
    QCOMPARE(missing.exitCode, 2);
    QVERIFY(missing.err.contains("INPUT RESULT"));
}

// A dataset on a read-only folder is enhanced all the same: the results go to
// the engine's results location in the user's data folder, and the command
// says so. Uses the model trained by trainEnhanceCompare().
void TestEndToEnd::readOnlyDatasetResultsGoToDataFolder()
{
    const QString model = QDir(m_work).filePath("model.pt");
    QVERIFY(QFile::exists(model));
    const QString dataset = m_dir.filePath("read-only");
    test::writeSyntheticDataset(dataset, 3, 40, 36, 7);
    const QString dataHome = m_dir.filePath("xdg-data");
    QVERIFY(QDir().mkpath(dataHome));
    const auto writable = QFile::permissions(dataset);
    QVERIFY(QFile::setPermissions(dataset, QFileDevice::ReadOwner | QFileDevice::ExeOwner | QFileDevice::ReadGroup
                                               | QFileDevice::ExeGroup | QFileDevice::ReadOther | QFileDevice::ExeOther));
    const auto restore = qScopeGuard([&] { QFile::setPermissions(dataset, writable); });
    if (::access(QFile::encodeName(dataset).constData(), W_OK) == 0)
        QSKIP("The folder is still writable after chmod 0555 (running as root).");

    // The engine's location for this dataset, under this test's data folder.
    const QByteArray savedDataHome = qgetenv("XDG_DATA_HOME");
    qputenv("XDG_DATA_HOME", QFile::encodeName(dataHome));
    const auto location = resultsLocationFor(dataset.toStdString());
    if (savedDataHome.isNull())
        qunsetenv("XDG_DATA_HOME");
    else
        qputenv("XDG_DATA_HOME", savedDataHome);
    QVERIFY(!location.insideDataset);
    QVERIFY(QString::fromStdString(location.folder.string()).startsWith(dataHome));
    const QString notice = QString::fromStdString(location.notice());
    QVERIFY(!notice.isEmpty());

    auto environment = QProcessEnvironment::systemEnvironment();
    environment.insert("XDG_DATA_HOME", dataHome);
    const QByteArray before = treeDigest(dataset);
    auto enhance = runTool({"enhance", "--dataset", dataset, "--model", model}, 240000, environment);
    QVERIFY2(enhance.exitCode == 0, qPrintable(enhance.err));
    QVERIFY2(enhance.err.contains(notice), qPrintable(enhance.err));
    const QDir results(QString::fromStdString(location.folder.string()));
    const auto table = readCsvFile(results.filePath("brain_tumor_info_metrics.csv").toStdString());
    QCOMPARE(table.rows.size(), std::size_t(3));
    QCOMPARE(QDir(results.filePath("enhanced_images")).entryList(QDir::Files).size(), 3);
    QCOMPARE(treeDigest(dataset), before);

    // compare finds them there too.
    const QString figure = QDir(m_work).filePath("read-only-compare.png");
    auto compare = runTool({"compare", "--dataset", dataset, "--out", figure, "--seed", "2"}, 60000, environment);
    QVERIFY2(compare.exitCode == 0, qPrintable(compare.err));
    QVERIFY2(compare.err.contains(notice), qPrintable(compare.err));
    QCOMPARE(compare.out.count("PSNR="), 3);
}

void TestEndToEnd::usageErrors_data()
{
    QTest::addColumn<QStringList>("arguments");
    QTest::addColumn<QString>("mentions");
    QTest::newRow("no command") << QStringList{} << "Usage";
    QTest::newRow("unknown command") << QStringList{"frobnicate"} << "frobnicate";
    QTest::newRow("unknown option") << QStringList{"train", "--dataset", ".", "--model", "m.pt", "--colour", "red"} << "--colour";
    QTest::newRow("missing model") << QStringList{"enhance", "--dataset", "."} << "--model";
    QTest::newRow("bad epochs") << QStringList{"train", "--dataset", ".", "--model", "m.pt", "--epochs", "ten"} << "--epochs";
    QTest::newRow("bad objective") << QStringList{"train", "--dataset", ".", "--model", "m.pt", "--objective", "magic"} << "magic";
    QTest::newRow("metrics needs two files") << QStringList{"metrics", "a.png"} << "two image files";
}

void TestEndToEnd::usageErrors()
{
    QFETCH(QStringList, arguments);
    QFETCH(QString, mentions);
    const auto run = runTool(arguments, 30000);
    QCOMPARE(run.exitCode, 2);
    QVERIFY2(run.err.contains(mentions), qPrintable(run.err));
}

void TestEndToEnd::metricsCommand()
{
    const QString image = QDir(m_input).filePath("images/slice_1.png");
    const QString clean = QDir(m_input).filePath("clean/slice_1.png");
    auto same = runTool({"metrics", image, image}, 30000);
    QCOMPARE(same.exitCode, 0);
    QCOMPARE(same.out.trimmed(), QStringLiteral("PSNR=inf SSIM=1.000000"));
    auto differ = runTool({"metrics", clean, image}, 30000);
    QCOMPARE(differ.exitCode, 0);
    const auto expected = compareImages(loadGrayscaleImage(clean.toStdString()), loadGrayscaleImage(image.toStdString()));
    QCOMPARE(differ.out.trimmed(), QStringLiteral("PSNR=%1 SSIM=%2").arg(expected.psnr, 0, 'f', 4).arg(expected.ssim, 0, 'f', 6));
}

void TestEndToEnd::badDatasetIsOneSentence()
{
    auto missing = runTool({"enhance", "--dataset", m_dir.filePath("nowhere"), "--model", "m.pt"}, 30000);
    QCOMPARE(missing.exitCode, 1);
    QVERIFY(missing.err.contains("nowhere"));
    QCOMPARE(missing.err.trimmed().count('\n'), 0);
    auto noModel = runTool({"enhance", "--dataset", m_input, "--model", m_dir.filePath("absent.pt")}, 30000);
    QCOMPARE(noModel.exitCode, 1);
    QVERIFY(noModel.err.contains("absent.pt"));
}

// Without OMP_WAIT_POLICY the program re-executes itself once with the
// passive policy (ThreadPolicy.h): same process, same arguments, and the
// policy in its environment while it trains.
void TestEndToEnd::startsWithPassiveThreadWaiting()
{
    auto environment = QProcessEnvironment::systemEnvironment();
    environment.remove(QStringLiteral("OMP_WAIT_POLICY"));
    environment.remove(QStringLiteral("MRI_THREAD_POLICY_APPLIED"));
    const QString image = QDir(m_input).filePath("images/slice_1.png");
    const auto metrics = runTool({"metrics", image, image}, 30000, environment);
    QCOMPARE(metrics.exitCode, 0);
    QCOMPARE(metrics.out.trimmed(), QStringLiteral("PSNR=inf SSIM=1.000000"));

    QProcess training;
    training.setProcessEnvironment(environment);
    training.start(QStringLiteral(MRI_ENHANCE_EXECUTABLE),
                   QStringList{"train", "--dataset", m_input, "--model", QDir(m_work).filePath("policy.pt"), "--epochs",
                               "1000"} + kTinyNetwork.mid(0, 8));
    QVERIFY(training.waitForStarted());
    QByteArray seen;
    QTRY_VERIFY_WITH_TIMEOUT(
        (seen = [&] {
             QFile file(QStringLiteral("/proc/%1/environ").arg(training.processId()));
             return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
         }()).contains(QByteArray("MRI_THREAD_POLICY_APPLIED=1")),
        20000);
    QVERIFY(seen.split('\0').contains(QByteArray("OMP_WAIT_POLICY=passive")));
    QCOMPARE(training.state(), QProcess::Running);
    training.kill();
    training.waitForFinished(10000);
}

QTEST_GUILESS_MAIN(TestEndToEnd)
#include "tst_endtoend.moc"
