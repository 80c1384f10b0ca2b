// The table of enhance settings (engine/enhance/EnhanceSettings.h) and what
// is derived from it: text round trips, ranges refused in one sentence naming
// the setting, the CLI's flags and help, and the --json report's settings.
// Every case runs over the whole table, so an entry added later is covered
// without editing this file (a form-read entry needs a sample in sampleText()).

#include "base/EngineError.h"
#include "enhance/EnhanceSettings.h"
#include "nn/TileSize.h"
#include "EnhanceSettingOptions.h"

#include <CLI/CLI.hpp>

#include <QtTest>

#include <set>
#include <string>
#include <vector>

using namespace mri;

Q_DECLARE_METATYPE(std::string)

namespace {

// A valid value other than the default, as text.
std::string sampleText(const EnhanceSettingDescription &setting)
{
    const auto standard = formatSettingValue(setting, defaultSettingValue(setting));
    switch (setting.type) {
    case SettingType::Integer:
        return std::to_string(static_cast<long long>(setting.maximum));
    case SettingType::Real:
        return formatSettingValue(setting, setting.maximum);
    case SettingType::Boolean:
        return standard == "true" ? "false" : "true";
    case SettingType::Choice:
        break;
    }
    if (setting.key == "contrast")
        return "gamma:0.8";
    for (const auto &choice : setting.choices) {
        if (choice != standard)
            return choice;
    }
    return {};
}

// Texts the setting must refuse.
std::vector<std::string> badTexts(const EnhanceSettingDescription &setting)
{
    switch (setting.type) {
    case SettingType::Integer:
        return {std::to_string(static_cast<long long>(setting.maximum) + 1), "many", "2.5", ""};
    case SettingType::Real:
        return {formatSettingValue(setting, setting.maximum * 2 + 1), "nan", "x"};
    case SettingType::Boolean:
        return {"maybe", ""};
    case SettingType::Choice:
        return {"no-such-choice", ""};
    }
    return {};
}

} // namespace

class TestEnhanceSettings final : public QObject
{
    Q_OBJECT

private slots:
    void everySettingIsFullyDescribed();
    void defaultRoundTripsThroughText_data();
    void defaultRoundTripsThroughText();
    void outOfRangeIsRefusedNamingTheSetting_data();
    void outOfRangeIsRefusedNamingTheSetting();
    void flagSetsTheField_data();
    void flagSetsTheField();
    void helpShowsEveryFlagWithItsRange();
    void reportHasEverySetting();
    void tileRangeAndDefaultAreTheEnginesOwn();
};

void TestEnhanceSettings::everySettingIsFullyDescribed()
{
    std::set<std::string> keys;
    std::set<std::string> flags;
    for (const auto &setting : enhanceSettings()) {
        QVERIFY2(keys.insert(setting.key).second, setting.key.c_str());
        QVERIFY2(setting.flag.empty() || flags.insert(setting.flag).second, setting.flag.c_str());
        QVERIFY2(!setting.label.empty() && !setting.help.empty(), setting.key.c_str());
        QVERIFY2(setting.get && setting.set, setting.key.c_str());
        QVERIFY2(setting.type != SettingType::Choice || !setting.choices.empty() || setting.readForm, setting.key.c_str());
        QVERIFY2(findEnhanceSetting(setting.key) == &setting, setting.key.c_str());
    }
    QVERIFY(findEnhanceSetting("colour") == nullptr);
    QVERIFY_THROWS_EXCEPTION(EngineError, enhanceSetting("colour"));
    validateEnhanceOptions(EnhanceOptions{});
}

void TestEnhanceSettings::defaultRoundTripsThroughText_data()
{
    QTest::addColumn<std::string>("key");
    for (const auto &setting : enhanceSettings())
        QTest::newRow(setting.key.c_str()) << setting.key;
}

// parse(format(default)) == default, and setting it leaves EnhanceOptions{} as it was.
void TestEnhanceSettings::defaultRoundTripsThroughText()
{
    QFETCH(std::string, key);
    const auto &setting = enhanceSetting(key);
    const auto standard = defaultSettingValue(setting);
    const auto text = formatSettingValue(setting, standard);
    QVERIFY2(parseSettingValue(setting, text) == standard, text.c_str());
    EnhanceOptions options;
    applyEnhanceSetting(options, key, text);
    QVERIFY(setting.get(options) == standard);
    // A sample value round-trips too.
    const auto sample = sampleText(setting);
    QVERIFY2(!sample.empty(), "no sample value: add one to sampleText()");
    const auto value = parseSettingValue(setting, sample);
    QVERIFY2(!(value == standard), sample.c_str());
    QCOMPARE(formatSettingValue(setting, value), sample);
    setting.set(options, value);
    QVERIFY(setting.get(options) == value);
}

void TestEnhanceSettings::outOfRangeIsRefusedNamingTheSetting_data()
{
    QTest::addColumn<std::string>("key");
    QTest::addColumn<std::string>("text");
    for (const auto &setting : enhanceSettings()) {
        for (const auto &text : badTexts(setting))
            QTest::newRow((setting.key + " '" + text + "'").c_str()) << setting.key << text;
        // The "not set" value is written by its name only.
        if (!setting.unsetName.empty() && std::holds_alternative<long long>(setting.unsetValue))
            QTest::newRow((setting.key + " unset as a number").c_str())
                << setting.key << std::to_string(std::get<long long>(setting.unsetValue));
    }
}

void TestEnhanceSettings::outOfRangeIsRefusedNamingTheSetting()
{
    QFETCH(std::string, key);
    QFETCH(std::string, text);
    const auto &setting = enhanceSetting(key);
    // One sentence naming the setting: its key ("The setting 'tile' must be ...") or,
    // for a form of its own, its own words ("The contrast step 'x' ...").
    const auto refusal = [&](const std::function<void()> &attempt) -> std::string {
        try {
            attempt();
        } catch (const EngineError &error) {
            return error.what();
        }
        return {};
    };
    const auto message = refusal([&] { parseSettingValue(setting, text); });
    QVERIFY2(!message.empty(), text.c_str());
    QVERIFY2(message.find(setting.key) != std::string::npos, message.c_str());
    QVERIFY2(message.back() == '.' && message.find('\n') == std::string::npos, message.c_str());
    // The CLI refuses it too, naming the flag.
    EnhanceOptions options;
    CLI::App app;
    cli::addEnhanceSettingOptions(app, options);
    if (!setting.flag.empty() && setting.type != SettingType::Boolean) {
        const std::vector<std::string> arguments{"--" + setting.flag + "=" + text};
        std::vector<std::string> reversed(arguments.rbegin(), arguments.rend());
        try {
            app.parse(reversed);
            QFAIL("the CLI took it");
        } catch (const CLI::ParseError &error) {
            QVERIFY2(std::string(error.what()).find("--" + setting.flag) != std::string::npos, error.what());
        }
    }
}

void TestEnhanceSettings::flagSetsTheField_data()
{
    QTest::addColumn<std::string>("key");
    for (const auto &setting : enhanceSettings()) {
        if (!setting.flag.empty())
            QTest::newRow(setting.key.c_str()) << setting.key;
    }
}

// --flag VALUE (a Boolean: the switch) sets the field through the table; nothing else changes.
void TestEnhanceSettings::flagSetsTheField()
{
    QFETCH(std::string, key);
    const auto &setting = enhanceSetting(key);
    const auto sample = sampleText(setting);
    EnhanceOptions options;
    CLI::App app;
    cli::addEnhanceSettingOptions(app, options);
    std::vector<std::string> arguments{"--" + setting.flag};
    if (setting.type != SettingType::Boolean)
        arguments.push_back(sample);
    std::vector<std::string> reversed(arguments.rbegin(), arguments.rend());
    app.parse(reversed);
    QVERIFY2(setting.get(options) == parseSettingValue(setting, sample), sample.c_str());
    for (const auto &other : enhanceSettings()) {
        if (&other != &setting)
            QVERIFY2(other.get(options) == defaultSettingValue(other), other.key.c_str());
    }
}

void TestEnhanceSettings::helpShowsEveryFlagWithItsRange()
{
    EnhanceOptions options;
    CLI::App app;
    cli::addEnhanceSettingOptions(app, options);
    const auto help = app.help();
    for (const auto &setting : enhanceSettings()) {
        if (setting.flag.empty())
            continue;
        QVERIFY2(help.find("--" + setting.flag) != std::string::npos, setting.flag.c_str());
        if (setting.type != SettingType::Boolean && !setting.readForm)
            QVERIFY2(help.find(describeSettingRange(setting)) != std::string::npos, setting.key.c_str());
    }
}

void TestEnhanceSettings::reportHasEverySetting()
{
    const auto json = cli::enhanceSettingsJson(EnhanceOptions{});
    QCOMPARE(json.size(), enhanceSettings().size());
    for (const auto &setting : enhanceSettings()) {
        QVERIFY2(json.contains(setting.key), setting.key.c_str());
        if (!setting.unsetName.empty())
            QCOMPARE(json[setting.key].get<std::string>(), setting.unsetName);
    }
    // The keys and values the report had before the table.
    QCOMPARE(json["tile"].get<std::string>(), std::string("auto"));
    QCOMPARE(json["plane"].get<std::string>(), std::string("model"));
    QCOMPARE(json["coils"].get<std::string>(), std::string("model"));
    QCOMPARE(json["scale"].get<std::string>(), std::string("model"));
    QCOMPARE(json["noise_map"].get<bool>(), true);
    QCOMPARE(json["mirror_average"].get<bool>(), true);
    QCOMPARE(json["fail_on"].get<std::string>(), std::string("never"));
    QCOMPARE(json["contrast"].get<std::string>(), std::string("none"));
    EnhanceOptions set;
    set.tileSize = 512;
    set.noiseCoils = 4;
    set.plane = SlicePlane::Coronal;
    set.failOn = Verdict::Check;
    const auto changed = cli::enhanceSettingsJson(set);
    QCOMPARE(changed["tile"].get<int>(), 512);
    QCOMPARE(changed["coils"].get<int>(), 4);
    QCOMPARE(changed["plane"].get<std::string>(), std::string("coronal"));
    QCOMPARE(changed["fail_on"].get<std::string>(), std::string("check"));
}

// One place for the tile's range and automatic size: nn/TileSize.h.
void TestEnhanceSettings::tileRangeAndDefaultAreTheEnginesOwn()
{
    const auto &tile = enhanceSetting("tile");
    QCOMPARE(static_cast<int>(tile.minimum), nn::kMinimumTileSize);
    QCOMPARE(static_cast<int>(tile.maximum), nn::kMaximumTileSize);
    QCOMPARE(EnhanceOptions{}.tileSize, 0);
    QCOMPARE(formatSettingValue(tile, defaultSettingValue(tile)), std::string("auto"));
}

QTEST_GUILESS_MAIN(TestEnhanceSettings)
#include "tst_enhancesettings.moc"
