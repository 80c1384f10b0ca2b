// Model files: the version-2 layout (JSON header + LibTorch archive), the
// committed version-1 fixture written by release 0.1.0, readModelInfo()
// without the weights, and damaged files refused in one sentence.

#include "base/EngineError.h"
#include "enhance/Enhancer.h"
#include "model/ModelFile.h"
#include "model/ModelInfo.h"
#include "nn/Checkpoint.h"
#include "nn/UNet.h"
#include "training/TrainingStages.h"
#include "SettingSamples.h"
#include "TestDatasets.h"

#include <QElapsedTimer>
#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QtTest>

#include <opencv2/core.hpp>

#include <nlohmann/json.hpp>

#include <cmath>
#include <fstream>
#include <sstream>

using namespace mri;

namespace {

// The network of a model file as saved (its archive's weights), and its header.
nn::UNet networkOf(const QString &file, ModelFileHeader &header)
{
    const std::string archive = readModelFileArchive(file.toStdString(), header);
    torch::serialize::InputArchive in;
    in.load_from(archive.data(), archive.size());
    nn::UNet net(header.settings.network);
    torch::serialize::InputArchive modelIn;
    in.read("model", modelIn);
    net->load(modelIn);
    return net;
}

// Writes `net` and `optimizer` as the file's archive the way saveCheckpoint()
// does, but without its finiteness check (for poisoned files).
void rewriteArchive(const QString &file, const ModelFileHeader &header, nn::UNet &net, torch::optim::Optimizer &optimizer)
{
    torch::serialize::OutputArchive out, modelOut, optimizerOut;
    net->save(modelOut);
    out.write("model", modelOut);
    optimizer.save(optimizerOut);
    out.write("optimizer", optimizerOut);
    std::ostringstream bytes;
    out.save_to(bytes);
    writeModelFile(file.toStdString(), header, bytes.str());
}

} // namespace

class TestModelFile final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void version1FixtureStillLoads();
    void version1ResavedAsVersion2EnhancesIdentically();
    void settingsNewerThanTheFileTakeTheOldBehaviour();
    void neighbourSlicesSurviveTheModelFile();
    void oldModelsTakeSingleSlices();
    void everySettingSurvivesTheModelFile();
    void readModelInfoDoesNotLoadTheWeights();
    void damagedFilesAreOneSentence_data();
    void damagedFilesAreOneSentence();
    void weightsThatContradictTheSettingsAreRefusedAtLoad();
    void nonFiniteWeightsAreRefusedAtLoad_data();
    void nonFiniteWeightsAreRefusedAtLoad();
    void nonFiniteWeightsAreNeverSaved();
    void nonFiniteOptimiserStateIsNotResumed();
    void pathProblemsAreNamedAsTheyAre_data();
    void pathProblemsAreNamedAsTheyAre();
    void blindSpotModelsAreInferredJInvariantly_data();
    void blindSpotModelsAreInferredJInvariantly();

private:
    QString fixture() const { return QStringLiteral(MRI_TEST_DATA_DIR "/models/model-v1.pt"); }
    // Writes a model of `network` with fresh weights and `history` epochs of history.
    void writeModel(const QString &file, const TrainingOptions &settings, int historyEpochs = 1) const;
    QTemporaryDir m_dir;
};

namespace {

cv::Mat enhanceTestSlice(const std::filesystem::path &model)
{
    const cv::Mat unit = test::syntheticSlice(48, 40, 11);
    return Enhancer::load(model).enhanceUnit(unit);
}

} // namespace

void TestModelFile::writeModel(const QString &file, const TrainingOptions &settings, int historyEpochs) const
{
    nn::UNet net(settings.network);
    torch::optim::Adam optimizer(net->parameters(), torch::optim::AdamOptions(settings.learningRate));
    nn::CheckpointMeta meta;
    meta.network = settings.network;
    meta.options = settings;
    meta.epochsCompleted = historyEpochs;
    for (int epoch = 1; epoch <= historyEpochs; ++epoch) {
        EpochSummary summary;
        summary.epoch = epoch;
        summary.globalStep = 100LL * epoch;
        summary.trainLoss = 1.0 / epoch;
        summary.validationLoss = 0.5 / epoch;
        summary.validationPsnr = 20.0 + epoch * 0.01;
        summary.learningRate = settings.learningRate;
        summary.elapsedSeconds = epoch;
        meta.history.push_back(summary);
    }
    meta.globalStep = 100LL * historyEpochs;
    nn::saveCheckpoint(file.toStdString(), net, optimizer, meta);
}

void TestModelFile::version1FixtureStillLoads()
{
    // Values as trained by tests/data/models/make_model_v1.sh.
    const auto info = readModelInfo(fixture().toStdString());
    QCOMPARE(info.formatVersion, 1);
    QCOMPARE(info.network.depth, 1);
    QCOMPARE(info.network.baseChannels, 2);
    QCOMPARE(info.epochsTrained, 2);
    QCOMPARE(info.settings.seed, std::uint64_t(7));
    QCOMPARE(info.settings.patchSize, 16);
    QCOMPARE(info.settings.batchSize, 2);
    QCOMPARE(info.settings.validationFraction, 0.25);
    QCOMPARE(info.objective, TrainingObjective::Noise2Void);
    QCOMPARE(info.history.size(), std::size_t(2));
    QCOMPARE(info.history[1].epoch, 2);
    QVERIFY(std::isfinite(info.history[1].validationPsnr));
    const cv::Mat output = enhanceTestSlice(fixture().toStdString());
    QCOMPARE(output.size(), cv::Size(48, 40));
    QVERIFY(cv::checkRange(output));
}

void TestModelFile::version1ResavedAsVersion2EnhancesIdentically()
{
    auto loaded = nn::loadCheckpoint(fixture().toStdString(), torch::Device(torch::kCPU));
    torch::optim::Adam optimizer(loaded.net->parameters(), torch::optim::AdamOptions(1e-3));
    optimizer.load(*loaded.optimizerState);
    const QString resaved = m_dir.filePath(QStringLiteral("resaved.pt"));
    nn::saveCheckpoint(resaved.toStdString(), loaded.net, optimizer, loaded.meta);

    const auto info = readModelInfo(resaved.toStdString());
    QCOMPARE(info.formatVersion, kModelFileVersion);
    QCOMPARE(info.epochsTrained, 2);
    QCOMPARE(info.history.size(), std::size_t(2));
    const cv::Mat before = enhanceTestSlice(fixture().toStdString());
    const cv::Mat after = enhanceTestSlice(resaved.toStdString());
    QCOMPARE(cv::norm(before, after, cv::NORM_INF), 0.0);
}

void TestModelFile::everySettingSurvivesTheModelFile()
{
    TrainingOptions settings = test::nonDefaultOptions();
    const QString file = m_dir.filePath(QStringLiteral("all-settings.pt"));
    writeModel(file, settings, 3);
    const auto info = readModelInfo(file.toStdString());
    const auto loaded = nn::loadCheckpoint(file.toStdString(), torch::Device(torch::kCPU));
    for (const auto &setting : trainingSettings()) {
        QVERIFY2(setting.get(info.settings) == setting.get(settings), setting.key.c_str());
        QVERIFY2(setting.get(loaded.meta.options) == setting.get(settings), setting.key.c_str());
    }
    QVERIFY(loaded.meta.network == settings.network);
    QCOMPARE(info.epochsTrained, 3);
    QCOMPARE(info.history.size(), std::size_t(3));
}

void TestModelFile::readModelInfoDoesNotLoadTheWeights()
{
    // The default network with its optimiser state and a long history.
    const QString file = m_dir.filePath(QStringLiteral("default.pt"));
    writeModel(file, TrainingOptions{}, 500);
    QElapsedTimer timer;
    timer.start();
    constexpr int kReads = 20;
    for (int i = 0; i < kReads; ++i)
        QCOMPARE(readModelInfo(file.toStdString()).history.size(), std::size_t(500));
    const double msPerRead = static_cast<double>(timer.nsecsElapsed()) / 1e6 / kReads;
    qInfo("readModelInfo: %.2f ms per read", msPerRead);
    QVERIFY2(msPerRead < 50.0, qPrintable(QString::number(msPerRead)));
    // A header that lies about the weights is not noticed without loading them;
    // proof that they were not read: cut them off, and the info still comes.
    QFile bytes(file);
    QVERIFY(bytes.open(QIODevice::ReadWrite));
    const QByteArray all = bytes.readAll();
    const int headerEnd = all.indexOf("\n", all.indexOf("\n") + 1) + 1 + all.mid(all.indexOf("\n") + 1).split('\n').first().toInt();
    QVERIFY(bytes.resize(headerEnd + 10));
    bytes.close();
    QCOMPARE(readModelInfo(file.toStdString()).epochsTrained, 500);
    QVERIFY_THROWS_EXCEPTION(EngineError, Enhancer::load(file.toStdString()));
}

void TestModelFile::damagedFilesAreOneSentence_data()
{
    QTest::addColumn<QByteArray>("content");
    QTest::addColumn<QString>("mustSay");
    QTest::newRow("empty") << QByteArray() << "model";
    QTest::newRow("text") << QByteArray("hello world\n") << "model";
    QTest::newRow("bad length") << QByteArray("mri-enhance-model\nabc\n{}") << "header length";
    QTest::newRow("huge length") << QByteArray("mri-enhance-model\n99999999999999\n{}") << "header length";
    QTest::newRow("cut header") << QByteArray("mri-enhance-model\n500\n{\"format\"") << "ends inside its header";
    QTest::newRow("bad json") << QByteArray("mri-enhance-model\n5\n{{{{{") << "JSON";
    const QByteArray newer = "{\"format\": \"mri-enhance-model\", \"schema_version\": 7, \"written_by\": \"mri-enhance 9\"}";
    QTest::newRow("newer") << "mri-enhance-model\n" + QByteArray::number(newer.size()) + "\n" + newer << "newer version";
}

void TestModelFile::damagedFilesAreOneSentence()
{
    QFETCH(QByteArray, content);
    QFETCH(QString, mustSay);
    const QString file = m_dir.filePath(QStringLiteral("damaged.pt"));
    QFile out(file);
    QVERIFY(out.open(QIODevice::WriteOnly | QIODevice::Truncate));
    out.write(content);
    out.close();
    for (int reader = 0; reader < 2; ++reader) {
        try {
            if (reader == 0)
                readModelInfo(file.toStdString());
            else
                Enhancer::load(file.toStdString());
            QFAIL("a damaged model file must be refused");
        } catch (const EngineError &error) {
            const QString text = QString::fromUtf8(error.what());
            QVERIFY2(!text.contains('\n') && text.endsWith('.'), qPrintable(text));
            QVERIFY2(text.contains(file), qPrintable(text));
            QVERIFY2(text.contains(mustSay), qPrintable(text));
        }
    }
}

void TestModelFile::weightsThatContradictTheSettingsAreRefusedAtLoad()
{
    // Weights of a depth-2 network under a header that says depth 3.
    const QString file = m_dir.filePath(QStringLiteral("contradiction.pt"));
    writeModel(file, TrainingOptions{});
    ModelFileHeader header;
    const std::string archive = readModelFileArchive(file.toStdString(), header);
    header.settings.network.depth = 3;
    writeModelFile(file.toStdString(), header, archive);
    QCOMPARE(readModelInfo(file.toStdString()).network.depth, 3);
    try {
        Enhancer::load(file.toStdString());
        QFAIL("weights that do not fit the stored settings must be refused at load");
    } catch (const EngineError &error) {
        const QString text = QString::fromUtf8(error.what());
        QVERIFY2(!text.contains('\n') && text.contains("does not match"), qPrintable(text));
    }
}

void TestModelFile::nonFiniteWeightsAreRefusedAtLoad_data()
{
    QTest::addColumn<QString>("tensor");
    QTest::addColumn<double>("value");
    QTest::newRow("NaN weight") << "encoders.0.first.weight" << double(NAN);
    QTest::newRow("Inf bias") << "output.bias" << double(INFINITY);
    QTest::newRow("-Inf buffer") << "decoders.0.first_norm.running_mean" << -double(INFINITY);
}

void TestModelFile::nonFiniteWeightsAreRefusedAtLoad()
{
    QFETCH(QString, tensor);
    QFETCH(double, value);
    // A good model whose archive is rewritten with one poisoned value, as
    // saveCheckpoint() writes it but without its check.
    const QString file = m_dir.filePath(QStringLiteral("poisoned-%1.pt").arg(QTest::currentDataTag()));
    writeModel(file, TrainingOptions{});
    ModelFileHeader header;
    nn::UNet net = networkOf(file, header);
    {
        torch::NoGradGuard noGrad;
        bool found = false;
        for (auto &item : net->named_parameters(true))
            if (item.key() == tensor.toStdString())
                item.value().view(-1)[0] = value, found = true;
        for (auto &item : net->named_buffers(true))
            if (item.key() == tensor.toStdString())
                item.value().view(-1)[0] = value, found = true;
        QVERIFY2(found, qPrintable(tensor));
    }
    torch::optim::Adam optimizer(net->parameters(), torch::optim::AdamOptions(1e-3));
    rewriteArchive(file, header, net, optimizer);

    const QString expected = QStringLiteral("'%1' holds a weight that is not a finite number (%2); it cannot be used.")
                                 .arg(file, tensor);
    for (int reader = 0; reader < 2; ++reader) {
        try {
            if (reader == 0)
                Enhancer::load(file.toStdString());
            else
                nn::loadCheckpoint(file.toStdString(), torch::Device(torch::kCPU));
            QFAIL("a model with a non-finite weight must be refused at load");
        } catch (const EngineError &error) {
            QCOMPARE(QString::fromUtf8(error.what()), expected);
        }
    }
}

void TestModelFile::nonFiniteWeightsAreNeverSaved()
{
    // A diverged training's weights must not replace the last good model.
    const QString file = m_dir.filePath(QStringLiteral("last-good.pt"));
    writeModel(file, TrainingOptions{});
    QFile before(file);
    QVERIFY(before.open(QIODevice::ReadOnly));
    const QByteArray good = before.readAll();
    before.close();

    nn::UNet net(TrainingOptions{}.network);
    {
        torch::NoGradGuard noGrad;
        net->named_parameters(true)["output.weight"].view(-1)[0] = NAN;
    }
    torch::optim::Adam optimizer(net->parameters(), torch::optim::AdamOptions(1e-3));
    nn::CheckpointMeta meta;
    meta.epochsCompleted = 4;
    try {
        nn::saveCheckpoint(file.toStdString(), net, optimizer, meta);
        QFAIL("non-finite weights must not be saved");
    } catch (const EngineError &error) {
        const QString text = QString::fromUtf8(error.what());
        QVERIFY2(!text.contains('\n') && text.contains("'output.weight'") && text.contains("after epoch 4")
                     && text.contains("keeps its last good model"),
                 qPrintable(text));
    }
    QFile after(file);
    QVERIFY(after.open(QIODevice::ReadOnly));
    QCOMPARE(after.readAll(), good);
}

void TestModelFile::nonFiniteOptimiserStateIsNotResumed()
{
    // A file whose weights are good but whose Adam moments hold a NaN (written
    // without saveCheckpoint()'s check): it still enhances, but --resume would
    // continue into NaN, so resuming is refused with a sentence.
    const QString file = m_dir.filePath(QStringLiteral("poisoned-optimiser.pt"));
    writeModel(file, TrainingOptions{});
    ModelFileHeader header;
    nn::UNet net = networkOf(file, header);
    torch::optim::Adam optimizer(net->parameters(), torch::optim::AdamOptions(1e-3));
    const auto input = torch::rand({1, header.settings.network.inputChannels(), 32, 32});
    optimizer.zero_grad();
    net->forward(input).mean().backward();
    optimizer.step(); // Adam's moments now exist for every parameter
    {
        torch::NoGradGuard noGrad;
        const torch::Tensor weight = net->named_parameters(true)["output.weight"]; // a copy: the dict is a temporary
        auto &state = static_cast<torch::optim::AdamParamState &>(
            *optimizer.state().at(c10::guts::to_string(weight.unsafeGetTensorImpl())));
        state.exp_avg_sq().view(-1)[0] = NAN;
    }
    rewriteArchive(file, header, net, optimizer);

    Enhancer::load(file.toStdString()); // the weights are fine
    auto loaded = nn::loadCheckpoint(file.toStdString(), torch::Device(torch::kCPU));
    TrainingOptions options = header.settings;
    options.modelFile = file.toStdString();
    try {
        training::Learner learner(options, torch::Device(torch::kCPU), loaded.net, loaded.optimizerState);
        QFAIL("a non-finite optimiser state must not be resumed");
    } catch (const EngineError &error) {
        QCOMPARE(QString::fromUtf8(error.what()),
                 QStringLiteral("'%1' cannot be resumed: its optimiser state for 'output.weight' is not a finite "
                                "number; train without --resume to start afresh.")
                     .arg(file));
    }
}

void TestModelFile::pathProblemsAreNamedAsTheyAre_data()
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<QString>("mustSay");
    QTest::newRow("missing") << "absent.pt" << "does not exist";
    QTest::newRow("folder") << "folder.pt" << "is a folder";
    QTest::newRow("link loop") << "loop-a.pt" << "cannot be opened";
    QTest::newRow("name too long") << QString(300, QChar('m')) + ".pt" << "cannot be opened";
}

void TestModelFile::pathProblemsAreNamedAsTheyAre()
{
    QFETCH(QString, name);
    QFETCH(QString, mustSay);
    QTemporaryDir dir;
    QDir(dir.path()).mkdir("folder.pt");
    QVERIFY(QFile::link(dir.filePath("loop-b.pt"), dir.filePath("loop-a.pt")));
    QVERIFY(QFile::link(dir.filePath("loop-a.pt"), dir.filePath("loop-b.pt")));
    const std::string file = dir.filePath(name).toStdString();
    for (int reader = 0; reader < 2; ++reader) {
        try {
            if (reader == 0)
                readModelInfo(file);
            else
                Enhancer::load(file);
            QFAIL("the path must be refused");
        } catch (const EngineError &error) {
            const QString text = QString::fromUtf8(error.what());
            QVERIFY2(text.contains(mustSay) && !text.contains('\n'), qPrintable(text));
        }
    }
}

// A file written before linear_output, n2v_blind_radius and noise_coils
// existed was trained with a Sigmoid output, single-pixel blind spots and the
// Rician floor: it reads so, not with today's defaults.
void TestModelFile::settingsNewerThanTheFileTakeTheOldBehaviour()
{
    const auto v1 = readModelInfo(fixture().toStdString());
    ModelFileHeader header;
    header.settings = TrainingOptions{};
    auto json = nlohmann::json::parse(encodeModelHeader(header));
    for (const char *key : {"linear_output", "n2v_blind_radius", "noise_coils"}) {
        QVERIFY2(json["settings"].contains(key), key);
        json["settings"].erase(key);
    }
    const auto old = decodeModelHeader(json.dump(), "old.pt");
    for (const auto *settings : {&old.settings, &v1.settings}) {
        QVERIFY(!settings->network.linearOutput);
        QCOMPARE(settings->n2vBlindRadius, 0);
        QCOMPARE(settings->noiseCoils, 1);
    }
    QVERIFY(TrainingOptions{}.network.linearOutput);
    // Stored values are read as stored.
    header.settings.noiseCoils = 8;
    QCOMPARE(decodeModelHeader(encodeModelHeader(header), "new.pt").settings.noiseCoils, 8);
}

// A model trained with neighbour_slices = 1 reloads as a 3-channel network,
// and the Enhancer feeds it a slice with its neighbours (or the slice repeated).
void TestModelFile::neighbourSlicesSurviveTheModelFile()
{
    TrainingOptions settings;
    settings.network.baseChannels = 4;
    settings.network.neighbourSlices = 1;
    const QString file = m_dir.filePath(QStringLiteral("neighbours.pt"));
    // An untrained network of 4 channels can clip every pixel to 0 or 1 and so
    // ignore its input: a fixed seed keeps one whose output is not clipped flat.
    torch::manual_seed(1);
    writeModel(file, settings);
    QCOMPARE(readModelInfo(file.toStdString()).network.neighbourSlices, 1);
    const auto loaded = nn::loadCheckpoint(file.toStdString(), torch::Device(torch::kCPU));
    QCOMPARE(loaded.meta.network.neighbourSlices, 1);
    QCOMPARE(loaded.meta.network.inputChannels(), 3);
    QCOMPARE(loaded.net->named_parameters()["encoders.0.first.weight"].size(1), int64_t(3));

    const auto enhancer = Enhancer::load(file.toStdString());
    QCOMPARE(enhancer.neighbourSlices(), 1);
    const cv::Mat slice = test::syntheticSlice(48, 40, 11);
    const cv::Mat below = test::syntheticSlice(48, 40, 12);
    const cv::Mat above = test::syntheticSlice(48, 40, 13);
    const cv::Mat withNeighbours = enhancer.enhanceUnit(slice, {below, above});
    QCOMPARE(withNeighbours.size(), slice.size());
    QVERIFY(cv::checkRange(withNeighbours));
    double lowest = 0.0, highest = 0.0;
    cv::minMaxLoc(withNeighbours, &lowest, &highest);
    QVERIFY2(highest - lowest > 0.01, "the untrained network clips flat: take another seed");
    QVERIFY(cv::norm(withNeighbours, enhancer.enhanceUnit(slice, {above, below}), cv::NORM_INF) > 0.0);
    // No neighbours: the slice stands in for them.
    QCOMPARE(cv::norm(enhancer.enhanceUnit(slice), enhancer.enhanceUnit(slice, {slice, slice}), cv::NORM_INF), 0.0);
    QVERIFY_THROWS_EXCEPTION(EngineError, enhancer.enhanceUnit(slice, {below}));
    QVERIFY_THROWS_EXCEPTION(EngineError, enhancer.enhanceUnit(slice, {below, cv::Mat(20, 20, CV_32FC1, 0.5)}));
}

// Files written before neighbour_slices existed (no key, or version 1) load
// as single-slice networks, and a single-slice model ignores neighbours.
void TestModelFile::oldModelsTakeSingleSlices()
{
    ModelFileHeader header;
    header.settings = TrainingOptions{};
    auto json = nlohmann::json::parse(encodeModelHeader(header));
    QVERIFY(json["settings"].contains("neighbour_slices"));
    json["settings"].erase("neighbour_slices");
    QCOMPARE(decodeModelHeader(json.dump(), "old.pt").settings.network.neighbourSlices, 0);
    const auto loaded = nn::loadCheckpoint(fixture().toStdString(), torch::Device(torch::kCPU));
    QCOMPARE(loaded.meta.network.neighbourSlices, 0);
    QCOMPARE(loaded.net->named_parameters()["encoders.0.first.weight"].size(1), int64_t(1));
    const auto enhancer = Enhancer::load(fixture().toStdString());
    QCOMPARE(enhancer.neighbourSlices(), 0);
    const cv::Mat slice = test::syntheticSlice(48, 40, 11);
    const cv::Mat other = test::syntheticSlice(48, 40, 12);
    QCOMPARE(cv::norm(enhancer.enhanceUnit(slice), enhancer.enhanceUnit(slice, {other, other}), cv::NORM_INF), 0.0);
}

void TestModelFile::blindSpotModelsAreInferredJInvariantly_data()
{
    QTest::addColumn<QString>("objective");
    QTest::addColumn<int>("radius");
    QTest::addColumn<int>("neighbourSlices");
    QTest::addColumn<int>("blindSpotPasses");
    QTest::addColumn<bool>("mirrorAverage");
    QTest::newRow("n2v, single-pixel blind spots") << "n2v" << 0 << 1 << 1 << true;
    QTest::newRow("n2v, radius 1, single slices: plain") << "n2v" << 1 << 0 << 1 << true;
    QTest::newRow("n2v, radius 1, neighbour slices") << "n2v" << 1 << 1 << 49 << false;
    QTest::newRow("n2v, radius 2") << "n2v" << 2 << 0 << 144 << false;
    QTest::newRow("n2v, radius 3") << "n2v" << 3 << 0 << 256 << false;
    QTest::newRow("synthetic: no blind spots") << "synthetic" << 2 << 0 << 1 << true;
    QTest::newRow("superres: one pass") << "superres" << 0 << 0 << 1 << false;
}

// The blind spots a model was trained with decide how it is inferred.
void TestModelFile::blindSpotModelsAreInferredJInvariantly()
{
    QFETCH(QString, objective);
    QFETCH(int, radius);
    QFETCH(int, neighbourSlices);
    QFETCH(int, blindSpotPasses);
    QFETCH(bool, mirrorAverage);
    TrainingOptions settings;
    settings.objective = *parseObjective(objective.toStdString());
    settings.n2vBlindRadius = radius;
    settings.network.depth = 1;
    settings.network.baseChannels = 2;
    settings.network.neighbourSlices = neighbourSlices;
    const QString file = m_dir.filePath(QStringLiteral("blind-%1-%2-%3.pt").arg(objective).arg(radius).arg(neighbourSlices));
    writeModel(file, settings);
    auto enhancer = Enhancer::load(file.toStdString());
    QCOMPARE(enhancer.blindSpotPasses(), blindSpotPasses);
    QCOMPARE(enhancer.mirrorAverage(), mirrorAverage);
    QCOMPARE(enhancer.passesPerTile(), blindSpotPasses * (mirrorAverage ? 4 : 1));
    const cv::Mat slice = test::syntheticSlice(48, 40, 11);
    const std::vector<cv::Mat> neighbours(2 * neighbourSlices, slice);
    const cv::Mat enhanced = enhancer.enhanceUnit(slice, neighbours);
    QCOMPARE(enhanced.size(), cv::Size(48, 40));
    // The mirror average is the user's to turn off (or on).
    enhancer.setMirrorAverage(!mirrorAverage);
    QCOMPARE(enhancer.passesPerTile(), blindSpotPasses * (mirrorAverage ? 1 : 4));
    QVERIFY(cv::norm(enhancer.enhanceUnit(slice, neighbours), enhanced, cv::NORM_INF) > 0.0);
}

QTEST_GUILESS_MAIN(TestModelFile)
#include "tst_modelfile.moc"
