// The stages of a training run, each alone on tiny data (engine/training/TrainingStages.h).
// LibTorch first: Qt's keywords are disabled for this target (QT_NO_KEYWORDS),
// since Qt's `slots` macro breaks LibTorch's headers.
#include "training/TrainingStages.h"

#include "base/EngineError.h"
#include "image/NeighbourSlices.h"
#include "model/TrainingSettings.h"
#include "quality/Metrics.h"
#include "TestDatasets.h"

#include <QDir>
#include <QTemporaryDir>
#include <QtTest>

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include <cmath>
#include <random>
#include <set>

using namespace mri;
using namespace mri::training;

class TestTrainingStages final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { torch::manual_seed(3); }
    void newRunKeepsTheRequest();
    void resumeFollowsTheResumeRules();
    void startRunChecksTheRequestAndLoadsTheCheckpoint();
    void splitIsDeterministicAndDisjoint_data();
    void splitIsDeterministicAndDisjoint();
    void planCountsStepsAndTheShortLastBatch();
    void epochReportsEveryStep();
    void cancellationStopsWithinTheEpoch();
    void spentTimeBudgetStopsBeforeAStep();
    void psnrOfAKnownError();
    void validationScoresAgainstTheReference();
    void validationStopsWhenCancelled();
    void validationEveryNthEpoch_data();
    void validationEveryNthEpoch();
    void anUnwritableModelFolderIsFoundBeforeTraining();
    void checkpointHoldsTheHistory();
    void structuredBlindSpotsRevealNothingNearby_data();
    void structuredBlindSpotsRevealNothingNearby();
    void linearOutputLearnsTheScaleFast();
    void blindSpotRadiusFollowsTheNoiseCorrelation_data();
    void blindSpotRadiusFollowsTheNoiseCorrelation();
    void recalibrationForgetsTheLastBatches();
    void neighbourChannelsAreCutTogether();
    void blindSpotsHideTheCentreChannelOnly();
    void syntheticNoiseIsIndependentPerChannel();
    void aThreeChannelNetworkTrains();
    void neighboursAreClampedAtTheVolumeEnds();

private:
    TrainingOptions tinyOptions() const;
    std::vector<TrainingSlice> tinySlices(int count, bool withClean) const;
    QTemporaryDir m_dir;
};

TrainingOptions TestTrainingStages::tinyOptions() const
{
    TrainingOptions options;
    options.modelFile = m_dir.filePath("stages.pt").toStdString();
    options.network.depth = 2;
    options.network.baseChannels = 4;
    options.patchSize = 32;
    options.batchSize = 4;
    options.patchesPerImage = 6;
    options.epochs = 2;
    options.validationFraction = 0.0;
    options.learningRate = 1e-3;
    options.seed = 5;
    options.threads = 1;
    return options;
}

// Clean slices in [0, 1] and noisy ones darker by 10 % plus 0.05.
std::vector<TrainingSlice> TestTrainingStages::tinySlices(int count, bool withClean) const
{
    std::vector<TrainingSlice> slices;
    for (int i = 0; i < count; ++i) {
        const cv::Mat clean = test::syntheticSlice(40, 36, 10 + i);
        slices.push_back({"s" + std::to_string(i), clean * 0.9 + 0.05, withClean ? clean : cv::Mat(), {}});
    }
    return slices;
}

void TestTrainingStages::newRunKeepsTheRequest()
{
    auto requested = tinyOptions();
    auto settings = resolveRunSettings(requested, nullptr);
    for (const auto &setting : trainingSettings())
        QVERIFY2(setting.get(settings) == setting.get(requested), setting.key.c_str());

    // Seed 0 asks for a random seed, which the settings then carry.
    requested.seed = 0;
    const auto first = resolveRunSettings(requested, nullptr).seed;
    QVERIFY(first != 0);
    QVERIFY(first != resolveRunSettings(requested, nullptr).seed);
}

void TestTrainingStages::resumeFollowsTheResumeRules()
{
    auto checkpoint = tinyOptions();
    checkpoint.learningRate = 0.01;
    checkpoint.network.depth = 3;
    checkpoint.batchSize = 2;
    checkpoint.objective = TrainingObjective::Synthetic;
    checkpoint.epochs = 4;
    checkpoint.threads = 3;
    checkpoint.maxTrainingSeconds = 10.0;
    checkpoint.seed = 11;
    auto requested = tinyOptions();
    requested.modelFile = "resumed.pt";
    requested.resume = true;
    requested.epochs = 9;
    requested.threads = 1;
    requested.maxTrainingSeconds = 60.0;
    requested.seed = 0;

    const auto settings = resolveRunSettings(requested, &checkpoint);
    QCOMPARE(settings.learningRate, 0.01);
    QCOMPARE(settings.network.depth, 3);
    QCOMPARE(settings.batchSize, 2);
    QCOMPARE(settings.objective, TrainingObjective::Synthetic);
    QCOMPARE(settings.epochs, 9);
    QCOMPARE(settings.threads, 1);
    QCOMPARE(settings.maxTrainingSeconds, 60.0);
    QCOMPARE(settings.seed, std::uint64_t(11)); // seed 0: the checkpoint's
    QCOMPARE(settings.modelFile, std::filesystem::path("resumed.pt"));
    QVERIFY(settings.resume);
    for (const auto &setting : trainingSettings()) {
        const auto &from = setting.resume == ResumeRule::Request ? requested : checkpoint;
        if (setting.resume != ResumeRule::RequestWhenSet)
            QVERIFY2(setting.get(settings) == setting.get(from), setting.key.c_str());
    }

    requested.seed = 5; // a seed given with --resume wins
    QCOMPARE(resolveRunSettings(requested, &checkpoint).seed, std::uint64_t(5));
}

void TestTrainingStages::startRunChecksTheRequestAndLoadsTheCheckpoint()
{
    auto requested = tinyOptions();
    requested.epochs = 0;
    try {
        startRun(requested, {});
        QFAIL("epochs 0 must be refused");
    } catch (const EngineError &error) {
        QVERIFY2(QString::fromUtf8(error.what()).contains("epochs"), error.what());
    }
    requested = tinyOptions();
    requested.modelFile.clear();
    QVERIFY_THROWS_EXCEPTION(EngineError, startRun(requested, {}));

    // A checkpoint to resume: its settings and history come back.
    requested = tinyOptions();
    requested.modelFile = m_dir.filePath("start.pt").toStdString();
    Learner learner(requested, torch::kCPU);
    nn::CheckpointMeta meta;
    EpochSummary summary;
    summary.epoch = 1;
    summary.globalStep = 5;
    saveEpoch(learner, meta, summary, requested);

    auto resume = requested;
    resume.resume = true;
    resume.epochs = 3;
    resume.network.baseChannels = 16;
    std::vector<std::string> messages;
    const auto start = startRun(resume, [&](const std::string &m) { messages.push_back(m); });
    QCOMPARE(start.options.network.baseChannels, 4);
    QCOMPARE(start.options.epochs, 3);
    QCOMPARE(start.meta.epochsCompleted, 1);
    QCOMPARE(start.meta.globalStep, 5LL);
    QCOMPARE(start.meta.history.size(), std::size_t(1));
    QVERIFY(start.net);
    QVERIFY(start.optimizerState);
    QCOMPARE(messages.size(), std::size_t(1));
    QVERIFY(QString::fromStdString(messages[0]).contains("after epoch 1"));

    const auto result = initialResult(start);
    QCOMPARE(result.settings.network.baseChannels, 4);
    QCOMPARE(result.seed, std::uint64_t(5));
    QCOMPARE(result.epochsCompleted, 1);
    QCOMPARE(result.history.size(), std::size_t(1));
}

void TestTrainingStages::splitIsDeterministicAndDisjoint_data()
{
    QTest::addColumn<int>("count");
    QTest::addColumn<double>("fraction");
    QTest::addColumn<int>("validation");
    QTest::newRow("10 at 10 %") << 10 << 0.1 << 1;
    QTest::newRow("10 at 25 %: rounded") << 10 << 0.25 << 3;
    QTest::newRow("3 at 90 %: one trains") << 3 << 0.9 << 2;
    QTest::newRow("2 at 1 %: at least one validates") << 2 << 0.01 << 1;
    QTest::newRow("single slice trains") << 1 << 0.5 << 0;
    QTest::newRow("no validation") << 5 << 0.0 << 0;
}

void TestTrainingStages::splitIsDeterministicAndDisjoint()
{
    QFETCH(int, count);
    QFETCH(double, fraction);
    QFETCH(int, validation);
    const auto split = splitSlices(count, 17, fraction);
    QCOMPARE(static_cast<int>(split.validation.size()), validation);
    QCOMPARE(static_cast<int>(split.training.size()), count - validation);
    QVERIFY(!split.training.empty());
    std::set<std::size_t> all(split.training.begin(), split.training.end());
    all.insert(split.validation.begin(), split.validation.end());
    QCOMPARE(static_cast<int>(all.size()), count);
    QCOMPARE(*all.rbegin(), std::size_t(count - 1));

    const auto again = splitSlices(count, 17, fraction);
    QCOMPARE(again.training, split.training);
    QCOMPARE(again.validation, split.validation);
}

void TestTrainingStages::planCountsStepsAndTheShortLastBatch()
{
    auto options = tinyOptions();
    options.epochs = 3;
    const auto plan = planRun(options, 3, 1); // 3 images x 6 patches in batches of 4
    QCOMPARE(plan.firstEpoch, 2);
    QCOMPARE(plan.epochs, 3);
    QCOMPARE(plan.patchesPerEpoch, 18LL);
    QCOMPARE(plan.stepsPerEpoch, 5);
    QCOMPARE(plan.plannedSteps, 15LL);
    QCOMPARE(plan.stepsThisRun, 10LL);
    QCOMPARE(plan.batchOfStep(1), 4);
    QCOMPARE(plan.batchOfStep(5), 2);
}

namespace {

// One epoch's stages on three tiny training images, as trainOnSlices() sets them up.
struct EpochRun
{
    explicit EpochRun(const TrainingOptions &settings, std::vector<TrainingSlice> slices)
        : options(settings)
        , images(prepareImages(slices, options))
        , sampler(images.training, options.patchSize, seedRun(options.seed, 0))
        , learner(options, torch::kCPU)
        , progress(planRun(options, images.training.size(), 0), 0)
    {
    }
    EpochSummary train(const std::function<void(const TrainingStep &)> &onStep)
    {
        return trainEpoch(learner, sampler, options, 1, progress, onStep, cancel);
    }

    TrainingOptions options;
    ImageSets images;
    PatchSampler sampler;
    Learner learner;
    RunProgress progress;
    std::atomic_bool cancel{false};
};

} // namespace

void TestTrainingStages::epochReportsEveryStep()
{
    EpochRun run(tinyOptions(), tinySlices(3, false));
    QCOMPARE(run.images.training.size(), std::size_t(3));
    QVERIFY(run.images.validation.empty());
    std::vector<TrainingStep> steps;
    const auto summary = run.train([&](const TrainingStep &step) { steps.push_back(step); });

    QCOMPARE(steps.size(), std::size_t(5));
    for (std::size_t i = 0; i < steps.size(); ++i) {
        QCOMPARE(steps[i].step, static_cast<int>(i + 1));
        QCOMPARE(steps[i].globalStep, static_cast<long long>(i + 1));
        QCOMPARE(steps[i].stepsPerEpoch, 5);
        QVERIFY(std::isfinite(steps[i].loss));
        QVERIFY(steps[i].fraction > (i == 0 ? 0.0 : steps[i - 1].fraction));
        QVERIFY(steps[i].fraction <= 1.0);
    }
    QCOMPARE(steps.back().fraction, 0.5); // one epoch of two
    QCOMPARE(summary.epoch, 1);
    QCOMPARE(summary.globalStep, 5LL);
    QVERIFY(std::isfinite(summary.trainLoss) && summary.trainLoss > 0.0);
    QVERIFY(std::isnan(summary.validationLoss));
    QCOMPARE(run.progress.stepsDone(), 5LL);
}

void TestTrainingStages::cancellationStopsWithinTheEpoch()
{
    EpochRun run(tinyOptions(), tinySlices(3, false));
    int steps = 0;
    const auto summary = run.train([&](const TrainingStep &) { run.cancel = ++steps == 2; });
    QCOMPARE(steps, 2);
    QCOMPARE(summary.globalStep, 2LL);
}

void TestTrainingStages::spentTimeBudgetStopsBeforeAStep()
{
    auto options = tinyOptions();
    options.maxTrainingSeconds = 1e-9;
    EpochRun run(options, tinySlices(3, false));
    int steps = 0;
    run.train([&](const TrainingStep &) { ++steps; });
    QCOMPARE(steps, 0);
    QVERIFY(run.progress.budgetSpent());
    QCOMPARE(run.progress.fraction(), 1.0); // by time: the run is over
}

void TestTrainingStages::psnrOfAKnownError()
{
    const auto reference = torch::full({8, 8}, 0.5f);
    QVERIFY(std::abs(psnrOfUnit(reference + 0.1, reference) - 20.0) < 1e-4);
    QVERIFY(std::isinf(psnrOfUnit(reference, reference)));
    // The output is clamped to [0, 1] before it is scored.
    const auto one = torch::ones({8, 8});
    QVERIFY(std::isinf(psnrOfUnit(one + 0.5, one)));
}

void TestTrainingStages::validationScoresAgainstTheReference()
{
    // A residual network with all weights zero returns its input, so the
    // score is that of the noisy input against the clean slice.
    auto options = tinyOptions();
    options.objective = TrainingObjective::Identity;
    options.network.residualOutput = true;
    options.network.batchNorm = false;
    options.ricianCorrection = false;
    options.validationFraction = 0.5;
    const auto slices = tinySlices(2, true);
    const auto images = prepareImages(slices, options);
    QCOMPARE(images.validation.size(), std::size_t(1));
    const auto set = drawValidationSet(images.validation, options);
    QVERIFY(set.groundTruth);
    QCOMPARE(set.samples.size(), std::size_t(1));

    Learner learner(options, torch::kCPU);
    {
        torch::NoGradGuard noGrad;
        for (auto &parameter : learner.net->parameters())
            parameter.zero_();
    }
    std::atomic_bool cancel{false};
    const auto score = validate(learner, set, options, cancel);
    QVERIFY(!score.cancelled);
    const auto &slice = images.validation[0].name == "s0" ? slices[0] : slices[1];
    const double expected = peakSignalNoiseRatio(slice.clean, slice.noisy, 1.0);
    QVERIFY2(std::abs(score.psnr - expected) < 1e-3, qPrintable(QStringLiteral("%1 dB, expected %2 dB")
                                                                   .arg(score.psnr)
                                                                   .arg(expected)));
    QCOMPARE(score.loss, 0.0); // identity: the target is the input

    // Without ground truth the output is scored against the input itself.
    const auto noClean = drawValidationSet(prepareImages(tinySlices(2, false), options).validation, options);
    QVERIFY(!noClean.groundTruth);
    QVERIFY(std::isinf(validate(learner, noClean, options, cancel).psnr));
}

void TestTrainingStages::validationStopsWhenCancelled()
{
    auto options = tinyOptions();
    options.validationFraction = 0.5;
    const auto images = prepareImages(tinySlices(4, true), options);
    const auto set = drawValidationSet(images.validation, options);
    Learner learner(options, torch::kCPU);
    std::atomic_bool cancel{true};
    const auto score = validate(learner, set, options, cancel);
    QVERIFY(score.cancelled);
    QVERIFY(std::isnan(score.psnr));
    cancel = false;
    const auto scored = validate(learner, set, options, cancel);
    QVERIFY(!scored.cancelled);
    QVERIFY(std::isfinite(scored.psnr));
    QVERIFY(std::isfinite(scored.loss));
}

void TestTrainingStages::validationEveryNthEpoch_data()
{
    QTest::addColumn<int>("interval");
    QTest::addColumn<int>("epochs");
    QTest::addColumn<QString>("validated"); // one letter per epoch: v validated, - not
    QTest::newRow("every epoch") << 1 << 4 << "vvvv";
    QTest::newRow("every third, last too") << 3 << 7 << "--v--vv";
    QTest::newRow("longer than the run") << 10 << 3 << "--v";
}

void TestTrainingStages::validationEveryNthEpoch()
{
    QFETCH(int, interval);
    QFETCH(int, epochs);
    QFETCH(QString, validated);
    TrainingOptions options = tinyOptions();
    options.validationInterval = interval;
    QString seen;
    for (int epoch = 1; epoch <= epochs; ++epoch)
        seen += training::validationDue(options, epoch, epochs, false) ? 'v' : '-';
    QCOMPARE(seen, validated);
    QVERIFY(training::validationDue(options, 1, epochs, true)); // the budget ends the run here
    // A whole run: epochs between validations carry no validation score.
    options.epochs = epochs;
    options.validationFraction = 0.5;
    std::atomic_bool cancel{false};
    const auto result = trainOnSlices(tinySlices(4, true), options, {}, cancel);
    QCOMPARE(static_cast<int>(result.history.size()), epochs);
    for (int epoch = 1; epoch <= epochs; ++epoch) {
        const bool scored = std::isfinite(result.history[static_cast<std::size_t>(epoch - 1)].validationPsnr);
        QCOMPARE(scored ? 'v' : '-', validated[epoch - 1].toLatin1());
    }
}

void TestTrainingStages::anUnwritableModelFolderIsFoundBeforeTraining()
{
    QFile blocker(m_dir.filePath("a-file"));
    QVERIFY(blocker.open(QIODevice::WriteOnly));
    blocker.close();
    TrainingOptions options = tinyOptions();
    options.modelFile = m_dir.filePath("a-file/models/model.pt").toStdString();
    int steps = 0;
    TrainingCallbacks callbacks;
    callbacks.onStep = [&](const TrainingStep &) { ++steps; };
    std::atomic_bool cancel{false};
    try {
        trainOnSlices(tinySlices(3, false), options, callbacks, cancel);
        QFAIL("an unwritable model folder must be refused");
    } catch (const EngineError &error) {
        QVERIFY2(QString::fromUtf8(error.what()).contains("model folder"), error.what());
    }
    QCOMPARE(steps, 0);
}

void TestTrainingStages::checkpointHoldsTheHistory()
{
    auto options = tinyOptions();
    options.modelFile = m_dir.filePath("history.pt").toStdString();
    Learner learner(options, torch::kCPU);
    nn::CheckpointMeta meta;
    for (int epoch = 1; epoch <= 2; ++epoch) {
        EpochSummary summary;
        summary.epoch = epoch;
        summary.epochs = 2;
        summary.globalStep = 5 * epoch;
        summary.trainLoss = 1.0 / epoch;
        summary.validationLoss = 0.25 * epoch;
        summary.validationPsnr = 20.0 + epoch;
        saveEpoch(learner, meta, summary, options);
    }
    QCOMPARE(meta.epochsCompleted, 2);
    const auto loaded = nn::loadCheckpoint(options.modelFile, torch::kCPU);
    QCOMPARE(loaded.meta.epochsCompleted, 2);
    QCOMPARE(loaded.meta.globalStep, 10LL);
    QCOMPARE(loaded.meta.network.baseChannels, 4);
    QCOMPARE(loaded.meta.options.seed, std::uint64_t(5));
    QCOMPARE(loaded.meta.history.size(), std::size_t(2));
    QCOMPARE(loaded.meta.history[0].epoch, 1);
    QCOMPARE(loaded.meta.history[1].epoch, 2);
    QCOMPARE(loaded.meta.history[1].trainLoss, 0.5);
    QCOMPARE(loaded.meta.history[1].validationPsnr, 22.0);
    QCOMPARE(QDir(m_dir.path()).entryList({"*.tmp*", ".*tmp*"}, QDir::Files | QDir::Hidden).size(), 0);
}

void TestTrainingStages::structuredBlindSpotsRevealNothingNearby_data()
{
    QTest::addColumn<int>("radius");
    QTest::addColumn<bool>("median");
    QTest::addColumn<double>("fraction");
    QTest::newRow("single pixel, median (N2V2)") << 0 << true << 0.05;
    QTest::newRow("single pixel, random neighbour") << 0 << false << 0.05;
    QTest::newRow("single pixel, many") << 0 << true << 0.4;
    QTest::newRow("radius 1, median") << 1 << true << 0.05;
    QTest::newRow("radius 2, median") << 2 << true << 0.05;
    QTest::newRow("radius 3, random ring pixel") << 3 << false << 0.02;
    QTest::newRow("radius 2, every grid point") << 2 << true << 0.5;
}

// For every blind spot: changing the original pixels within `radius` of it
// changes nothing the network sees within `radius` of it, so correlated noise
// there cannot reveal the hidden value. And the replaced values are not the originals.
void TestTrainingStages::structuredBlindSpotsRevealNothingNearby()
{
    QFETCH(int, radius);
    QFETCH(bool, median);
    QFETCH(double, fraction);
    const int size = 40;
    torch::manual_seed(17);
    const auto batch = torch::rand({2, 1, size, size});
    auto options = tinyOptions();
    options.n2vBlindRadius = radius;
    options.n2vMedianReplacement = median;
    options.n2vMaskFraction = fraction;
    options.n2vNeighbourhood = 5;
    torch::manual_seed(99);
    const auto [input, mask] = noise2VoidInput(batch, options);
    QCOMPARE(input.sizes(), batch.sizes());
    const auto centres = mask.nonzero();
    QVERIFY2(centres.size(0) >= 4, "too few blind spots to test");
    // The share of blind spots follows the request up to the grid's capacity.
    // Structured: at most one centre per (2r+2)^2 cell, and at most 20 % of the input hidden.
    const double capacity = radius == 0 ? 1.0
                                        : std::min(1.0 / ((2 * radius + 2) * (2 * radius + 2)),
                                                   0.2 / ((2 * radius + 1) * (2 * radius + 1)));
    const double share = mask.to(torch::kFloat64).mean().item<double>();
    QVERIFY2(share <= std::min(fraction, capacity) * 1.6 + 0.01 && share >= std::min(fraction, capacity) * 0.4,
             qPrintable(QStringLiteral("share %1").arg(share)));
    for (int64_t i = 0; i < centres.size(0); ++i) {
        const auto b = centres[i][0].item<int64_t>();
        const auto y = centres[i][2].item<int64_t>();
        const auto x = centres[i][3].item<int64_t>();
        const auto y0 = std::max<int64_t>(0, y - radius), y1 = std::min<int64_t>(size, y + radius + 1);
        const auto x0 = std::max<int64_t>(0, x - radius), x1 = std::min<int64_t>(size, x + radius + 1);
        auto changed = batch.clone();
        changed[b][0].slice(0, y0, y1).slice(1, x0, x1) += 5.0;
        torch::manual_seed(99);
        const auto [changedInput, changedMask] = noise2VoidInput(changed, options);
        QVERIFY(torch::equal(changedMask, mask));
        const auto box = [&](const torch::Tensor &t) { return t[b][0].slice(0, y0, y1).slice(1, x0, x1); };
        QVERIFY2(torch::equal(box(changedInput), box(input)),
                 qPrintable(QStringLiteral("blind spot (%1, %2) of patch %3 is revealed").arg(x).arg(y).arg(b)));
        QVERIFY(!torch::equal(box(input), box(batch)));
    }
    // Blind spots reach the patch's edges too: the network learns to predict there.
    const auto edges = mask.index({torch::indexing::Slice(), 0, torch::indexing::Slice(0, 1 + radius)}).any().item<bool>()
        || mask.index({torch::indexing::Slice(), 0, torch::indexing::Slice(), torch::indexing::Slice(0, 1 + radius)}).any().item<bool>();
    QVERIFY(edges || fraction < 0.1);
}

// A dark image (mean 0.08): the Sigmoid output starts at 0.5 and Adam moves its
// bias by about the learning rate per step, while a linear output starts at
// the data's level.
void TestTrainingStages::linearOutputLearnsTheScaleFast()
{
    torch::manual_seed(5);
    const auto image = 0.08 + 0.02 * torch::rand({64, 64});
    std::vector<TrainingImage> images{{"dark", image, torch::Tensor(), torch::Tensor()}};
    const auto statistics = intensityStatistics(images);
    QVERIFY(std::abs(statistics.mean - image.mean().item<double>()) < 1e-6);
    QVERIFY(std::abs(statistics.deviation - image.std(false).item<double>()) < 1e-6);

    const auto lossAfterSteps = [&](bool linear) {
        auto options = tinyOptions();
        options.network.linearOutput = linear;
        options.learningRate = 4e-4;
        torch::manual_seed(5);
        Learner learner(options, torch::kCPU);
        learner.net->setDataStatistics(statistics.mean, statistics.deviation);
        PatchSampler sampler(images, 32, std::mt19937_64(1));
        double loss = 0.0;
        for (int step = 0; step < 40; ++step) {
            const auto batch = sampler.draw(4);
            learner.optimizer.zero_grad();
            const auto value = (learner.net->forward(batch) - batch).pow(2).mean();
            value.backward();
            learner.optimizer.step();
            loss = value.item<double>();
        }
        return loss;
    };
    const double linear = lossAfterSteps(true);
    const double sigmoid = lossAfterSteps(false);
    QVERIFY2(linear < 0.01 * sigmoid && linear < 1e-3,
             qPrintable(QStringLiteral("loss after 40 steps: linear %1, Sigmoid %2").arg(linear).arg(sigmoid)));
}

void TestTrainingStages::blindSpotRadiusFollowsTheNoiseCorrelation_data()
{
    QTest::addColumn<double>("kernel");
    QTest::addColumn<int>("radius");
    QTest::newRow("independent noise") << 0.0 << 0;
    QTest::newRow("kernel 1 px") << 1.0 << 2;
}

// Rician noise whose complex components are Gaussian-filtered (kernel std in px).
void TestTrainingStages::blindSpotRadiusFollowsTheNoiseCorrelation()
{
    QFETCH(double, kernel);
    QFETCH(int, radius);
    std::vector<TrainingImage> images;
    cv::RNG random(4);
    for (int i = 0; i < 3; ++i) {
        const cv::Mat clean = test::syntheticSlice(160, 160, 20 + i);
        cv::Mat real(clean.size(), CV_32FC1);
        cv::Mat imaginary(clean.size(), CV_32FC1);
        random.fill(real, cv::RNG::NORMAL, 0.0, 1.0);
        random.fill(imaginary, cv::RNG::NORMAL, 0.0, 1.0);
        double scale = 0.05;
        if (kernel > 0) {
            cv::GaussianBlur(real, real, cv::Size(0, 0), kernel, kernel, cv::BORDER_REFLECT);
            cv::GaussianBlur(imaginary, imaginary, cv::Size(0, 0), kernel, kernel, cv::BORDER_REFLECT);
            cv::Scalar mean, deviation;
            cv::meanStdDev(real, mean, deviation);
            scale /= deviation[0];
        }
        cv::Mat first = clean + real * scale;
        cv::Mat second = imaginary * scale;
        cv::Mat noisy;
        cv::magnitude(first, second, noisy);
        images.push_back({"s", torch::from_blob(noisy.ptr<float>(), {noisy.rows, noisy.cols}).clone(), torch::Tensor()});
    }
    std::string summary;
    QCOMPARE(chooseBlindSpotRadius(images, tinyOptions(), &summary), radius);
    QVERIFY(summary.find("blind-spot radius " + std::to_string(radius)) != std::string::npos);
}

// After recalibration the running statistics depend on the sampled patches
// only, not on the batches trained before.
void TestTrainingStages::recalibrationForgetsTheLastBatches()
{
    auto options = tinyOptions();
    torch::manual_seed(2);
    Learner learner(options, torch::kCPU);
    std::vector<TrainingImage> images{{"a", torch::rand({48, 48}) * 0.5, torch::Tensor(), torch::Tensor()}};
    const auto statistics = [&] {
        std::vector<torch::Tensor> buffers;
        for (const auto &buffer : learner.net->named_buffers()) {
            if (buffer.key().find("running_") != std::string::npos)
                buffers.push_back(buffer.value().clone());
        }
        return buffers;
    };
    const auto equal = [](const std::vector<torch::Tensor> &a, const std::vector<torch::Tensor> &b) {
        for (std::size_t i = 0; i < a.size(); ++i) {
            if (!torch::allclose(a[i], b[i], 1e-5, 1e-6))
                return false;
        }
        return !a.empty() && a.size() == b.size();
    };
    PatchSampler first(images, 32, std::mt19937_64(9));
    recalibrateBatchNorm(learner, first, options, 4);
    const auto reference = statistics();
    learner.net->train();
    {
        torch::NoGradGuard noGrad;
        learner.net->forward(torch::ones({4, 1, 32, 32}) * 3.0); // a batch unlike the data
    }
    QVERIFY(!equal(statistics(), reference));
    PatchSampler second(images, 32, std::mt19937_64(9));
    recalibrateBatchNorm(learner, second, options, 4);
    QVERIFY(equal(statistics(), reference));
}

namespace {

// Slices with neighbours half and a quarter as bright (below, above), so that
// every channel of a patch is known from its centre.
std::vector<TrainingSlice> slicesWithNeighbours(int count)
{
    std::vector<TrainingSlice> slices;
    for (int i = 0; i < count; ++i) {
        const cv::Mat slice = test::syntheticSlice(40, 36, 30 + i) * 0.9 + 0.05;
        slices.push_back({"v" + std::to_string(i), slice, cv::Mat(), {slice * 0.5, slice * 0.25}});
    }
    return slices;
}

} // namespace

void TestTrainingStages::neighbourChannelsAreCutTogether()
{
    auto options = tinyOptions();
    options.network.neighbourSlices = 1;
    const auto images = prepareImages(slicesWithNeighbours(2), options);
    QCOMPARE(images.training.front().channels.sizes().vec(), (std::vector<int64_t>{3, 36, 40}));
    QVERIFY(torch::equal(images.training.front().pixels, images.training.front().channels[1]));
    PatchSampler sampler(images.training, options.patchSize, std::mt19937_64(4));
    const auto patches = sampler.draw(8);
    QCOMPARE(patches.sizes().vec(), (std::vector<int64_t>{8, 3, 32, 32}));
    const auto centre = patches.narrow(1, 1, 1);
    QVERIFY(torch::allclose(patches.narrow(1, 0, 1), centre * 0.5, 1e-5, 1e-6));
    QVERIFY(torch::allclose(patches.narrow(1, 2, 1), centre * 0.25, 1e-5, 1e-6));

    // A picture (no neighbours) repeats itself; neighbours of another size are refused.
    const auto pictures = prepareImages(tinySlices(1, false), options);
    const auto &channels = pictures.training.front().channels;
    QVERIFY(torch::equal(channels[0], channels[1]) && torch::equal(channels[2], channels[1]));
    auto bad = slicesWithNeighbours(1);
    bad.front().neighbours.back() = cv::Mat(20, 20, CV_32FC1, 0.5);
    QVERIFY_THROWS_EXCEPTION(EngineError, prepareImages(bad, options));
    // A single-slice network keeps single-channel images whatever the slices carry.
    options.network.neighbourSlices = 0;
    const auto single = prepareImages(slicesWithNeighbours(1), options);
    QVERIFY(!single.training.front().channels.defined());
    QCOMPARE(PatchSampler(single.training, 32, std::mt19937_64(4)).draw(2).size(1), int64_t(1));
}

// Noise2Void hides pixels of the centre channel only and predicts the centre.
void TestTrainingStages::blindSpotsHideTheCentreChannelOnly()
{
    auto options = tinyOptions();
    options.network.neighbourSlices = 1;
    options.validationFraction = 0.5;
    for (const int radius : {0, 1}) {
        options.n2vBlindRadius = radius;
        const auto images = prepareImages(slicesWithNeighbours(4), options);
        const auto set = drawValidationSet(images.validation, options);
        QVERIFY(!set.samples.empty());
        for (std::size_t i = 0; i < set.samples.size(); ++i) {
            const auto &sample = set.samples[i];
            const auto &image = images.validation[i];
            QCOMPARE(sample.input.sizes().vec(), (std::vector<int64_t>{3, 36, 40}));
            QVERIFY(torch::equal(sample.input[0], image.channels[0]));
            QVERIFY(torch::equal(sample.input[2], image.channels[2]));
            QVERIFY(torch::equal(sample.target, image.pixels));
            QVERIFY(sample.mask.sum().item<int64_t>() > 0);
            QVERIFY(!torch::equal(sample.input[1], image.pixels));
            QVERIFY(torch::equal(sample.enhanceInput, image.channels));
        }
    }
}

void TestTrainingStages::syntheticNoiseIsIndependentPerChannel()
{
    auto options = tinyOptions();
    options.network.neighbourSlices = 1;
    options.objective = TrainingObjective::Synthetic;
    options.syntheticNoise = NoiseModel::Gaussian; // no Rician bias, which follows the (equal) clean values
    options.validationFraction = 0.5;
    // Pictures: three equal clean channels, so equal noise would show as equal channels.
    const auto images = prepareImages(tinySlices(2, true), options);
    const auto set = drawValidationSet(images.validation, options);
    const auto &sample = set.samples.front();
    QCOMPARE(sample.input.size(0), int64_t(3));
    const auto noise = sample.input - images.validation.front().channels;
    QVERIFY(noise.abs().mean().item<double>() > 0.01);
    const auto correlation = [](const torch::Tensor &a, const torch::Tensor &b) {
        const auto x = a - a.mean();
        const auto y = b - b.mean();
        return ((x * y).sum() / (x.norm() * y.norm())).item<double>();
    };
    QVERIFY(std::abs(correlation(noise[0], noise[1])) < 0.2);
    QVERIFY(std::abs(correlation(noise[2], noise[1])) < 0.2);
    QVERIFY(torch::equal(sample.target, images.validation.front().pixels));
}

// A 2.5-D network trains an epoch, recalibrates and validates.
void TestTrainingStages::aThreeChannelNetworkTrains()
{
    auto options = tinyOptions();
    options.network.neighbourSlices = 1;
    EpochRun run(options, slicesWithNeighbours(3));
    const auto summary = run.train({});
    QCOMPARE(summary.globalStep, 5LL);
    QVERIFY(std::isfinite(summary.trainLoss) && summary.trainLoss > 0.0);
    recalibrateBatchNorm(run.learner, run.sampler, run.options, 2);
    auto withValidation = options;
    withValidation.validationFraction = 0.5;
    const auto images = prepareImages(slicesWithNeighbours(4), withValidation);
    const auto score = validate(run.learner, drawValidationSet(images.validation, withValidation), withValidation,
                                run.cancel);
    QVERIFY(std::isfinite(score.loss) && std::isfinite(score.psnr));
}

void TestTrainingStages::neighboursAreClampedAtTheVolumeEnds()
{
    std::vector<cv::Mat> volume;
    for (int z = 0; z < 5; ++z)
        volume.push_back(cv::Mat(4, 4, CV_32FC1, cv::Scalar(z)));
    const auto values = [](const std::vector<cv::Mat> &slices) {
        std::vector<int> result;
        for (const auto &slice : slices)
            result.push_back(static_cast<int>(slice.at<float>(0, 0)));
        return result;
    };
    QCOMPARE(values(neighboursOf(volume, 2, 1)), (std::vector<int>{1, 3}));
    QCOMPARE(values(neighboursOf(volume, 0, 1)), (std::vector<int>{0, 1}));
    QCOMPARE(values(neighboursOf(volume, 4, 2)), (std::vector<int>{2, 3, 4, 4}));
    QVERIFY(neighboursOf(volume, 2, 0).empty());
    // Channels for a network of 2 from neighbours of 1 repeat the farthest given; none repeat the slice.
    QCOMPARE(values(inputChannelsOf(volume[2], neighboursOf(volume, 2, 1), 2, "s")), (std::vector<int>{1, 1, 2, 3, 3}));
    QCOMPARE(values(inputChannelsOf(volume[2], {}, 1, "s")), (std::vector<int>{2, 2, 2}));
    QCOMPARE(values(inputChannelsOf(volume[2], neighboursOf(volume, 2, 2), 1, "s")), (std::vector<int>{1, 2, 3}));
}

QTEST_GUILESS_MAIN(TestTrainingStages)
#include "tst_trainingstages.moc"
