#include "model/SettingTable.h"

#include "base/EngineError.h"
#include "base/Text.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>

namespace mri {

namespace {

// The shortest decimal text that reads back as the same double.
std::string shortestText(double value)
{
    char text[40];
    for (int precision = 1; precision <= 17; ++precision) {
        std::snprintf(text, sizeof text, "%.*g", precision, value);
        if (std::strtod(text, nullptr) == value)
            break;
    }
    return text;
}

EngineError badValue(const SettingSpec &setting, const std::string &text)
{
    return EngineError("The setting '" + setting.key + "' must be " + describeSettingRange(setting) + ", not '" + text
                       + "'.");
}

// "a, b or c".
std::string listText(const std::vector<std::string> &names)
{
    std::string text;
    for (std::size_t i = 0; i < names.size(); ++i) {
        if (i > 0)
            text += i + 1 == names.size() ? " or " : ", ";
        text += names[i];
    }
    return text;
}

std::string valueText(const SettingValue &value)
{
    return std::visit([](const auto &v) {
        if constexpr (std::is_same_v<std::decay_t<decltype(v)>, std::string>)
            return v;
        else if constexpr (std::is_same_v<std::decay_t<decltype(v)>, bool>)
            return std::string(v ? "true" : "false");
        else if constexpr (std::is_same_v<std::decay_t<decltype(v)>, long long>)
            return std::to_string(v);
        else
            return shortestText(v);
    }, value);
}

bool fitsRange(const SettingSpec &setting, const SettingValue &value)
{
    switch (setting.type) {
    case SettingType::Integer:
        // Compared as whole numbers: near 2^62 a double cannot tell n from n + 1.
        return std::holds_alternative<long long>(value)
            && std::get<long long>(value) >= static_cast<long long>(setting.minimum)
            && std::get<long long>(value) <= static_cast<long long>(setting.maximum);
    case SettingType::Real:
        // NaN fails both comparisons.
        return std::holds_alternative<double>(value) && std::get<double>(value) >= setting.minimum
            && std::get<double>(value) <= setting.maximum;
    case SettingType::Boolean:
        return std::holds_alternative<bool>(value);
    case SettingType::Choice:
        if (!std::holds_alternative<std::string>(value))
            return false;
        // A form reader throws its own sentence for a text it cannot read.
        if (setting.readForm)
            return setting.readForm(std::get<std::string>(value)) == std::get<std::string>(value);
        return std::find(setting.choices.begin(), setting.choices.end(), std::get<std::string>(value))
            != setting.choices.end();
    }
    return false;
}

} // namespace

void throwUnknownSetting(const std::string &kind, const std::string &key)
{
    throw EngineError("There is no " + kind + " setting '" + key + "'.");
}

bool isUnsetValue(const SettingSpec &setting, const SettingValue &value)
{
    return !setting.unsetName.empty() && value == setting.unsetValue;
}

std::string formatSettingValue(const SettingSpec &setting, const SettingValue &value)
{
    if (isUnsetValue(setting, value))
        return setting.unsetName;
    switch (setting.type) {
    case SettingType::Integer: return std::to_string(std::get<long long>(value));
    case SettingType::Real: return shortestText(std::get<double>(value));
    case SettingType::Boolean: return std::get<bool>(value) ? "true" : "false";
    case SettingType::Choice: return std::get<std::string>(value);
    }
    return {};
}

std::string describeSettingRange(const SettingSpec &setting)
{
    const std::string unset = setting.unsetName.empty() ? std::string() : " or " + setting.unsetName;
    switch (setting.type) {
    case SettingType::Integer:
        return "a whole number from " + std::to_string(static_cast<long long>(setting.minimum)) + " to "
            + std::to_string(static_cast<long long>(setting.maximum)) + unset;
    case SettingType::Real:
        return "a number from " + shortestText(setting.minimum) + " to " + shortestText(setting.maximum) + unset;
    case SettingType::Boolean:
        return "true or false";
    case SettingType::Choice: {
        if (setting.readForm)
            return setting.forms;
        auto names = setting.choices;
        if (!setting.unsetName.empty())
            names.push_back(setting.unsetName);
        return listText(names);
    }
    }
    return {};
}

void checkSettingValue(const SettingSpec &setting, const SettingValue &value)
{
    if (!isUnsetValue(setting, value) && !fitsRange(setting, value))
        throw badValue(setting, valueText(value));
}

SettingValue parseSettingValue(const SettingSpec &setting, const std::string &text)
{
    if (!setting.unsetName.empty() && lowerCase(text) == setting.unsetName)
        return setting.unsetValue;
    SettingValue value;
    switch (setting.type) {
    case SettingType::Integer: {
        const char *begin = text.c_str();
        char *end = nullptr;
        errno = 0;
        const long long number = std::strtoll(begin, &end, 10);
        if (text.empty() || end != begin + text.size() || errno == ERANGE || std::isspace(static_cast<unsigned char>(text[0])))
            throw badValue(setting, text);
        value = number;
        break;
    }
    case SettingType::Real: {
        const char *begin = text.c_str();
        char *end = nullptr;
        const double number = std::strtod(begin, &end);
        if (text.empty() || end != begin + text.size() || std::isspace(static_cast<unsigned char>(text[0])))
            throw badValue(setting, text);
        value = number;
        break;
    }
    case SettingType::Boolean: {
        const auto lower = lowerCase(text);
        if (lower == "1" || lower == "true" || lower == "on" || lower == "yes")
            value = true;
        else if (lower == "0" || lower == "false" || lower == "off" || lower == "no")
            value = false;
        else
            throw badValue(setting, text);
        break;
    }
    case SettingType::Choice:
        value = setting.readForm ? setting.readForm(text) : lowerCase(text);
        break;
    }
    // An unset value is written by its name only: as a number it is out of range.
    if (isUnsetValue(setting, value))
        throw badValue(setting, text);
    checkSettingValue(setting, value);
    return value;
}

} // namespace mri
