// The table of training settings and everything derived from it that needs no
// LibTorch: text round trips, --set, ranges, the resume rules and the model
// file's JSON header. Every case runs over the whole table, so a setting added
// later is covered without editing this file.

#include "base/EngineError.h"
#include "dataset/ResultsLocation.h"
#include "image/DisplayMapping.h"
#include "model/ModelFile.h"
#include "model/TrainingSettings.h"
#include "SettingSamples.h"

#include <QDir>
#include <QTemporaryDir>
#include <QtTest>

#include <opencv2/core.hpp>

#include <cmath>
#include <set>

using namespace mri;

class TestSettings final : public QObject
{
    Q_OBJECT

private slots:
    void everySettingIsFullyDescribed();
    void valuesRoundTripThroughText_data();
    void valuesRoundTripThroughText();
    void badValuesAreRefusedInOneSentence_data();
    void badValuesAreRefusedInOneSentence();
    void setAppliesEverySetting();
    void unknownSettingIsRefused();
    void resumeFollowsEachSettingsRule();
    void modelHeaderKeepsEverySetting();
    void modelHeaderKeepsTheHistory();
    void version1MetaIsReadThroughTheTable();
    void damagedVersion1MetaIsRefused_data();
    void damagedVersion1MetaIsRefused();
    void damagedModelHeadersAreRefused_data();
    void damagedModelHeadersAreRefused();
    void modelHeaderWithoutANewSettingGetsItsDefault();
    void resultsGoToTheDatasetWhenWritable();
    void displayMappingStretchesTheWindow();
};

namespace {

void addRowPerSetting()
{
    QTest::addColumn<QString>("key");
    for (const auto &setting : trainingSettings())
        QTest::newRow(setting.key.c_str()) << QString::fromStdString(setting.key);
}

void verifyOneSentence(const EngineError &error, const std::string &mustName)
{
    const std::string text = error.what();
    QVERIFY2(text.find('\n') == std::string::npos, text.c_str());
    QVERIFY2(!text.empty() && text.back() == '.', text.c_str());
    QVERIFY2(text.find(mustName) != std::string::npos, text.c_str());
}

} // namespace

void TestSettings::everySettingIsFullyDescribed()
{
    std::set<std::string> keys;
    std::set<std::string> flags;
    for (const auto &setting : trainingSettings()) {
        QVERIFY2(keys.insert(setting.key).second, setting.key.c_str());
        if (!setting.flag.empty())
            QVERIFY2(flags.insert(setting.flag).second, setting.flag.c_str());
        QVERIFY2(!setting.label.empty() && !setting.help.empty(), setting.key.c_str());
        QVERIFY(setting.get && setting.set);
        if (setting.type == SettingType::Integer || setting.type == SettingType::Real)
            QVERIFY2(setting.minimum < setting.maximum, setting.key.c_str());
        if (setting.type == SettingType::Choice)
            QVERIFY2(setting.choices.size() >= 2, setting.key.c_str());
        // The default (TrainingOptions' initialiser) lies inside the described range.
        checkSettingValue(setting, defaultSettingValue(setting));
        QVERIFY2(test::nonDefaultValue(setting) != defaultSettingValue(setting), setting.key.c_str());
    }
    QVERIFY(keys.size() >= 20);
}

void TestSettings::valuesRoundTripThroughText_data()
{
    addRowPerSetting();
}

void TestSettings::valuesRoundTripThroughText()
{
    QFETCH(QString, key);
    const auto &setting = trainingSetting(key.toStdString());
    for (const auto &value : {defaultSettingValue(setting), test::nonDefaultValue(setting)}) {
        const std::string text = formatSettingValue(setting, value);
        QVERIFY2(parseSettingValue(setting, text) == value, text.c_str());
    }
}

void TestSettings::badValuesAreRefusedInOneSentence_data()
{
    QTest::addColumn<QString>("key");
    QTest::addColumn<QString>("text");
    for (const auto &setting : trainingSettings()) {
        const auto row = [&](const char *what, const std::string &text) {
            QTest::newRow((setting.key + " " + what).c_str()) << QString::fromStdString(setting.key)
                                                               << QString::fromStdString(text);
        };
        row("empty", "");
        row("word", "abc");
        switch (setting.type) {
        case SettingType::Integer:
            row("below", std::to_string(static_cast<long long>(setting.minimum) - 1));
            row("above", std::to_string(static_cast<long long>(setting.maximum) + 1));
            row("fraction", "1.5");
            row("huge", "99999999999999999999999");
            break;
        case SettingType::Real:
            row("below", std::to_string(setting.minimum - 1.0));
            row("above", std::to_string(setting.maximum * 2.0 + 1.0));
            row("nan", "nan");
            row("inf", "inf");
            row("trailing", "0.5x");
            break;
        case SettingType::Boolean:
            row("two", "2");
            break;
        case SettingType::Choice:
            row("unknown", "magic");
            break;
        }
    }
}

void TestSettings::badValuesAreRefusedInOneSentence()
{
    QFETCH(QString, key);
    QFETCH(QString, text);
    TrainingOptions options;
    const TrainingOptions before = options;
    try {
        applyTrainingSetting(options, key.toStdString() + "=" + text.toStdString());
        QFAIL("a bad value must be refused");
    } catch (const EngineError &error) {
        verifyOneSentence(error, key.toStdString());
    }
    // Nothing was changed by the refused value.
    const auto &setting = trainingSetting(key.toStdString());
    QVERIFY(setting.get(options) == setting.get(before));
}

void TestSettings::setAppliesEverySetting()
{
    TrainingOptions options;
    for (const auto &setting : trainingSettings())
        applyTrainingSetting(options, setting.key + "=" + formatSettingValue(setting, test::nonDefaultValue(setting)));
    for (const auto &setting : trainingSettings())
        QVERIFY2(setting.get(options) == test::nonDefaultValue(setting), setting.key.c_str());
    // The one pair of settings that exclude each other is refused together, in one sentence naming both.
    try {
        validateTrainingOptions(options);
        QFAIL("synthetic_zerofill with synthetic_correlation must be refused");
    } catch (const EngineError &error) {
        verifyOneSentence(error, "synthetic_zerofill");
        QVERIFY(QString::fromUtf8(error.what()).contains("synthetic_correlation"));
    }
    applyTrainingSetting(options, "synthetic_correlation=0");
    validateTrainingOptions(options);
}

void TestSettings::unknownSettingIsRefused()
{
    TrainingOptions options;
    try {
        applyTrainingSetting(options, "no_such_thing=1");
        QFAIL("an unknown key must be refused");
    } catch (const EngineError &error) {
        verifyOneSentence(error, "no_such_thing");
    }
    QVERIFY_THROWS_EXCEPTION(EngineError, applyTrainingSetting(options, "depth"));
}

void TestSettings::resumeFollowsEachSettingsRule()
{
    const TrainingOptions checkpoint = test::nonDefaultOptions();
    // A request at the defaults: Checkpoint and RequestWhenSet settings come from the checkpoint.
    TrainingOptions request;
    request.modelFile = "model.pt";
    request.resume = true;
    auto resolved = resolveResumedOptions(request, checkpoint);
    QCOMPARE(resolved.modelFile, request.modelFile);
    QVERIFY(resolved.resume);
    for (const auto &setting : trainingSettings()) {
        const auto &expected = setting.resume == ResumeRule::Request ? request : checkpoint;
        QVERIFY2(setting.get(resolved) == setting.get(expected), setting.key.c_str());
    }
    // A request that sets the seed: a RequestWhenSet setting then comes from the request.
    TrainingOptions seeded = request;
    seeded.seed = 12345;
    resolved = resolveResumedOptions(seeded, checkpoint);
    QCOMPARE(resolved.seed, std::uint64_t(12345));
    for (const auto &setting : trainingSettings()) {
        const auto &expected = setting.resume == ResumeRule::Checkpoint ? checkpoint : seeded;
        QVERIFY2(setting.get(resolved) == setting.get(expected), setting.key.c_str());
    }
}

void TestSettings::modelHeaderKeepsEverySetting()
{
    ModelFileHeader header;
    header.settings = test::nonDefaultOptions();
    header.epochsCompleted = 3;
    header.globalStep = 42;
    const auto decoded = decodeModelHeader(encodeModelHeader(header), "model.pt");
    QCOMPARE(decoded.formatVersion, kModelFileVersion);
    for (const auto &setting : trainingSettings())
        QVERIFY2(setting.get(decoded.settings) == setting.get(header.settings), setting.key.c_str());
    QCOMPARE(decoded.epochsCompleted, 3);
    QCOMPARE(decoded.globalStep, 42LL);
}

void TestSettings::modelHeaderKeepsTheHistory()
{
    ModelFileHeader header;
    EpochSummary first;
    first.epoch = 1;
    first.globalStep = 10;
    first.trainLoss = 0.125;
    first.validationLoss = std::nan(""); // no validation images
    first.validationPsnr = std::nan("");
    first.learningRate = 4e-4;
    first.elapsedSeconds = 1.5;
    EpochSummary second = first;
    second.epoch = 2;
    second.globalStep = 20;
    second.validationLoss = 0.01;
    second.validationPsnr = 27.25;
    header.history = {first, second};
    const auto decoded = decodeModelHeader(encodeModelHeader(header), "model.pt");
    QCOMPARE(decoded.history.size(), std::size_t(2));
    QCOMPARE(decoded.history[0].trainLoss, 0.125);
    QVERIFY(std::isnan(decoded.history[0].validationLoss));
    QVERIFY(std::isnan(decoded.history[0].validationPsnr));
    QCOMPARE(decoded.history[1].globalStep, 20LL);
    QCOMPARE(decoded.history[1].validationPsnr, 27.25);
    QCOMPARE(decoded.history[1].learningRate, 4e-4);
    QCOMPARE(decoded.history[1].epochs, header.settings.epochs);
}

void TestSettings::version1MetaIsReadThroughTheTable()
{
    const std::string text = "format=mri-enhance-model\nversion=1\ndepth=3\nbase_channels=8\nresidual_output=0\n"
                             "top_skip=1\nblur_pool=0\nbatch_norm=1\nobjective=synthetic\nepochs=12\n"
                             "learning_rate=0.00050000000000000001\nseed=99\nrician_correction=0\n"
                             "epochs_completed=2\nglobal_step=30\n"
                             "history=1,15,0.5,nan,nan,0.0001,2.5\nhistory=2,30,0.25,0.2,21.5,0.0002,5\n";
    const auto header = decodeVersion1Meta(text, "old.pt");
    QCOMPARE(header.formatVersion, 1);
    QCOMPARE(header.settings.network.depth, 3);
    QCOMPARE(header.settings.network.baseChannels, 8);
    QVERIFY(header.settings.network.topSkip);
    QVERIFY(!header.settings.network.blurPool);
    QCOMPARE(header.settings.objective, TrainingObjective::Synthetic);
    QCOMPARE(header.settings.learningRate, 5e-4);
    QCOMPARE(header.settings.seed, std::uint64_t(99));
    QVERIFY(!header.settings.ricianCorrection);
    QCOMPARE(header.epochsCompleted, 2);
    QCOMPARE(header.history.size(), std::size_t(2));
    QVERIFY(std::isnan(header.history[0].validationPsnr));
    QCOMPARE(header.history[1].validationPsnr, 21.5);
    QVERIFY_THROWS_EXCEPTION(EngineError, decodeVersion1Meta("format=other\n", "old.pt"));
}

// Found by fuzz_modelfile: a version-1 history line's epoch or step was cast
// from any number (9.9e12, nan: undefined behaviour) and accepted.
void TestSettings::damagedVersion1MetaIsRefused_data()
{
    QTest::addColumn<QString>("meta");
    const QString base = "format=mri-enhance-model\nversion=1\nepochs_completed=2\nglobal_step=6\n";
    QTest::newRow("epoch 9.9e12") << base + "history=9.9e12,3,0.1,0.2,5.3,0.0002,0.1\n";
    QTest::newRow("epoch nan") << base + "history=nan,3,0.1,0.2,5.3,0.0002,0.1\n";
    QTest::newRow("epoch -1") << base + "history=-1,3,0.1,0.2,5.3,0.0002,0.1\n";
    QTest::newRow("step 1e300") << base + "history=1,1e300,0.1,0.2,5.3,0.0002,0.1\n";
    QTest::newRow("step inf") << base + "history=1,inf,0.1,0.2,5.3,0.0002,0.1\n";
    QTest::newRow("epochs completed -2") << QString(base).replace("epochs_completed=2", "epochs_completed=-2");
}

void TestSettings::damagedVersion1MetaIsRefused()
{
    QFETCH(QString, meta);
    try {
        const auto header = decodeVersion1Meta(meta.toStdString(), "/data/old.pt");
        QFAIL(qPrintable(QString("accepted, epoch %1").arg(header.history.empty() ? -1 : header.history[0].epoch)));
    } catch (const EngineError &error) {
        verifyOneSentence(error, "/data/old.pt");
        QVERIFY2(QString::fromUtf8(error.what()).contains("damaged"), error.what());
    }
}

void TestSettings::damagedModelHeadersAreRefused_data()
{
    QTest::addColumn<QString>("json");
    QTest::addColumn<QString>("mustSay");
    ModelFileHeader header;
    const QString good = QString::fromStdString(encodeModelHeader(header));
    QTest::newRow("not json") << "{\"format\": " << "damaged";
    QTest::newRow("array") << "[1, 2]" << "damaged";
    QTest::newRow("other format") << "{\"format\": \"zip\", \"schema_version\": 2}" << "not an MRI Enhance Studio model";
    QTest::newRow("newer schema") << QString(good).replace("\"schema_version\": 2", "\"schema_version\": 99")
                                  << "newer version";
    QTest::newRow("no schema") << QString(good).replace("\"schema_version\"", "\"schema\"") << "schema version";
    QTest::newRow("depth out of range") << QString(good).replace("\"depth\": 2", "\"depth\": 60") << "depth";
    QTest::newRow("wrong type") << QString(good).replace("\"batch_norm\": true", "\"batch_norm\": \"yes\"")
                                << "batch_norm";
    QTest::newRow("no history") << QString(good).replace("\"history\"", "\"story\"") << "damaged";
    // Found by fuzz_modelfile: counts were converted from any JSON number
    // (1e300: undefined behaviour), fields of another type escaped as a JSON
    // library exception instead of a sentence.
    const QString epoch = "{\"epoch\": %1, \"global_step\": 3, \"train_loss\": 0.1, \"validation_loss\": null, "
                          "\"validation_psnr\": null, \"learning_rate\": 0.001, \"elapsed_seconds\": 1}";
    const QString history = "\"history\": [";
    QVERIFY(good.contains(history));
    QTest::newRow("history epoch 1e300") << QString(good).replace(history, history + epoch.arg("1e300"))
                                         << "'epoch' is not a whole number";
    QTest::newRow("history epoch 2.5") << QString(good).replace(history, history + epoch.arg("2.5"))
                                       << "'epoch' is not a whole number";
    QTest::newRow("history epoch negative") << QString(good).replace(history, history + epoch.arg("-4"))
                                            << "'epoch' is not a whole number";
    QTest::newRow("history not a list") << QString(good).replace(history, "\"history\": {\"a\": 1}, \"x\": [")
                                        << "history is not a list";
    QVERIFY(good.contains("\"epochs_completed\": 0"));
    QTest::newRow("epochs completed 9.9e12") << QString(good).replace("\"epochs_completed\": 0",
                                                                      "\"epochs_completed\": 9.9e12")
                                             << "'epochs_completed' is not a whole number";
    QTest::newRow("format a number") << "{\"format\": 5, \"schema_version\": 2}" << "not an MRI Enhance Studio model";
    QTest::newRow("newer, writer a number") << "{\"format\": \"mri-enhance-model\", \"schema_version\": 3, "
                                               "\"written_by\": 7}"
                                            << "newer version of MRI Enhance Studio (unknown)";
    QTest::newRow("schema version 0") << QString(good).replace("\"schema_version\": 2", "\"schema_version\": 0")
                                      << "schema version 0 is not valid";
    QTest::newRow("schema version 2^32 + 2") << QString(good).replace("\"schema_version\": 2",
                                                                      "\"schema_version\": 4294967298")
                                             << "newer version";
}

void TestSettings::damagedModelHeadersAreRefused()
{
    QFETCH(QString, json);
    QFETCH(QString, mustSay);
    try {
        decodeModelHeader(json.toStdString(), "/data/model.pt");
        QFAIL("a damaged header must be refused");
    } catch (const EngineError &error) {
        verifyOneSentence(error, "/data/model.pt");
        QVERIFY2(QString::fromUtf8(error.what()).contains(mustSay), error.what());
    }
}

void TestSettings::modelHeaderWithoutANewSettingGetsItsDefault()
{
    ModelFileHeader header;
    header.settings = test::nonDefaultOptions();
    std::string json = encodeModelHeader(header);
    // As a file written before "n2v_neighbourhood" existed would be.
    const auto &setting = trainingSetting("n2v_neighbourhood");
    const std::string entry = "\"n2v_neighbourhood\": " + formatSettingValue(setting, test::nonDefaultValue(setting)) + ",";
    const auto at = json.find(entry);
    QVERIFY(at != std::string::npos);
    json.erase(at, entry.size());
    const auto decoded = decodeModelHeader(json, "model.pt");
    QVERIFY(setting.get(decoded.settings) == defaultSettingValue(setting));
    QCOMPARE(decoded.settings.network.depth, header.settings.network.depth);
}

void TestSettings::resultsGoToTheDatasetWhenWritable()
{
    QTemporaryDir dir;
    const auto writable = resultsLocationFor(dir.path().toStdString());
    QVERIFY(writable.insideDataset);
    QCOMPARE(QString::fromStdString(writable.folder.string()), QDir(dir.path()).absolutePath());
    QVERIFY(writable.notice().empty());
    // A folder that cannot be written (here: one that does not exist) sends
    // results to the user's data folder, under a stable name.
    qputenv("XDG_DATA_HOME", QFile::encodeName(dir.filePath("data")));
    const auto elsewhere = resultsLocationFor(dir.filePath("missing/scans").toStdString());
    QVERIFY(!elsewhere.insideDataset);
    QVERIFY(QString::fromStdString(elsewhere.folder.string()).startsWith(dir.filePath("data/mri-enhance-studio/results/scans-")));
    QCOMPARE(resultsLocationFor(dir.filePath("missing/scans/").toStdString()).folder, elsewhere.folder);
    QVERIFY(elsewhere.notice().find(elsewhere.folder.string()) != std::string::npos);
}

void TestSettings::displayMappingStretchesTheWindow()
{
    cv::Mat slice(1, 4, CV_16UC1);
    slice.at<std::uint16_t>(0, 0) = 100;
    slice.at<std::uint16_t>(0, 1) = 150;
    slice.at<std::uint16_t>(0, 2) = 300;
    slice.at<std::uint16_t>(0, 3) = 1000;
    const cv::Mat eight = mapToEightBit(slice, 100, 300);
    QCOMPARE(eight.type(), CV_8UC1);
    QCOMPARE(int(eight.at<std::uint8_t>(0, 0)), 0);
    QCOMPARE(int(eight.at<std::uint8_t>(0, 1)), 64);
    QCOMPARE(int(eight.at<std::uint8_t>(0, 2)), 255);
    QCOMPARE(int(eight.at<std::uint8_t>(0, 3)), 255); // saturated, not wrapped
}

QTEST_GUILESS_MAIN(TestSettings)
#include "tst_settings.moc"
