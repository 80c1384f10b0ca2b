// A short version of the quality benchmark on tiny slices: every row is
// reported and Noise2Void beats the noisy input against the ground truth.
#include "base/EngineError.h"
#include "benchmark/QualityBenchmark.h"
#include "io/ImageIO.h"
#include "TestDatasets.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QtTest>

#include <algorithm>

using namespace mri;

class TestQualityBenchmark final : public QObject
{
    Q_OBJECT

private slots:
    void shortRunReportsEveryRowAndN2vDenoises();
    void unknownMethodIsAnError();
    void repeatsGiveMeansAndSpreads();
    void trainOnTestTrainsEachSet();
};

namespace {

void writeSlices(const QString &folder, int count, int seed)
{
    QVERIFY(QDir().mkpath(folder));
    for (int i = 0; i < count; ++i) {
        saveImageAtomically(QDir(folder).filePath(QStringLiteral("slice_%1.png").arg(i)).toStdString(),
                            fromUnitFloat(test::syntheticSlice(32, 32, seed + i), CV_8U));
    }
}

// A network and budget so small that each training takes a moment.
std::vector<SettingOverride> tinySettings()
{
    std::vector<SettingOverride> settings;
    for (const char *setting : {"depth=1", "base_channels=4", "patch_size=16", "batch_size=4", "patches_per_image=2",
                                "epochs=1"})
        settings.push_back(parseSettingOverride(setting));
    return settings;
}

QStringList csvLines(const QString &file)
{
    QFile csv(file);
    if (!csv.open(QIODevice::ReadOnly))
        return {};
    return QString::fromUtf8(csv.readAll()).split('\n', Qt::SkipEmptyParts);
}

} // namespace

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
    options.unseenDirs = {clean.toStdString()};
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
        QCOMPARE(row.scores.size(), std::size_t(2)); // held-out, unseen
        QCOMPARE(row.scores[0].size(), std::size_t(1));
        QCOMPARE(row.scores[1].size(), std::size_t(1));
        QVERIFY(row.msPerMegapixel > 0.0);
    }
    auto expected = benchmarkMethodNames();
    expected.push_back("default-point-floor");
    expected.push_back("default-no-floor-removal");
    expected.push_back("n2v2");
    QCOMPARE(methods, expected);

    const auto score = [&](const std::string &method) {
        for (const auto &row : report.rows) {
            if (row.method == method)
                return row.scores.front().front();
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

void TestQualityBenchmark::repeatsGiveMeansAndSpreads()
{
    QTemporaryDir dir;
    writeSlices(dir.filePath("clean"), 8, 40);
    writeSlices(dir.filePath("u1"), 2, 60);
    writeSlices(dir.filePath("u2"), 2, 70);
    QualityBenchmarkOptions options;
    options.cleanDir = dir.filePath("clean").toStdString();
    options.unseenDirs = {dir.filePath("u1").toStdString(), dir.filePath("u2").toStdString()};
    options.workDir = dir.filePath("models").toStdString();
    options.sigmas = {0.10};
    options.methods = {"noisy", "gaussian-blur", "default"};
    options.trainMinutes = 1.0;
    options.settings = tinySettings();
    options.repeats = 2;
    options.seed = 4;
    std::atomic_bool cancel{false};
    const auto report = runQualityBenchmark(options, {}, cancel);

    QCOMPARE(report.repeatRows.size(), std::size_t(2));
    QCOMPARE(report.sets.size(), std::size_t(3)); // held-out, then each unseen folder
    QCOMPARE(report.sets[0].name, std::string("held-out"));
    QCOMPARE(report.sets[1].name, std::string("u1"));
    QCOMPARE(report.sets[2].name, std::string("u2"));
    QCOMPARE(report.unseenSlices, 4);
    QVERIFY(QFile::exists(dir.filePath("models/default_sigma0.100_seed4.pt")));
    QVERIFY(QFile::exists(dir.filePath("models/default_sigma0.100_seed5.pt")));
    for (std::size_t i = 0; i < report.rows.size(); ++i) {
        const auto &row = report.rows[i];
        QCOMPARE(row.scores.size(), std::size_t(3));
        for (std::size_t g = 0; g < row.scores.size(); ++g) {
            const auto &mean = row.scores[g].at(0);
            const auto &a = report.repeatRows[0][i].scores[g].at(0);
            const auto &b = report.repeatRows[1][i].scores[g].at(0);
            QVERIFY(std::abs(mean.psnr - (a.psnr + b.psnr) / 2) < 1e-9);
            QVERIFY(std::abs(mean.psnrSpread - std::abs(a.psnr - b.psnr)) < 1e-9);
            QVERIFY(std::abs(mean.ssimSpread - std::abs(a.ssim - b.ssim)) < 1e-9);
            QVERIFY(mean.psnrSpread >= 0.0 && mean.ssimSpread >= 0.0);
        }
    }
    // The noisy input differs with the seed: a spread to show.
    QCOMPARE(report.rows.front().method, std::string("noisy"));
    QVERIFY(report.rows.front().scores[0][0].psnrSpread > 0.0);

    writeBenchmarkReport(report, dir.filePath("report.md").toStdString());
    QFile markdown(dir.filePath("report.md"));
    QVERIFY(markdown.open(QIODevice::ReadOnly));
    const QString text = QString::fromUtf8(markdown.readAll());
    QVERIFY2(text.startsWith(QStringLiteral("± is max − min over 2 seeds")), qPrintable(text.left(80)));
    QVERIFY(text.contains(QStringLiteral("| u1 PSNR 10 % | u1 SSIM 10 % |")));
    QVERIFY(text.contains(QStringLiteral("| u2 PSNR 10 % |")));
    QVERIFY(text.contains(QRegularExpression(QStringLiteral("\\| noisy \\| \\d+\\.\\d\\d ±\\d+\\.\\d\\d \\|"))));

    // One row per repeat, set and method, then the means and the spreads.
    const auto lines = csvLines(dir.filePath("report.csv"));
    QVERIFY(!lines.isEmpty());
    QVERIFY(lines.front().startsWith("method,noise,sigma,set,repeat,PSNR,SSIM"));
    const int perRepeat = static_cast<int>(report.rows.size() * report.sets.size());
    QCOMPARE(lines.size(), 1 + 4 * perRepeat);
    for (const char *repeat : {",1,", ",2,", ",mean,", ",spread,"})
        QCOMPARE(lines.filter(QString::fromLatin1(repeat)).size(), perRepeat);

    // One repeat: the report as it was, no spread.
    auto single = report;
    single.options.repeats = 1;
    single.repeatRows.resize(1);
    single.rows = single.repeatRows.front();
    const QString plain = QString::fromStdString(formatBenchmarkMarkdown(single));
    QVERIFY(plain.startsWith("Quality against ground truth"));
    QVERIFY(!plain.contains(QStringLiteral("±")));
    QCOMPARE(benchmarkCsv(single).rows.size(), std::size_t(perRepeat));
}

void TestQualityBenchmark::trainOnTestTrainsEachSet()
{
    QTemporaryDir dir;
    writeSlices(dir.filePath("colin"), 4, 80);
    writeSlices(dir.filePath("macaque"), 3, 90);
    QualityBenchmarkOptions options;
    options.cleanDir = dir.filePath("colin").toStdString();
    options.unseenDirs = {dir.filePath("macaque").toStdString()};
    options.workDir = dir.filePath("models").toStdString();
    options.sigmas = {0.10};
    options.noise = parseNoiseSpec("chi:4+correlated:1+jpeg:80"); // the supervised row trains with all three
    options.methods = {"noisy", "synthetic", "default"};
    options.trainMinutes = 1.0;
    options.settings = tinySettings();
    options.trainOnTest = true;
    std::vector<std::string> messages;
    std::atomic_bool cancel{false};
    const auto report = runQualityBenchmark(options, [&](const std::string &m) { messages.push_back(m); }, cancel);

    QCOMPARE(report.trainingSlices, 0);
    QCOMPARE(report.heldOutSlices, 0);
    QCOMPARE(report.sets.size(), std::size_t(2));
    QCOMPARE(report.sets[0].name, std::string("colin"));
    QCOMPARE(report.sets[0].slices, 4); // every slice is scored
    QCOMPARE(report.sets[1].name, std::string("macaque"));
    QCOMPARE(report.sets[1].slices, 3);
    // One model per set and trained method, named after the set.
    for (const char *file : {"default_colin_sigma0.100.pt", "default_macaque_sigma0.100.pt",
                             "synthetic_colin_sigma0.100.pt", "synthetic_macaque_sigma0.100.pt"})
        QVERIFY2(QFile::exists(dir.filePath(QStringLiteral("models/") + file)), file);
    std::vector<std::string> methods;
    for (const auto &row : report.rows) {
        methods.push_back(row.method);
        QCOMPARE(row.scores.size(), std::size_t(2));
        QCOMPARE(row.scores[0].size(), std::size_t(1));
        QCOMPARE(row.scores[1].size(), std::size_t(1));
        QVERIFY(row.scores[1][0].psnr > 0.0);
    }
    QCOMPARE(methods, (std::vector<std::string>{"noisy", "synthetic", "default", "default-point-floor",
                                                "default-no-floor-removal"}));
    QVERIFY(std::any_of(messages.begin(), messages.end(),
                        [](const std::string &m) { return m.find("training on macaque") != std::string::npos; }));

    const QString text = QString::fromStdString(formatBenchmarkMarkdown(report));
    QVERIFY2(text.startsWith("Quality against ground truth as a user works"), qPrintable(text.left(80)));
    QVERIFY(text.contains(QStringLiteral("| colin PSNR 10 % | colin SSIM 10 % | macaque PSNR 10 % |")));
    QVERIFY(text.contains(QStringLiteral("chi:4+correlated:1+jpeg:80 noise")));
}

QTEST_GUILESS_MAIN(TestQualityBenchmark)
#include "tst_qualitybenchmark.moc"
