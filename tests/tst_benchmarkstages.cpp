// The pure stages of the quality benchmark (engine/benchmark/BenchmarkStages.h): the
// split, the rows it will run, the settings of trained rows, the parameter
// sweep and the score sheet, without training anything.
#include "benchmark/BenchmarkStages.h"

#include "base/EngineError.h"
#include "io/ImageIO.h"
#include "model/TrainingSettings.h"
#include "TestDatasets.h"

#include <QDir>
#include <QTemporaryDir>
#include <QtTest>

#include <opencv2/core.hpp>

using namespace mri;
using namespace mri::benchmark;

namespace {

std::vector<std::string> namesOf(const std::vector<TrainedMethod> &methods)
{
    std::vector<std::string> names;
    for (const auto &method : methods)
        names.push_back(method.name);
    return names;
}

// 8-bit slices of a constant grey: every pixel the same, so errors are exact.
NoisySet constantSet(int clean, int noisy)
{
    NoisySet set;
    for (int i = 0; i < 2; ++i) {
        set.names.push_back("s" + std::to_string(i));
        set.clean.push_back(cv::Mat(16, 16, CV_8UC1, cv::Scalar(clean)));
        set.noisy.push_back(cv::Mat(16, 16, CV_8UC1, cv::Scalar(noisy)));
    }
    return set;
}

// Subtracts `setting` grey levels.
Denoiser darkenBy(double setting)
{
    return [setting](const cv::Mat &noisy) {
        cv::Mat output;
        noisy.convertTo(output, noisy.type(), 1.0, -setting);
        return output;
    };
}

} // namespace

Q_DECLARE_METATYPE(std::vector<std::size_t>)

class TestBenchmarkStages final : public QObject
{
    Q_OBJECT

private slots:
    void heldOutSplit_data();
    void heldOutSplit();
    void badOptionsAreRefused();
    void methodListFollowsTheOptions();
    void variantNameClashesAreRefused_data();
    void variantNameClashesAreRefused();
    void trainedRowSettings();
    void sweepChoosesTheBestSetting();
    void classicalMethodsFollowTheOptions();
    void noisySetsAreRepeatable();
    void scoreSheetCollectsRowsAndTheFigure();
    void scoreSheetRecordsOneSet();
    void syntheticRowIsTheFairBound();
    void modelFilesNameTheSetAndSeed();
    void setNamesComeFromFolders_data();
    void setNamesComeFromFolders();
    void slicesOfBothModes();
    void repeatsGiveMeanAndSpread();
};

void TestBenchmarkStages::heldOutSplit_data()
{
    QTest::addColumn<int>("count");
    QTest::addColumn<int>("every");
    QTest::addColumn<std::vector<std::size_t>>("heldOut");
    QTest::newRow("8 slices, every 4th") << 8 << 4 << std::vector<std::size_t>{2, 6};
    QTest::newRow("5 slices, every 2nd") << 5 << 2 << std::vector<std::size_t>{1, 3};
    QTest::newRow("3 slices, every 4th") << 3 << 4 << std::vector<std::size_t>{2};
    QTest::newRow("too few to hold out") << 2 << 4 << std::vector<std::size_t>{};
}

void TestBenchmarkStages::heldOutSplit()
{
    QFETCH(int, count);
    QFETCH(int, every);
    QFETCH(std::vector<std::size_t>, heldOut);
    const auto split = splitHeldOut(count, every);
    QCOMPARE(split.heldOut, heldOut);
    QCOMPARE(static_cast<int>(split.training.size() + split.heldOut.size()), count);
    for (const auto index : split.training)
        QVERIFY(std::find(heldOut.begin(), heldOut.end(), index) == heldOut.end());
}

void TestBenchmarkStages::badOptionsAreRefused()
{
    QualityBenchmarkOptions options;
    checkBenchmarkOptions(options);
    options.methods = {"noisy", "magic"};
    try {
        checkBenchmarkOptions(options);
        QFAIL("an unknown method must be refused");
    } catch (const EngineError &error) {
        QVERIFY(QString::fromUtf8(error.what()).contains("magic"));
    }
    options = {};
    options.sigmas.clear();
    QVERIFY_THROWS_EXCEPTION(EngineError, checkBenchmarkOptions(options));
    options = {};
    options.trainMinutes = 0.0;
    QVERIFY_THROWS_EXCEPTION(EngineError, checkBenchmarkOptions(options));
    options = {};
    options.heldOutEvery = 1;
    QVERIFY_THROWS_EXCEPTION(EngineError, checkBenchmarkOptions(options));
    for (const int repeats : {0, 21}) {
        options = {};
        options.repeats = repeats;
        QVERIFY_THROWS_EXCEPTION(EngineError, checkBenchmarkOptions(options));
    }
    options = {};
    options.repeats = 20;
    checkBenchmarkOptions(options);
}

void TestBenchmarkStages::methodListFollowsTheOptions()
{
    QualityBenchmarkOptions options;
    options.trainMinutes = 4.0;
    options.ablationMinutes = 0.0; // the other rows get the default's budget
    options.noise = parseNoiseSpec("gaussian");
    options.variants = {{"wide", {parseSettingOverride("base_channels=32")}},
                        {"supervised", {parseSettingOverride("objective=synthetic")}}};
    auto methods = trainedMethods(options);
    QCOMPARE(namesOf(methods), (std::vector<std::string>{"n2v", "identity", "synthetic", "default", "wide", "supervised"}));
    for (const auto &method : methods)
        QCOMPARE(method.minutes, 4.0);
    QCOMPARE(methods[0].options.network.depth, 4); // the original U-Net
    QCOMPARE(methods[2].options.syntheticNoise, NoiseModel::Gaussian);
    QVERIFY(methods[2].trainsOnClean);
    QVERIFY(!methods[3].trainsOnClean);
    QVERIFY(methods[3].options.network == TrainingOptions{}.network);
    QCOMPARE(methods[4].options.network.baseChannels, 32);
    QCOMPARE(methods[4].description, std::string("default pipeline with base_channels=32"));
    QVERIFY(methods[5].trainsOnClean);

    options.methods = {"noisy", "default"};
    options.ablationMinutes = 1.5;
    methods = trainedMethods(options);
    QCOMPARE(namesOf(methods), (std::vector<std::string>{"default", "wide", "supervised"}));
    QCOMPARE(methods[0].minutes, 4.0);
    QCOMPARE(methods[1].minutes, 1.5);
}

void TestBenchmarkStages::variantNameClashesAreRefused_data()
{
    QTest::addColumn<QString>("first");
    QTest::addColumn<QString>("second");
    QTest::newRow("a trained method") << "default" << "other";
    QTest::newRow("a method that does not run") << "other" << "nlm";
    QTest::newRow("another variant") << "twin" << "twin";
    QTest::newRow("no name") << "" << "other";
}

void TestBenchmarkStages::variantNameClashesAreRefused()
{
    QFETCH(QString, first);
    QFETCH(QString, second);
    QualityBenchmarkOptions options;
    options.methods = {"noisy"};
    options.variants = {{first.toStdString(), {parseSettingOverride("depth=2")}},
                        {second.toStdString(), {parseSettingOverride("depth=3")}}};
    try {
        trainedMethods(options);
        QFAIL("the clash must be refused");
    } catch (const EngineError &error) {
        const QString clash = first.isEmpty() ? QStringLiteral("needs a name") : (first == "other" ? second : first);
        QVERIFY2(QString::fromUtf8(error.what()).contains(clash), error.what());
    }
}

void TestBenchmarkStages::trainedRowSettings()
{
    QualityBenchmarkOptions options;
    options.workDir = "/models";
    options.seed = 9;
    options.settings = {parseSettingOverride("depth=1"), parseSettingOverride("epochs=3")};
    options.variants = {{"supervised", {parseSettingOverride("objective=synthetic"), parseSettingOverride("depth=3")}}};
    const auto methods = trainedMethods(options);

    const auto &n2v = methods[0];
    auto settings = trainingOptionsFor(n2v, options, 0.1);
    QCOMPARE(settings.objective, TrainingObjective::Noise2Void);
    QCOMPARE(settings.network.depth, 1); // the benchmark's settings come last
    QCOMPARE(settings.network.baseChannels, 32);
    QCOMPARE(settings.epochs, 3);
    QCOMPARE(settings.maxTrainingSeconds, n2v.minutes * 60.0);
    QCOMPARE(settings.validationFraction, 0.0);
    QCOMPARE(settings.seed, std::uint64_t(9));
    QCOMPARE(settings.modelFile, std::filesystem::path("/models/n2v_sigma0.100.pt"));

    const auto &supervised = methods.back();
    settings = trainingOptionsFor(supervised, options, 0.05);
    QCOMPARE(settings.objective, TrainingObjective::Synthetic);
    QCOMPARE(settings.syntheticSigma, 0.05); // trained on the benchmark's own noise level
    QCOMPARE(settings.network.depth, 1);

    options.settings.clear();
    QCOMPARE(trainingOptionsFor(n2v, options, 0.1).epochs, 100000); // the time budget ends training
}

void TestBenchmarkStages::sweepChoosesTheBestSetting()
{
    const auto set = constantSet(100, 120);
    std::atomic_bool cancel{false};
    QCOMPARE(bestSetting(set, {0.0, 10.0, 20.0, 30.0}, darkenBy, cancel), 20.0);
    QCOMPARE(bestSetting(set, {10.0, 30.0}, darkenBy, cancel), 10.0); // equals: the first
    int made = 0;
    const auto counted = [&](double setting) {
        ++made;
        return darkenBy(setting);
    };
    QCOMPARE(bestSetting(set, {5.0}, counted, cancel), 5.0); // nothing to choose: nothing run
    QCOMPARE(made, 0);

    const auto exact = evaluate(set, darkenBy(20.0), cancel);
    QVERIFY(std::isinf(exact.score.psnr));
    QCOMPARE(exact.score.ssim, 1.0);
    QCOMPARE(exact.megapixels, 2 * 256 / 1e6);
    // 10 grey levels off on every pixel: 20 log10(255 / 10).
    QVERIFY(std::abs(evaluate(set, darkenBy(10.0), cancel).score.psnr - 20 * std::log10(25.5)) < 1e-9);
}

void TestBenchmarkStages::classicalMethodsFollowTheOptions()
{
    QualityBenchmarkOptions options;
    auto methods = classicalMethods(options, 0.1, 255.0);
    QCOMPARE(methods.size(), std::size_t(3));
    QCOMPARE(methods[0].name, std::string("noisy"));
    QCOMPARE(methods[0].sweep.size(), std::size_t(1));
    QCOMPARE(methods[0].describe(0.0), std::string());
    QCOMPARE(methods[1].name, std::string("gaussian-blur"));
    QCOMPARE(methods[1].describe(0.75), std::string("sigma 0.75 px"));
    // The NLM sweep scales with the noise: h from 0.4 to 1.6 noise levels.
    QCOMPARE(methods[2].name, std::string("nlm"));
    QCOMPARE(methods[2].sweep.size(), std::size_t(13));
    QVERIFY(std::abs(methods[2].sweep.front() - 0.4 * 25.5) < 1e-9);
    QVERIFY(std::abs(methods[2].sweep.back() - 1.6 * 25.5) < 1e-9);

    options.methods = {"nlm", "n2v"};
    methods = classicalMethods(options, 0.05, 65535.0);
    QCOMPARE(methods.size(), std::size_t(1));
    QVERIFY(std::abs(methods[0].sweep.front() - 0.4 * 0.05 * 65535.0) < 1e-6);
}

void TestBenchmarkStages::noisySetsAreRepeatable()
{
    QualityBenchmarkOptions options;
    options.sigmas = {0.05, 0.1};
    BenchmarkSlices slices;
    for (int i = 0; i < 3; ++i)
        slices.training.push_back({"t" + std::to_string(i), fromUnitFloat(test::syntheticSlice(24, 20, i), CV_8U)});
    slices.scored.push_back({"held-out", {{"h", fromUnitFloat(test::syntheticSlice(24, 20, 7), CV_8U)}}});

    const auto first = makeNoisySets(slices, options, 1);
    QCOMPARE(first.sigma, 0.1);
    QCOMPARE(first.training.names, (std::vector<std::string>{"t0", "t1", "t2"}));
    QCOMPARE(first.training.noisy.size(), std::size_t(3));
    QCOMPARE(first.scored.size(), std::size_t(1)); // no unseen set
    QCOMPARE(cv::norm(first.scored[0].clean[0], slices.scored[0].slices[0].clean, cv::NORM_INF), 0.0);
    QVERIFY(cv::norm(first.scored[0].noisy[0], slices.scored[0].slices[0].clean, cv::NORM_INF) > 0.0);

    const auto again = makeNoisySets(slices, options, 1);
    QCOMPARE(cv::norm(first.training.noisy[2], again.training.noisy[2], cv::NORM_INF), 0.0);
    const auto otherLevel = makeNoisySets(slices, options, 0);
    QVERIFY(cv::norm(first.training.noisy[2], otherLevel.training.noisy[2], cv::NORM_INF) > 0.0);
    options.seed = 2;
    QVERIFY(cv::norm(first.training.noisy[2], makeNoisySets(slices, options, 1).training.noisy[2], cv::NORM_INF) > 0.0);
}

void TestBenchmarkStages::scoreSheetCollectsRowsAndTheFigure()
{
    std::vector<std::string> messages;
    std::atomic_bool cancel{false};
    const auto fill = [&](const std::vector<double> &sigmas) {
        QualityBenchmarkOptions options;
        options.sigmas = sigmas;
        ScoreSheet sheet(options, [&](const std::string &m) { messages.push_back(m); }, cancel);
        for (const double sigma : sigmas) {
            NoisySets sets;
            sets.sigma = sigma;
            sets.scored = {constantSet(100, 120), constantSet(50, 70)}; // held-out, unseen
            sheet.beginNoiseLevel(sets);
            sheet.record("noisy", "the input", darkenBy(0.0), "", 0.0);
            sheet.record("exact", "the answer", darkenBy(20.0), "shift 20", 4.0);
        }
        return std::make_pair(sheet.rows(), sheet.renderFigure());
    };
    const auto [rows, figure] = fill({0.2, 0.1});
    QCOMPARE(rows.size(), std::size_t(2));
    QCOMPARE(rows[1].method, std::string("exact"));
    QCOMPARE(rows[1].description, std::string("the answer"));
    QCOMPARE(rows[1].scores.size(), std::size_t(2));
    QCOMPARE(rows[1].scores[0].size(), std::size_t(2));
    QCOMPARE(rows[1].scores[1].size(), std::size_t(2));
    QCOMPARE(rows[1].parameter, (std::vector<std::string>{"shift 20", "shift 20"}));
    QCOMPARE(rows[1].trainSeconds, 4.0); // the mean over noise levels
    QVERIFY(std::abs(rows[0].scores[0][0].psnr - 20 * std::log10(255.0 / 20.0)) < 1e-9);
    QVERIFY(std::isinf(rows[1].scores[1][1].psnr));
    QCOMPARE(messages.size(), std::size_t(4));
    QVERIFY2(QString::fromStdString(messages[1]).startsWith("sigma 20 %, exact (shift 20): PSNR inf dB"),
             messages[1].c_str());

    // The figure shows the largest noise level only, whatever else was scored.
    const auto [alone, largestOnly] = fill({0.2});
    QCOMPARE(alone.size(), std::size_t(2));
    QVERIFY(!figure.empty());
    QCOMPARE(figure.size(), largestOnly.size());
    QCOMPARE(cv::norm(figure, largestOnly, cv::NORM_INF), 0.0);
}

void TestBenchmarkStages::scoreSheetRecordsOneSet()
{
    // Train-on-test: a model trained on one set is scored on that set only.
    QualityBenchmarkOptions options;
    options.sigmas = {0.1};
    std::vector<std::string> messages;
    std::atomic_bool cancel{false};
    ScoreSheet sheet(options, [&](const std::string &m) { messages.push_back(m); }, cancel);
    NoisySets sets;
    sets.sigma = 0.1;
    sets.scored = {constantSet(100, 120), constantSet(50, 70)};
    sets.scored[0].set = "colin";
    sets.scored[1].set = "macaque";
    sheet.beginNoiseLevel(sets);
    sheet.record("model", "trained per set", darkenBy(20.0), "", 6.0, 0);
    sheet.record("model", "trained per set", darkenBy(0.0), "", 2.0, 1);
    const auto &row = sheet.rows().front();
    QCOMPARE(sheet.rows().size(), std::size_t(1));
    QCOMPARE(row.scores.size(), std::size_t(2));
    QCOMPARE(row.scores[0].size(), std::size_t(1));
    QCOMPARE(row.scores[1].size(), std::size_t(1));
    QVERIFY(std::isinf(row.scores[0][0].psnr));           // the first model on the first set
    QVERIFY(std::abs(row.scores[1][0].psnr - 20 * std::log10(255.0 / 20.0)) < 1e-9); // the second on the second
    QCOMPARE(row.parameter.size(), std::size_t(1));
    QCOMPARE(row.trainSeconds, 4.0); // the mean over sets
    QVERIFY2(QString::fromStdString(messages.back()).contains("model on macaque"), messages.back().c_str());
}

void TestBenchmarkStages::syntheticRowIsTheFairBound()
{
    QualityBenchmarkOptions options;
    options.trainMinutes = 4.0;
    options.ablationMinutes = 1.0;
    options.noise = parseNoiseSpec("chi:8+correlated:1.2+jpeg:75");
    options.methods = {"synthetic", "default"};
    const auto methods = trainedMethods(options);
    QCOMPARE(namesOf(methods), (std::vector<std::string>{"synthetic", "default"}));
    const auto &synthetic = methods[0];
    QCOMPARE(synthetic.minutes, 4.0); // the default pipeline's budget, not the ablation one
    QVERIFY(synthetic.trainsOnClean);
    QCOMPARE(synthetic.options.objective, TrainingObjective::Synthetic);
    QVERIFY(synthetic.options.network == TrainingOptions{}.network);
    QCOMPARE(synthetic.options.learningRate, TrainingOptions{}.learningRate);
    QCOMPARE(synthetic.options.syntheticNoise, NoiseModel::Rician);
    QCOMPARE(synthetic.options.syntheticCoils, 8);
    QCOMPARE(synthetic.options.syntheticCorrelation, 1.2);
    QCOMPARE(synthetic.options.syntheticJpegQuality, 75);
    QVERIFY(!synthetic.options.ricianCorrection); // its target is the clean signal
    QVERIFY(synthetic.description.find("chi:8+correlated:1.2+jpeg:75") != std::string::npos);
    const auto settings = trainingOptionsFor(synthetic, options, 0.07);
    QCOMPARE(settings.syntheticSigma, 0.07); // the true sigma
    QCOMPARE(settings.maxTrainingSeconds, 240.0);
    QCOMPARE(settings.syntheticCoils, 8);

    options.noise = parseNoiseSpec("gaussian");
    const auto gaussian = trainedMethods(options).front();
    QCOMPARE(gaussian.options.syntheticNoise, NoiseModel::Gaussian);
    QCOMPARE(gaussian.options.syntheticCoils, 1);
    QCOMPARE(gaussian.options.syntheticCorrelation, 0.0);
    QCOMPARE(gaussian.options.syntheticJpegQuality, 0);

    // zerofill and sense too: the row trains with the benchmark's whole noise.
    options.noise = parseNoiseSpec("chi:8+zerofill:2+sense:4+jpeg:75");
    const auto acquisition = trainedMethods(options).front();
    QCOMPARE(acquisition.options.syntheticCoils, 8);
    QCOMPARE(acquisition.options.syntheticJpegQuality, 75);
    QCOMPARE(acquisition.options.syntheticZeroFill, 2);
    QCOMPARE(acquisition.options.syntheticSenseAcceleration, 4);
    QVERIFY2(acquisition.description.find("with the benchmark's noise (chi:8+zerofill:2+sense:4+jpeg:75)")
                 != std::string::npos,
             acquisition.description.c_str());
}

void TestBenchmarkStages::modelFilesNameTheSetAndSeed()
{
    QualityBenchmarkOptions options;
    options.workDir = "/models";
    options.seed = 5;
    options.methods = {"default"};
    const auto method = trainedMethods(options).front();
    QCOMPARE(trainingOptionsFor(method, options, 0.05).modelFile, std::filesystem::path("/models/default_sigma0.050.pt"));
    QCOMPARE(trainingOptionsFor(method, options, 0.05, "inia19").modelFile,
             std::filesystem::path("/models/default_inia19_sigma0.050.pt"));
    options.repeats = 3;
    QCOMPARE(trainingOptionsFor(method, options, 0.05, "inia19").modelFile,
             std::filesystem::path("/models/default_inia19_sigma0.050_seed5.pt"));
}

void TestBenchmarkStages::setNamesComeFromFolders_data()
{
    QTest::addColumn<QString>("folder");
    QTest::addColumn<QString>("name");
    QTest::newRow("plain") << "data/colin27" << "colin27";
    QTest::newRow("trailing slash") << "data/inia19/" << "inia19";
    QTest::newRow("dot") << "data/coronal/." << "coronal";
    QTest::newRow("absolute") << "/srv/slices" << "slices";
    QTest::newRow("a demo data set's clean slices") << "runs/inia19/clean" << "inia19";
    QTest::newRow("a folder named clean") << "clean" << "clean";
}

void TestBenchmarkStages::setNamesComeFromFolders()
{
    QFETCH(QString, folder);
    QFETCH(QString, name);
    QCOMPARE(QString::fromStdString(setNameOf(folder.toStdString())), name);
}

void TestBenchmarkStages::slicesOfBothModes()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const auto write = [&](const QString &folder, int count) {
        QVERIFY(QDir().mkpath(dir.filePath(folder)));
        for (int i = 0; i < count; ++i)
            saveImageAtomically(dir.filePath(folder + QStringLiteral("/s%1.png").arg(i)).toStdString(),
                                fromUnitFloat(test::syntheticSlice(16, 16, i), CV_8U));
    };
    write("colin", 8);
    write("a/slices", 3);
    write("b/slices", 2);
    QualityBenchmarkOptions options;
    options.cleanDir = dir.filePath("colin").toStdString();
    options.unseenDirs = {dir.filePath("a/slices").toStdString(), dir.filePath("b/slices").toStdString()};

    auto slices = loadBenchmarkSlices(options);
    QCOMPARE(slices.training.size(), std::size_t(6));
    QCOMPARE(slices.scored.size(), std::size_t(3));
    QCOMPARE(slices.scored[0].name, std::string("held-out"));
    QCOMPARE(slices.scored[0].slices.size(), std::size_t(2));
    QCOMPARE(slices.scored[1].name, std::string("slices"));
    QCOMPARE(slices.scored[1].slices.size(), std::size_t(3));
    QCOMPARE(slices.scored[2].name, std::string("slices-2")); // same folder name: told apart
    QCOMPARE(slices.scored[2].slices.size(), std::size_t(2));

    options.trainOnTest = true;
    slices = loadBenchmarkSlices(options);
    QVERIFY(slices.training.empty());
    QCOMPARE(slices.scored.size(), std::size_t(3));
    QCOMPARE(slices.scored[0].name, std::string("colin"));
    QCOMPARE(slices.scored[0].slices.size(), std::size_t(8)); // every slice, no split

    const auto sets = makeNoisySets(slices, options, 0);
    QVERIFY(sets.training.noisy.empty());
    QCOMPARE(sets.scored.size(), std::size_t(3));
    QCOMPARE(sets.scored[2].set, std::string("slices-2"));
    QCOMPARE(sets.scored[0].noisy.size(), std::size_t(8));
}

void TestBenchmarkStages::repeatsGiveMeanAndSpread()
{
    const auto row = [](double psnr, double ssim, const std::string &setting, double seconds) {
        QualityBenchmarkRow r;
        r.method = "m";
        r.description = "d";
        r.parameter = {setting};
        r.scores = {{BenchmarkScore{psnr, ssim}}, {BenchmarkScore{psnr - 1, ssim - 0.1}}};
        r.trainSeconds = seconds;
        r.msPerMegapixel = seconds / 10;
        return std::vector<QualityBenchmarkRow>{r};
    };
    const auto single = combineRepeats({row(30.0, 0.8, "h 5", 6.0)});
    QCOMPARE(single.front().scores[0][0].psnr, 30.0);
    QCOMPARE(single.front().scores[0][0].psnrSpread, 0.0);

    const auto rows = combineRepeats({row(30.0, 0.8, "h 5", 6.0), row(31.0, 0.9, "h 6", 9.0),
                                      row(29.0, 0.85, "h 5", 3.0)});
    QCOMPARE(rows.size(), std::size_t(1));
    const auto &combined = rows.front();
    QVERIFY(std::abs(combined.scores[0][0].psnr - 30.0) < 1e-12);
    QVERIFY(std::abs(combined.scores[0][0].psnrSpread - 2.0) < 1e-12);
    QVERIFY(std::abs(combined.scores[0][0].ssim - 0.85) < 1e-12);
    QVERIFY(std::abs(combined.scores[0][0].ssimSpread - 0.1) < 1e-12);
    QVERIFY(std::abs(combined.scores[1][0].psnr - 29.0) < 1e-12);
    QVERIFY(std::abs(combined.scores[1][0].psnrSpread - 2.0) < 1e-12);
    QCOMPARE(combined.trainSeconds, 6.0);
    QCOMPARE(combined.parameter, std::vector<std::string>{"h 5 / h 6"});

    auto other = row(30.0, 0.8, "", 1.0);
    other.front().method = "other";
    QVERIFY_THROWS_EXCEPTION(EngineError, combineRepeats({row(30.0, 0.8, "", 1.0), other}));
}

QTEST_GUILESS_MAIN(TestBenchmarkStages)
#include "tst_benchmarkstages.moc"
