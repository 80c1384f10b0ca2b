// The command line's parsing, without running a command: every training
// setting of the engine's table reaches TrainingOptions through its flag and
// through --set, the help lists them all, and bad command lines are usage
// errors (exit status 2, one sentence on stderr).
#include "base/Version.h"
#include "model/TrainingSettings.h"
#include "CommandLine.h"
#include "SettingSamples.h"

#include <QTemporaryFile>
#include <QtTest>

#include <cstdio>
#include <filesystem>
#include <iostream>

#include <unistd.h>

using namespace mri;

Q_DECLARE_METATYPE(std::vector<std::string>)

namespace {

struct Captured
{
    int exitCode = -1;
    QString out;
    QString err;
};

QString readBack(QTemporaryFile &file)
{
    file.seek(0);
    return QString::fromUtf8(file.readAll());
}

// Runs mri::cli::run() with stdout and stderr captured through their file descriptors.
Captured runCaptured(const std::vector<std::string> &arguments)
{
    QTemporaryFile out;
    QTemporaryFile err;
    if (!out.open() || !err.open())
        return {};
    std::cout.flush();
    std::fflush(stdout);
    std::fflush(stderr);
    const int savedOut = ::dup(STDOUT_FILENO);
    const int savedErr = ::dup(STDERR_FILENO);
    ::dup2(out.handle(), STDOUT_FILENO);
    ::dup2(err.handle(), STDERR_FILENO);
    std::atomic_bool cancel{false};
    Captured captured;
    captured.exitCode = cli::run(arguments, cancel);
    std::cout.flush();
    std::fflush(stdout);
    std::fflush(stderr);
    ::dup2(savedOut, STDOUT_FILENO);
    ::dup2(savedErr, STDERR_FILENO);
    ::close(savedOut);
    ::close(savedErr);
    captured.out = readBack(out);
    captured.err = readBack(err);
    return captured;
}

const std::vector<std::string> kRequired{"--dataset", "data", "--model", "model.pt"};

std::vector<std::string> trainArguments(std::vector<std::string> extra)
{
    auto arguments = kRequired;
    arguments.insert(arguments.end(), extra.begin(), extra.end());
    return arguments;
}

std::string settingText(const std::string &key, const SettingValue &value)
{
    return formatSettingValue(trainingSetting(key), value);
}

} // namespace

class TestCommandLine final : public QObject
{
    Q_OBJECT

private slots:
    void everySettingRoundTrips_data();
    void everySettingRoundTrips();
    void defaultsWithoutSettings();
    void setThenFlags();
    void helpListsEverySetting();
    void helpAnywhereShowsTheCommandsHelp();
    void versionIsTheProgramVersion();
    void noArgumentsIsUsage();
    void badCommandLinesExitTwo_data();
    void badCommandLinesExitTwo();
    void benchmarkOptionsParse();
};

void TestCommandLine::everySettingRoundTrips_data()
{
    QTest::addColumn<QString>("key");
    QTest::addColumn<std::vector<std::string>>("arguments");
    int flags = 0;
    for (const auto &setting : trainingSettings()) {
        const auto text = formatSettingValue(setting, test::nonDefaultValue(setting));
        QTest::addRow("--set %s=%s", setting.key.c_str(), text.c_str())
            << QString::fromStdString(setting.key) << trainArguments({"--set", setting.key + "=" + text});
        if (!setting.flag.empty()) {
            ++flags;
            QTest::addRow("--%s %s", setting.flag.c_str(), text.c_str())
                << QString::fromStdString(setting.key) << trainArguments({"--" + setting.flag, text});
            QTest::addRow("--%s=%s", setting.flag.c_str(), text.c_str())
                << QString::fromStdString(setting.key) << trainArguments({"--" + setting.flag + "=" + text});
        }
    }
    QVERIFY(flags > 0);
}

void TestCommandLine::everySettingRoundTrips()
{
    QFETCH(QString, key);
    QFETCH(std::vector<std::string>, arguments);
    const auto &changed = trainingSetting(key.toStdString());
    const auto expected = test::nonDefaultValue(changed);
    QVERIFY2(expected != defaultSettingValue(changed), "the table leaves no other value to test with");

    TrainingOptions options;
    try {
        options = cli::parseTrainOptions(arguments);
    } catch (const cli::UsageError &error) {
        QFAIL(error.what());
    }
    QCOMPARE(settingText(changed.key, changed.get(options)), settingText(changed.key, expected));
    QVERIFY(changed.get(options) == expected);
    // Nothing else moved: the value reached this setting and no other.
    for (const auto &setting : trainingSettings()) {
        if (setting.key != changed.key)
            QVERIFY2(setting.get(options) == defaultSettingValue(setting), setting.key.c_str());
    }
    QCOMPARE(options.modelFile.string(), std::string("model.pt"));
    QVERIFY(!options.resume);
}

void TestCommandLine::defaultsWithoutSettings()
{
    const auto options = cli::parseTrainOptions(trainArguments({"--resume"}));
    for (const auto &setting : trainingSettings())
        QVERIFY2(setting.get(options) == defaultSettingValue(setting), setting.key.c_str());
    QVERIFY(options.resume);
}

void TestCommandLine::setThenFlags()
{
    // Each setting picks its own flagged setting from the table, so the test follows the table.
    std::vector<const SettingDescription *> flagged;
    for (const auto &setting : trainingSettings()) {
        if (!setting.flag.empty())
            flagged.push_back(&setting);
    }
    QVERIFY(flagged.size() >= 2);
    const auto &first = *flagged[0];
    const auto &second = *flagged[1];
    const auto firstText = formatSettingValue(first, test::nonDefaultValue(first));
    const auto secondText = formatSettingValue(second, test::nonDefaultValue(second));
    const auto secondDefault = formatSettingValue(second, defaultSettingValue(second));

    // --set and a flag for different settings: both apply.
    auto options = cli::parseTrainOptions(
        trainArguments({"--" + second.flag, secondText, "--set", first.key + "=" + firstText}));
    QVERIFY(first.get(options) == test::nonDefaultValue(first));
    QVERIFY(second.get(options) == test::nonDefaultValue(second));

    // A later --set of the same key wins.
    options = cli::parseTrainOptions(
        trainArguments({"--set", second.key + "=" + secondText, "--set", second.key + "=" + secondDefault}));
    QVERIFY(second.get(options) == defaultSettingValue(second));

    // The same setting by its flag and by --set: a usage error that names both.
    try {
        cli::parseTrainOptions(trainArguments({"--set", first.key + "=" + firstText, "--" + first.flag, firstText}));
        QFAIL("a setting given twice was accepted");
    } catch (const cli::UsageError &error) {
        const QString message = error.what();
        QVERIFY2(message.contains(QString::fromStdString(first.key)), error.what());
        QVERIFY2(message.contains(QString::fromStdString("--" + first.flag)), error.what());
    }
    const auto run = runCaptured({"train", "--dataset", "nowhere", "--model", "m.pt", "--set",
                                  first.key + "=" + firstText, "--" + first.flag, firstText});
    QCOMPARE(run.exitCode, 2);
}

void TestCommandLine::helpListsEverySetting()
{
    const auto run = runCaptured({"train", "--help"});
    QCOMPARE(run.exitCode, 0);
    QVERIFY(run.err.isEmpty());
    for (const auto &setting : trainingSettings()) {
        const auto key = QString::fromStdString(setting.key);
        const auto range = QString::fromStdString(describeSettingRange(setting));
        const auto byDefault = QString::fromStdString("default " + formatSettingValue(setting, defaultSettingValue(setting)));
        // The key's own line in the list of --set keys gives its range and default.
        bool listed = false;
        for (const auto &line : run.out.split('\n')) {
            if (line.trimmed().startsWith(key + ' ') && line.contains(range) && line.contains(byDefault))
                listed = true;
        }
        QVERIFY2(listed, qPrintable(key));
        if (!setting.flag.empty())
            QVERIFY2(run.out.contains(QString::fromStdString("--" + setting.flag + " ")), setting.flag.c_str());
    }
    QVERIFY(run.out.contains("--set"));
}

void TestCommandLine::helpAnywhereShowsTheCommandsHelp()
{
    for (const auto &arguments : std::vector<std::vector<std::string>>{
             {"train", "--epochs", "ten", "--help"}, {"train", "-h"}, {"enhance", "--dataset", "x", "--help"}}) {
        const auto run = runCaptured(arguments);
        QCOMPARE(run.exitCode, 0);
        QVERIFY2(run.out.contains(QString::fromStdString("mri-enhance " + arguments.front())), qPrintable(run.out));
    }
    const auto top = runCaptured({"--help"});
    QCOMPARE(top.exitCode, 0);
    for (const auto *command : {"demo-dataset", "train", "enhance", "compare", "metrics", "benchmark", "export-model",
                                "import-model"})
        QVERIFY2(top.out.contains(command), command);
    // import-model: the network's shape by dedicated flags (from the table), anything else by --set.
    const auto import = runCaptured({"import-model", "--help"});
    QCOMPARE(import.exitCode, 0);
    for (const auto *option : {"--depth", "--base-channels", "--set", "--settings", "--out"})
        QVERIFY2(import.out.contains(option), option);
    QVERIFY2(!import.out.contains("--epochs "), qPrintable(import.out));
    // Both commands that add noise list every part of its syntax.
    for (const auto *command : {"benchmark", "demo-dataset"}) {
        const auto help = runCaptured({command, "--help"});
        QCOMPARE(help.exitCode, 0);
        for (const auto *part : {"chi:N", "+correlated:K", "+zerofill:F", "+sense:R", "+jpeg:Q"})
            QVERIFY2(help.out.contains(part), qPrintable(QString("%1: %2").arg(command, part)));
    }
}

void TestCommandLine::versionIsTheProgramVersion()
{
    const auto run = runCaptured({"--version"});
    QCOMPARE(run.exitCode, 0);
    QCOMPARE(run.out.trimmed(), QStringLiteral("mri-enhance %1").arg(programVersion()));
}

void TestCommandLine::noArgumentsIsUsage()
{
    const auto run = runCaptured({});
    QCOMPARE(run.exitCode, 2);
    QVERIFY(run.out.isEmpty());
    QVERIFY2(run.err.contains("Usage"), qPrintable(run.err));
}

void TestCommandLine::badCommandLinesExitTwo_data()
{
    QTest::addColumn<std::vector<std::string>>("arguments");
    QTest::addColumn<QString>("mentions");
    const std::vector<std::string> train{"train", "--dataset", "nowhere", "--model", "m.pt"};
    const auto withTrain = [&](std::vector<std::string> extra) {
        auto arguments = train;
        arguments.insert(arguments.end(), extra.begin(), extra.end());
        return arguments;
    };
    QTest::newRow("--set NaN") << withTrain({"--set", "learning_rate=nan"}) << "learning_rate";
    QTest::newRow("--set too many epochs") << withTrain({"--set", "epochs=2000000000"}) << "epochs";
    QTest::newRow("--set huge patch") << withTrain({"--set", "patch_size=100000"}) << "patch_size";
    QTest::newRow("--set unknown key") << withTrain({"--set", "colour=red"}) << "colour";
    QTest::newRow("--set without =") << withTrain({"--set", "epochs"}) << "key=value";
    QTest::newRow("--set bad boolean") << withTrain({"--set", "blur_pool=maybe"}) << "blur_pool";
    QTest::newRow("--set empty") << withTrain({"--set"}) << "--set";
    QTest::newRow("flag NaN") << withTrain({"--lr", "nan"}) << "learning_rate";
    QTest::newRow("flag out of range") << withTrain({"--epochs", "0"}) << "epochs";
    QTest::newRow("flag not a number") << withTrain({"--batch", "sixteen"}) << "sixteen";
    QTest::newRow("flag bad choice") << withTrain({"--objective", "magic"}) << "magic";
    QTest::newRow("unknown option") << withTrain({"--colour", "red"}) << "--colour";
    QTest::newRow("missing model") << std::vector<std::string>{"train", "--dataset", "nowhere"} << "--model";
    QTest::newRow("unknown command") << std::vector<std::string>{"frobnicate"} << "frobnicate";
    QTest::newRow("unknown top-level option") << std::vector<std::string>{"--colour"} << "--colour";
    QTest::newRow("demo slices") << std::vector<std::string>{"demo-dataset", "--out", "x", "--slices", "0"} << "--slices";
    QTest::newRow("demo sigma NaN") << std::vector<std::string>{"demo-dataset", "--out", "x", "--sigma", "nan"} << "--sigma";
    QTest::newRow("demo orientation")
        << std::vector<std::string>{"demo-dataset", "--out", "x", "--orientation", "oblique"} << "oblique";
    QTest::newRow("enhance tile") << std::vector<std::string>{"enhance", "--dataset", "x", "--model", "m", "--tile", "8"}
                                  << "--tile";
    // Enhance settings come from their table (EnhanceSettings.h): each refusal names the setting or the value.
    const auto withEnhance = [](std::vector<std::string> extra) {
        std::vector<std::string> arguments{"enhance", "--dataset", "x", "--model", "m"};
        arguments.insert(arguments.end(), extra.begin(), extra.end());
        return arguments;
    };
    QTest::newRow("enhance plane") << withEnhance({"--plane", "oblique"}) << "oblique";
    QTest::newRow("enhance coils below the range") << withEnhance({"--coils", "-1"}) << "coils";
    QTest::newRow("enhance scale above the range") << withEnhance({"--scale", "5"}) << "scale";
    QTest::newRow("enhance fail-on") << withEnhance({"--fail-on", "maybe"}) << "maybe";
    QTest::newRow("enhance contrast") << withEnhance({"--contrast", "sharpen"}) << "sharpen";
    QTest::newRow("enhance switch with a value") << withEnhance({"--no-mirror-average=maybe"}) << "maybe";
    QTest::newRow("enhance no patient")
        << std::vector<std::string>{"enhance", "--dataset", "x", "--model", "m", "--patients", ","} << "patient id";
    QTest::newRow("compare count") << std::vector<std::string>{"compare", "--dataset", "x", "--out", "f.png", "--count",
                                                               "0"} << "--count";
    QTest::newRow("metrics one file") << std::vector<std::string>{"metrics", "a.png"} << "two image files";
    QTest::newRow("benchmark sigma") << std::vector<std::string>{"benchmark", "--clean", "x", "--sigma", "0.05,2"} << "'2'";
    QTest::newRow("benchmark variant form")
        << std::vector<std::string>{"benchmark", "--clean", "x", "--variant", "small"} << "small";
    QTest::newRow("benchmark variant setting")
        << std::vector<std::string>{"benchmark", "--clean", "x", "--variant", "small:depth=99"} << "depth";
    QTest::newRow("benchmark --set") << std::vector<std::string>{"benchmark", "--clean", "x", "--set", "epochs=-1"}
                                     << "epochs";
    QTest::newRow("benchmark noise chi:0") << std::vector<std::string>{"benchmark", "--clean", "x", "--noise", "chi:0"}
                                           << "chi:0";
    QTest::newRow("benchmark noise two models")
        << std::vector<std::string>{"benchmark", "--clean", "x", "--noise", "rician+gaussian"} << "more than one";
    QTest::newRow("benchmark noise jpeg:101")
        << std::vector<std::string>{"benchmark", "--clean", "x", "--noise", "jpeg:101"} << "jpeg:101";
    QTest::newRow("benchmark noise correlated and zerofill")
        << std::vector<std::string>{"benchmark", "--clean", "x", "--noise", "correlated:1+zerofill:2"}
        << "two ways of correlating";
    QTest::newRow("benchmark noise sense:9")
        << std::vector<std::string>{"benchmark", "--clean", "x", "--noise", "rician+sense:9"} << "sense:9";
    QTest::newRow("benchmark repeats 0") << std::vector<std::string>{"benchmark", "--clean", "x", "--repeats", "0"}
                                         << "'0'";
    QTest::newRow("benchmark repeats 21") << std::vector<std::string>{"benchmark", "--clean", "x", "--repeats", "21"}
                                          << "'21'";
    QTest::newRow("benchmark unseen without folder")
        << std::vector<std::string>{"benchmark", "--clean", "x", "--unseen"} << "--unseen";
    QTest::newRow("benchmark train-on-test value")
        << std::vector<std::string>{"benchmark", "--clean", "x", "--train-on-test=maybe"} << "maybe";
    QTest::newRow("demo noise") << std::vector<std::string>{"demo-dataset", "--out", "x", "--noise", "poisson"}
                                << "poisson";
    QTest::newRow("demo noise correlated:9")
        << std::vector<std::string>{"demo-dataset", "--out", "x", "--noise", "correlated:9"} << "correlated:9";
    QTest::newRow("demo noise zerofill:5")
        << std::vector<std::string>{"demo-dataset", "--out", "x", "--noise", "zerofill:5"} << "zerofill:5";
    QTest::newRow("export-model format")
        << std::vector<std::string>{"export-model", "m.model", "m.pt", "--format", "onnx"} << "onnx";
    QTest::newRow("export-model without OUT") << std::vector<std::string>{"export-model", "m.model"} << "OUT";
    QTest::newRow("import-model without --out") << std::vector<std::string>{"import-model", "m.pt"} << "--out";
    QTest::newRow("import-model depth")
        << std::vector<std::string>{"import-model", "m.pt", "--out", "m.model", "--depth", "9"} << "depth";
    QTest::newRow("import-model not a shape flag")
        << std::vector<std::string>{"import-model", "m.pt", "--out", "m.model", "--epochs", "3"} << "--epochs";
}

void TestCommandLine::badCommandLinesExitTwo()
{
    QFETCH(std::vector<std::string>, arguments);
    QFETCH(QString, mentions);
    const auto run = runCaptured(arguments);
    QCOMPARE(run.exitCode, 2);
    QVERIFY(run.out.isEmpty());
    QVERIFY2(run.err.startsWith("mri-enhance: "), qPrintable(run.err));
    QCOMPARE(run.err.trimmed().count('\n'), 0); // one sentence
    QVERIFY2(run.err.contains(mentions), qPrintable(run.err));
}

void TestCommandLine::benchmarkOptionsParse()
{
    auto options = cli::parseBenchmarkOptions({"--clean", "c"});
    QCOMPARE(options.cleanDir, std::filesystem::path("c"));
    QCOMPARE(noiseSpecName(options.noise), std::string("rician"));
    QCOMPARE(options.repeats, 1);
    QVERIFY(!options.trainOnTest);
    QVERIFY(options.unseenDirs.empty());

    options = cli::parseBenchmarkOptions({"--clean", "c", "--noise", "Chi:8+correlated:1.2+jpeg:75", "--repeats", "3",
                                          "--train-on-test", "--unseen", "first", "--unseen", "second/slices"});
    QCOMPARE(noiseSpecName(options.noise), std::string("chi:8+correlated:1.2+jpeg:75"));
    QCOMPARE(options.noise.coils, 8);
    QCOMPARE(options.noise.correlationPixels, 1.2);
    QCOMPARE(options.noise.jpegQuality, 75);
    QCOMPARE(options.repeats, 3);
    QVERIFY(options.trainOnTest);
    // Repeatable, in the order given.
    QCOMPARE(options.unseenDirs,
             (std::vector<std::filesystem::path>{std::filesystem::path("first"), std::filesystem::path("second/slices")}));

    // The last --noise wins, as for every other single-valued option.
    options = cli::parseBenchmarkOptions({"--clean", "c", "--noise", "gaussian", "--noise", "chi:4"});
    QCOMPARE(noiseSpecName(options.noise), std::string("chi:4"));

    options = cli::parseBenchmarkOptions({"--clean", "c", "--noise", "Chi:8+Sense:2+ZeroFill:2+jpeg:75"});
    QCOMPARE(noiseSpecName(options.noise), std::string("chi:8+zerofill:2+sense:2+jpeg:75"));
    QCOMPARE(options.noise.zeroFillFactor, 2);
    QCOMPARE(options.noise.senseAcceleration, 2);

    QVERIFY_THROWS_EXCEPTION(cli::UsageError, cli::parseBenchmarkOptions({"--clean", "c", "--noise", "magic"}));
}

QTEST_GUILESS_MAIN(TestCommandLine)
#include "tst_commandline.moc"
