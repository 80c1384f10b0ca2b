#pragma once

// What the tables of settings share (training: TrainingSettings.h; enhance:
// enhance/EnhanceSettings.h): the description of one setting's value (key,
// flag, label, help, type, range) and the texts of its values, parsed,
// checked and formatted the same way in every table. A table's entries add
// their own fields and get/set into their options struct; the helpers
// settingField() and settingChoice() make those from a member.

#include <functional>
#include <initializer_list>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

namespace mri {

enum class SettingType { Integer, Real, Boolean, Choice };

// Integer settings as long long, Real as double, Boolean as bool, Choice as the choice's name.
using SettingValue = std::variant<long long, double, bool, std::string>;

// A setting's value as a table describes it, whatever options it belongs to.
struct SettingSpec
{
    std::string key;                  // model files, --set key=value, JSON reports
    std::string flag;                 // dedicated command-line flag without "--"; empty: none
    std::string label;                // GUI label (translated by the GUI)
    std::string help;                 // one line (translated by the GUI)
    SettingType type = SettingType::Integer;
    double minimum = 0.0;             // Integer and Real: inclusive range
    double maximum = 0.0;
    std::vector<std::string> choices; // Choice: accepted names
    // Choice with more forms than names (a contrast step: "clahe:2,8"): reads
    // a text into its canonical form, or throws EngineError with one sentence
    // naming the setting; `choices` is then empty and `forms` says what is accepted.
    std::function<std::string(const std::string &)> readForm;
    std::string forms;
    // Non-empty: the value `unsetValue` (outside the range) means "not set,
    // decided elsewhere" and is written as this name: "auto", "model".
    std::string unsetName;
    SettingValue unsetValue;
};

// Text that parseSettingValue() reads back to the same value: "0.0004", "true", "n2v".
std::string formatSettingValue(const SettingSpec &setting, const SettingValue &value);
// "from 1 to 6", "n2v, identity or synthetic", "true or false".
std::string describeSettingRange(const SettingSpec &setting);
// Reads a value from text (booleans also 1/0, on/off, yes/no) and checks its
// range. Throws EngineError with one sentence naming the setting and the range.
SettingValue parseSettingValue(const SettingSpec &setting, const std::string &text);
// Throws EngineError with one sentence when `value` has the wrong type or is out of range.
void checkSettingValue(const SettingSpec &setting, const SettingValue &value);
// Whether `value` is the setting's "not set" value (unsetName).
bool isUnsetValue(const SettingSpec &setting, const SettingValue &value);

// Throws EngineError: "There is no <kind> setting '<key>'."
[[noreturn]] void throwUnknownSetting(const std::string &kind, const std::string &key);

// The entry of `table` named `key`; nullptr when there is none.
template <typename Description>
const Description *findSetting(const std::vector<Description> &table, const std::string &key)
{
    for (const auto &setting : table) {
        if (setting.key == key)
            return &setting;
    }
    return nullptr;
}

// The entry of `table` named `key`; throws EngineError naming the `kind` of table when there is none.
template <typename Description>
const Description &settingOf(const std::vector<Description> &table, const std::string &key, const std::string &kind)
{
    if (const auto *setting = findSetting(table, key))
        return *setting;
    throwUnknownSetting(kind, key);
}

// A setting stored in a plain member of `Description::Options`, reached by
// `access` (a lambda returning a reference for const and non-const options):
// its type follows the member's (bool: Boolean, floating point: Real, else Integer).
template <typename Description, typename Access>
Description settingField(Access access)
{
    using Options = typename Description::Options;
    using Field = std::decay_t<decltype(access(std::declval<Options &>()))>;
    constexpr bool kFlag = std::is_same_v<Field, bool>;
    constexpr bool kReal = std::is_floating_point_v<Field>;
    Description setting;
    setting.type = kFlag ? SettingType::Boolean : kReal ? SettingType::Real : SettingType::Integer;
    setting.get = [access](const Options &options) {
        if constexpr (kFlag || kReal)
            return SettingValue(access(options));
        else
            return SettingValue(static_cast<long long>(access(options)));
    };
    setting.set = [access](Options &options, const SettingValue &value) {
        if constexpr (kFlag)
            access(options) = std::get<bool>(value);
        else if constexpr (kReal)
            access(options) = std::get<double>(value);
        else
            access(options) = static_cast<Field>(std::get<long long>(value));
    };
    return setting;
}

// A setting stored as an enumeration and written as its name.
template <typename Description, typename Enum, typename Access>
Description settingChoice(Access access, std::initializer_list<Enum> values, std::string (*nameOf)(Enum),
                          std::optional<Enum> (*parse)(const std::string &))
{
    using Options = typename Description::Options;
    Description setting;
    setting.type = SettingType::Choice;
    for (const auto value : values)
        setting.choices.push_back(nameOf(value));
    setting.get = [access, nameOf](const Options &options) { return SettingValue(nameOf(access(options))); };
    setting.set = [access, parse](Options &options, const SettingValue &value) {
        access(options) = *parse(std::get<std::string>(value));
    };
    return setting;
}

template <typename Description>
Description rangedSetting(Description setting, double minimum, double maximum)
{
    setting.minimum = minimum;
    setting.maximum = maximum;
    return setting;
}

} // namespace mri
