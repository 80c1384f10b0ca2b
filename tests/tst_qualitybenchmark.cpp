// A short version of the quality benchmark on tiny slices: every row is
// reported and Noise2Void beats the noisy input against the ground truth.
#include "EngineError.h"
#include "ImageIO.h"
#include "QualityBenchmark.h"
#include "TestDatasets.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QtTest>

using namespace mri;

class TestQualityBenchmark final : public QObject
{
    Q_OBJECT

private slots:
    void shortRunReportsEveryRowAndN2vDenoises();
    void unknownMethodIsAnError();
};

void TestQualityBenchmark::shortRunReportsEveryRowAndN2vDenoises()
{
    QTemporaryDir dir;
    const QString clean = dir.filePath("clean");
    QVERIFY(QDir().mkpath(clean));
    for (int i = 0; i < 8; ++i) {
        saveImageAtomically(QDir(clean).filePath(QStringLiteral("slice_%1.png").arg(i)).toStdString(),
                            fromUnitFloat(test::syntheticSlice(64, 56, 20 + i), CV_8U));
    }
    QualityBenchmarkOptions options;
    options.cleanDir = clean.toStdString();
    options.unseenDir = clean.toStdString();
    options.workDir = dir.filePath("models").toStdString();
    options.sigmas = {0.10};
    // A fixed number of steps (the time budgets are only a cap), so that the
    // result does not depend on how busy the machine is.
    options.trainMinutes = 5.0;
    options.ablationMinutes = 5.0;
    for (const char *setting : {"depth=2", "base_channels=8", "patch_size=32", "batch_size=8", "learning_rate=0.003",
                                "patches_per_image=16", "epochs=8"})
        options.settings.push_back(parseSettingOverride(setting));
    options.variants = {{"n2v2", {parseSettingOverride("blur_pool=1"), parseSettingOverride("top_skip=0"),
                                  parseSettingOverride("n2v_median_replacement=1")}}};
    std::vector<std::string> messages;
    std::atomic_bool cancel{false};
    const auto report = runQualityBenchmark(options, [&](const std::string &m) { messages.push_back(m); }, cancel);

    QCOMPARE(report.trainingSlices, 6);
    QCOMPARE(report.heldOutSlices, 2);
    QCOMPARE(report.unseenSlices, 8);
    std::vector<std::string> methods;
    for (const auto &row : report.rows) {
        methods.push_back(row.method);
        QCOMPARE(row.heldOut.size(), std::size_t(1));
        QCOMPARE(row.unseen.size(), std::size_t(1));
        QVERIFY(row.msPerMegapixel > 0.0);
    }
    auto expected = benchmarkMethodNames();
    expected.push_back("default-no-floor-removal");
    expected.push_back("n2v2");
    QCOMPARE(methods, expected);

    const auto score = [&](const std::string &method) {
        for (const auto &row : report.rows) {
            if (row.method == method)
                return row.heldOut.front();
        }
        return BenchmarkScore{};
    };
    QVERIFY2(score("n2v").psnr > score("noisy").psnr + 1.0,
             qPrintable(QStringLiteral("n2v %1 dB, noisy %2 dB").arg(score("n2v").psnr).arg(score("noisy").psnr)));
    QVERIFY(score("n2v").ssim > score("noisy").ssim);
    QVERIFY(score("nlm").psnr > score("noisy").psnr);

    const QString reportPath = dir.filePath("report.md");
    writeBenchmarkReport(report, reportPath.toStdString());
    QFile markdown(reportPath);
    QVERIFY(markdown.open(QIODevice::ReadOnly));
    const QString text = QString::fromUtf8(markdown.readAll());
    for (const auto &method : expected)
        QVERIFY2(text.contains(QStringLiteral("| %1 |").arg(QString::fromStdString(method))), method.c_str());
    QVERIFY(QFile::exists(dir.filePath("report.csv")));
    QVERIFY(!loadGrayscaleImage(dir.filePath("report.png").toStdString()).empty());
}

void TestQualityBenchmark::unknownMethodIsAnError()
{
    QTemporaryDir dir;
    for (int i = 0; i < 4; ++i) {
        saveImageAtomically(dir.filePath(QStringLiteral("s%1.png").arg(i)).toStdString(),
                            fromUnitFloat(test::syntheticSlice(32, 32, i), CV_8U));
    }
    QualityBenchmarkOptions options;
    options.cleanDir = dir.path().toStdString();
    options.methods = {"noisy", "magic"};
    std::atomic_bool cancel{false};
    try {
        runQualityBenchmark(options, {}, cancel);
        QFAIL("an unknown method must be refused");
    } catch (const EngineError &error) {
        QVERIFY(QString::fromUtf8(error.what()).contains("magic"));
    }
    options.methods = {"noisy"};
    options.variants = {{"default", {parseSettingOverride("depth=2")}}};
    QVERIFY_THROWS_EXCEPTION(EngineError, runQualityBenchmark(options, {}, cancel));
}

QTEST_GUILESS_MAIN(TestQualityBenchmark)
#include "tst_qualitybenchmark.moc"
