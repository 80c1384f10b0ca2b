#include "base/EngineError.h"
#include "dataset/Dataset.h"
#include "enhance/Enhancer.h"
#include "io/ImageIO.h"
#include "quality/NoiseFloor.h"
#include "training/Trainer.h"
#include "TestDatasets.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include <opencv2/core.hpp>

#include <numeric>

using namespace mri;

Q_DECLARE_METATYPE(mri::TrainingObjective)

class TestTraining final : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void lossFallsForEachObjective_data();
    void lossFallsForEachObjective();
    void sameSeedRepeatsTheRun();
    void syntheticNoiseOfAnySpecRepeatsAndLearns_data();
    void syntheticNoiseOfAnySpecRepeatsAndLearns();
    void checkpointRoundTripAndResume();
    void cancellationKeepsAUsableCheckpoint();
    void timeBudgetEndsTheRunWithASavedEpoch();
    void unreadableImagesAreSkipped();
    void noUsableImageIsAnError();
    void damagedModelFileIsAClearError();
    void secondTrainingOnOneModelIsRefused();
    void noiseFloorRemovalDarkensTheBackground();

private:
    TrainingOptions tinyOptions(const QString &model) const;
    QTemporaryDir m_dir;
    Dataset m_dataset;
};

void TestTraining::initTestCase()
{
    QVERIFY(m_dir.isValid());
    test::writeSyntheticDataset(m_dir.path() + "/data", 6, 40, 36);
    m_dataset = openDataset((m_dir.path() + "/data").toStdString());
    QCOMPARE(m_dataset.rows.size(), std::size_t(6));
}

TrainingOptions TestTraining::tinyOptions(const QString &model) const
{
    TrainingOptions options;
    options.modelFile = model.toStdString();
    options.network.depth = 2;
    options.network.baseChannels = 8;
    options.patchSize = 32;
    options.batchSize = 8;
    options.patchesPerImage = 16;
    options.epochs = 4;
    options.learningRate = 3e-3;
    options.validationFraction = 0.2;
    options.seed = 42;
    options.threads = 1;
    return options;
}

void TestTraining::lossFallsForEachObjective_data()
{
    QTest::addColumn<TrainingObjective>("objective");
    QTest::newRow("n2v") << TrainingObjective::Noise2Void;
    QTest::newRow("identity") << TrainingObjective::Identity;
    QTest::newRow("synthetic") << TrainingObjective::Synthetic;
}

void TestTraining::lossFallsForEachObjective()
{
    QFETCH(TrainingObjective, objective);
    auto options = tinyOptions(m_dir.filePath("objective.pt"));
    options.objective = objective;
    std::vector<double> losses;
    std::vector<EpochSummary> epochs;
    TrainingCallbacks callbacks;
    callbacks.onStep = [&](const TrainingStep &step) { losses.push_back(step.loss); };
    callbacks.onEpoch = [&](const EpochSummary &summary) { epochs.push_back(summary); };
    std::atomic_bool cancel{false};
    const auto result = trainModel(m_dataset, options, callbacks, cancel);

    QVERIFY(!result.cancelled);
    QCOMPARE(result.epochsCompleted, 4);
    QCOMPARE(epochs.size(), std::size_t(4));
    QCOMPARE(result.trainingImages + result.validationImages, 6);
    QCOMPARE(result.validationImages, 1);
    // 5 training images * 16 patches / batch 8 = 10 steps per epoch.
    QCOMPARE(losses.size(), std::size_t(4 * 10));
    const double first = std::accumulate(losses.begin(), losses.begin() + 3, 0.0) / 3;
    const double last = std::accumulate(losses.end() - 3, losses.end(), 0.0) / 3;
    QVERIFY2(last < 0.7 * first, qPrintable(QStringLiteral("first %1, last %2").arg(first).arg(last)));
    QVERIFY(epochs.back().trainLoss < epochs.front().trainLoss);
    QVERIFY(std::isfinite(epochs.back().validationLoss));
    QVERIFY(std::isfinite(epochs.back().validationPsnr));
}

void TestTraining::sameSeedRepeatsTheRun()
{
    std::vector<double> runs[2];
    for (auto &losses : runs) {
        auto options = tinyOptions(m_dir.filePath("seed.pt"));
        options.epochs = 1;
        TrainingCallbacks callbacks;
        callbacks.onStep = [&](const TrainingStep &step) { losses.push_back(step.loss); };
        std::atomic_bool cancel{false};
        trainModel(m_dataset, options, callbacks, cancel);
    }
    QCOMPARE(runs[0].size(), runs[1].size());
    QCOMPARE(runs[0], runs[1]);
}

void TestTraining::syntheticNoiseOfAnySpecRepeatsAndLearns_data()
{
    QTest::addColumn<int>("coils");
    QTest::addColumn<double>("correlation");
    QTest::addColumn<int>("jpegQuality");
    QTest::addColumn<int>("zeroFill");
    QTest::addColumn<int>("sense");
    QTest::newRow("chi 4, correlated, JPEG") << 4 << 1.0 << 80 << 1 << 1;
    QTest::newRow("zero-filled, SENSE") << 1 << 0.0 << 0 << 2 << 4;
}

void TestTraining::syntheticNoiseOfAnySpecRepeatsAndLearns()
{
    // Multi-coil, correlated, zero-filled, SENSE and JPEG-compressed noise goes
    // through mri::addNoise patch by patch, seeded from torch: the same seed
    // repeats the run.
    QFETCH(int, coils);
    QFETCH(double, correlation);
    QFETCH(int, jpegQuality);
    QFETCH(int, zeroFill);
    QFETCH(int, sense);
    // runs[2]: the same without zero-fill and SENSE, which must then differ (the settings reach the noise).
    std::vector<double> runs[3];
    for (int run = 0; run < 3; ++run) {
        auto &losses = runs[run];
        auto options = tinyOptions(m_dir.filePath("synthetic-spec.pt"));
        options.objective = TrainingObjective::Synthetic;
        options.syntheticCoils = coils;
        options.syntheticCorrelation = correlation;
        options.syntheticJpegQuality = jpegQuality;
        options.syntheticZeroFill = run < 2 ? zeroFill : 1;
        options.syntheticSenseAcceleration = run < 2 ? sense : 1;
        options.epochs = 3;
        TrainingCallbacks callbacks;
        callbacks.onStep = [&](const TrainingStep &step) { losses.push_back(step.loss); };
        std::atomic_bool cancel{false};
        trainModel(m_dataset, options, callbacks, cancel);
    }
    QCOMPARE(runs[0].size(), std::size_t(3 * 10));
    QCOMPARE(runs[0], runs[1]);
    if (zeroFill > 1 || sense > 1)
        QVERIFY(runs[0] != runs[2]);
    const double first = std::accumulate(runs[0].begin(), runs[0].begin() + 3, 0.0) / 3;
    const double last = std::accumulate(runs[0].end() - 3, runs[0].end(), 0.0) / 3;
    QVERIFY2(last < first, qPrintable(QStringLiteral("first %1, last %2").arg(first).arg(last)));
}

void TestTraining::checkpointRoundTripAndResume()
{
    const QString model = m_dir.filePath("resume.pt");
    auto options = tinyOptions(model);
    options.epochs = 1;
    std::atomic_bool cancel{false};
    const auto first = trainModel(m_dataset, options, {}, cancel);
    QCOMPARE(first.epochsCompleted, 1);

    const auto enhancer = Enhancer::load(model.toStdString());
    QCOMPARE(enhancer.info().epochsTrained, 1);
    QCOMPARE(enhancer.info().network.depth, 2);
    QCOMPARE(enhancer.info().network.baseChannels, 8);
    const auto image = loadGrayscaleImage(m_dataset.rows[0].imagePath);
    const auto once = enhancer.enhance(image);
    QCOMPARE(once.size(), image.size());
    QCOMPARE(once.type(), image.type());
    QCOMPARE(cv::norm(once, Enhancer::load(model.toStdString()).enhance(image), cv::NORM_INF), 0.0);

    // Resume to 3 epochs: the run continues at epoch 2 with the saved history;
    // network settings come from the checkpoint, not the (different) options.
    options.epochs = 3;
    options.resume = true;
    options.network.baseChannels = 16;
    std::vector<int> epochsSeen;
    long long firstStep = 0;
    TrainingCallbacks callbacks;
    callbacks.onEpoch = [&](const EpochSummary &summary) { epochsSeen.push_back(summary.epoch); };
    callbacks.onStep = [&](const TrainingStep &step) {
        if (firstStep == 0)
            firstStep = step.globalStep;
    };
    const auto resumed = trainModel(m_dataset, options, callbacks, cancel);
    QCOMPARE(epochsSeen, (std::vector<int>{2, 3}));
    QCOMPARE(resumed.history.size(), std::size_t(3));
    // The result carries the settings that ran: the checkpoint's network, the request's length.
    QCOMPARE(resumed.settings.network.baseChannels, 8);
    QCOMPARE(resumed.settings.epochs, 3);
    QCOMPARE(resumed.settings.seed, std::uint64_t(42));
    QCOMPARE(first.settings.network.baseChannels, 8);
    QCOMPARE(firstStep, first.history.back().globalStep + 1);
    const auto after = Enhancer::load(model.toStdString());
    QCOMPARE(after.info().epochsTrained, 3);
    QCOMPARE(after.info().network.baseChannels, 8);
    QVERIFY(cv::norm(once, after.enhance(image), cv::NORM_INF) > 0.0);

    // Nothing left to do when the target is already reached.
    epochsSeen.clear();
    const auto again = trainModel(m_dataset, options, callbacks, cancel);
    QCOMPARE(again.epochsCompleted, 3);
    QVERIFY(epochsSeen.empty());
}

void TestTraining::cancellationKeepsAUsableCheckpoint()
{
    const QString model = m_dir.filePath("cancel.pt");
    auto options = tinyOptions(model);
    options.epochs = 50;
    std::atomic_bool cancel{false};
    const QString afterFirstEpoch = m_dir.filePath("cancel-epoch1.pt");
    int steps = 0;
    TrainingCallbacks callbacks;
    callbacks.onStep = [&](const TrainingStep &) {
        if (++steps == 14)
            cancel = true; // during the second epoch
    };
    callbacks.onEpoch = [&](const EpochSummary &) { QFile::copy(model, afterFirstEpoch); };
    const auto result = trainModel(m_dataset, options, callbacks, cancel);
    QVERIFY(result.cancelled);
    QCOMPARE(steps, 14);
    QCOMPARE(result.epochsCompleted, 1);
    const auto enhancer = Enhancer::load(model.toStdString());
    QCOMPARE(enhancer.info().epochsTrained, 1);
    // The checkpoint is exactly the one of the completed epoch.
    QFile saved(model);
    QFile copy(afterFirstEpoch);
    QVERIFY(saved.open(QIODevice::ReadOnly) && copy.open(QIODevice::ReadOnly));
    QVERIFY(saved.readAll() == copy.readAll());
    QDir dir(m_dir.path());
    QCOMPARE(dir.entryList({"*.tmp*", ".*tmp*"}, QDir::Files | QDir::Hidden).size(), 0);
}

void TestTraining::timeBudgetEndsTheRunWithASavedEpoch()
{
    // A budget spent at once: the first epoch is cut short (10 steps when
    // whole), yet validated, saved and counted, and the run ends there.
    const QString model = m_dir.filePath("budget.pt");
    auto options = tinyOptions(model);
    options.epochs = 50;
    options.maxTrainingSeconds = 1e-9;
    std::vector<std::string> messages;
    std::vector<EpochSummary> epochs;
    TrainingCallbacks callbacks;
    callbacks.onMessage = [&](const std::string &message) { messages.push_back(message); };
    callbacks.onEpoch = [&](const EpochSummary &summary) { epochs.push_back(summary); };
    std::atomic_bool cancel{false};
    const auto result = trainModel(m_dataset, options, callbacks, cancel);
    QVERIFY(!result.cancelled);
    QVERIFY(result.timeBudgetReached);
    QCOMPARE(result.epochsCompleted, 1);
    QCOMPARE(result.history.size(), std::size_t(1));
    QCOMPARE(epochs.size(), std::size_t(1));
    QVERIFY(epochs[0].globalStep < 10);
    QVERIFY(std::isfinite(epochs[0].validationPsnr));
    QCOMPARE(Enhancer::load(model.toStdString()).info().epochsTrained, 1);
    QVERIFY(QString::fromStdString(messages.back()).contains("time budget reached after epoch 1"));
}

void TestTraining::unreadableImagesAreSkipped()
{
    QTemporaryDir dir;
    test::writeSyntheticDataset(dir.path(), 4, 40, 36);
    QFile broken(dir.filePath("images/slice_2.png"));
    QVERIFY(broken.open(QIODevice::WriteOnly | QIODevice::Truncate));
    broken.write("not a png");
    broken.close();
    const auto dataset = openDataset(dir.path().toStdString());
    auto options = tinyOptions(dir.filePath("model.pt"));
    options.epochs = 1;
    std::vector<std::string> messages;
    TrainingCallbacks callbacks;
    callbacks.onMessage = [&](const std::string &message) { messages.push_back(message); };
    std::atomic_bool cancel{false};
    const auto result = trainModel(dataset, options, callbacks, cancel);
    QCOMPARE(result.skippedImages.size(), std::size_t(1));
    QVERIFY(QString::fromStdString(result.skippedImages[0]).contains("slice_2.png"));
    QVERIFY(QString::fromStdString(result.skippedImages[0]).contains("P-101"));
    QCOMPARE(result.trainingImages + result.validationImages, 3);
    QVERIFY(std::any_of(messages.begin(), messages.end(),
                        [](const std::string &m) { return m.find("slice_2.png") != std::string::npos; }));
}

void TestTraining::noUsableImageIsAnError()
{
    QTemporaryDir dir;
    QFile csv(dir.filePath("brain_tumor_info.csv"));
    QVERIFY(csv.open(QIODevice::WriteOnly));
    csv.write("patient_id,image_path\nP1,missing1.png\nP2,missing2.png\n");
    csv.close();
    const auto dataset = openDataset(dir.path().toStdString());
    std::atomic_bool cancel{false};
    try {
        trainModel(dataset, tinyOptions(dir.filePath("model.pt")), {}, cancel);
        QFAIL("training without images must fail");
    } catch (const EngineError &error) {
        QVERIFY(QString::fromStdString(error.what()).contains("No usable image"));
    }
    QVERIFY(!QFile::exists(dir.filePath("model.pt")));
}

void TestTraining::damagedModelFileIsAClearError()
{
    QTemporaryDir dir;
    const QString model = dir.filePath("damaged.pt");
    QFile file(model);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write(QByteArray(4096, 'x'));
    file.close();
    QVERIFY_THROWS_EXCEPTION(EngineError, Enhancer::load(model.toStdString()));
    try {
        Enhancer::load(model.toStdString());
    } catch (const EngineError &error) {
        QVERIFY(QString::fromStdString(error.what()).contains("damaged.pt"));
    }
    QVERIFY_THROWS_EXCEPTION(EngineError, Enhancer::load(dir.filePath("absent.pt").toStdString()));
}

void TestTraining::secondTrainingOnOneModelIsRefused()
{
    // A training runs in its own process; while it writes the model, a second
    // one (new or --resume, another process or this one) is refused at once,
    // and the first keeps its own model, also when it is interrupted.
    const QString model = m_dir.filePath("locked.pt");
    const QStringList train{"train", "--dataset", m_dir.path() + "/data", "--model", model, "--depth", "2",
                            "--base-channels", "8", "--patch", "32", "--batch", "8", "--patches-per-image", "40",
                            "--epochs", "1000", "--seed", "9", "--threads", "1"};
    auto environment = QProcessEnvironment::systemEnvironment();
    environment.insert("OMP_WAIT_POLICY", "passive");
    QProcess first;
    first.setProcessEnvironment(environment);
    first.start(QStringLiteral(MRI_ENHANCE_EXECUTABLE), train);
    QVERIFY(first.waitForStarted());
    const QString pid = QString::number(first.processId());
    // The lock's sidecar names its holder once the lock is taken.
    QFile sidecar(m_dir.filePath(".locked.pt.lock"));
    QElapsedTimer clock;
    clock.start();
    while (!(sidecar.open(QIODevice::ReadOnly) && sidecar.readAll().trimmed() == pid.toUtf8())) {
        sidecar.close();
        QVERIFY2(clock.elapsed() < 60000 && first.state() == QProcess::Running, "the first training never locked");
        QTest::qWait(20);
    }
    sidecar.close();
    const QString sentence = QStringLiteral("'%1' is being written by another training (process %2); wait for it or "
                                            "choose another model file.")
                                 .arg(model, pid);
    for (const QStringList &extra : {QStringList(), QStringList{"--resume"}}) {
        QProcess second;
        second.setProcessEnvironment(environment);
        second.start(QStringLiteral(MRI_ENHANCE_EXECUTABLE), train + extra);
        QVERIFY(second.waitForFinished(120000));
        QCOMPARE(second.exitCode(), 1);
        const QString err = QString::fromUtf8(second.readAllStandardError()).trimmed();
        QVERIFY2(err.contains(sentence) && !err.contains('\n'), qPrintable(err));
    }
    // The engine's call, as the GUI makes it, is refused the same way.
    auto options = tinyOptions(model);
    std::atomic_bool cancel{false};
    try {
        trainModel(m_dataset, options, {}, cancel);
        QFAIL("a training on a model file being written must be refused");
    } catch (const EngineError &error) {
        QCOMPARE(QString::fromUtf8(error.what()), sentence);
    }
    // A thousand epochs would outlast the test: once the first has saved an
    // epoch, it is interrupted as Ctrl+C would, and ends with that model.
    while (!QFileInfo::exists(model)) {
        QVERIFY2(clock.elapsed() < 240000 && first.state() == QProcess::Running, "the first training saved no epoch");
        QTest::qWait(50);
    }
    QVERIFY2(first.state() == QProcess::Running, "the first training ended before it was interrupted");
    first.terminate();
    QVERIFY(first.waitForFinished(120000));
    QCOMPARE(first.exitCode(), 130);
    // The first's own model, whole: its settings, and it loads.
    const auto saved = readModelInfo(model.toStdString());
    QVERIFY(saved.epochsTrained >= 1);
    QCOMPARE(saved.settings.patchesPerImage, 40);
    QCOMPARE(saved.settings.seed, std::uint64_t(9));
    Enhancer::load(model.toStdString());
    QVERIFY(!sidecar.exists()); // released and removed
    // Free again: a resume goes ahead.
    options.resume = true;
    options.epochs = saved.epochsTrained + 1;
    QCOMPARE(trainModel(m_dataset, options, {}, cancel).epochsCompleted, saved.epochsTrained + 1);
}

void TestTraining::noiseFloorRemovalDarkensTheBackground()
{
    const QString model = m_dir.filePath("floor.pt");
    auto options = tinyOptions(model);
    options.ricianCorrection = true;
    std::atomic_bool cancel{false};
    trainModel(m_dataset, options, {}, cancel);
    auto enhancer = Enhancer::load(model.toStdString());
    QVERIFY(enhancer.info().ricianCorrection);
    QVERIFY(enhancer.ricianCorrection());

    // Enhancement applies exactly the engine's floor removal, with sigma
    // estimated from the input slice; switching it off gives the raw output.
    const auto image = loadGrayscaleImage(m_dataset.rows[0].imagePath);
    const cv::Mat unit = toUnitFloat(image);
    const cv::Mat corrected = enhancer.enhanceUnit(unit);
    enhancer.setRicianCorrection(false);
    const cv::Mat raw = enhancer.enhanceUnit(unit);
    const auto removal = removeNoiseFloorOf(raw, unit, enhancer.noiseCoils(), kSmoothFloorRemoval);
    QVERIFY(std::abs(removal.noise.sigma - 0.08) < 0.02);
    QCOMPARE(cv::norm(corrected, removal.signal, cv::NORM_INF), 0.0);
    QVERIFY(cv::sum(corrected)[0] < cv::sum(raw)[0]);
}

QTEST_GUILESS_MAIN(TestTraining)
#include "tst_training.moc"
