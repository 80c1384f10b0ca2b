#pragma once

#include "model/SettingTable.h"
#include "UsageError.h"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

namespace mri {
struct NoiseSpec;
} // namespace mri

namespace mri::cli {

// Typed options of CLI11 commands, each refusing a bad value with one sentence
// of this program (not CLI11's), and the small text helpers they need.

// Seeds of the demo data, the comparison and the benchmark (2^62: exact in a double and a long long).
constexpr std::uint64_t kLargestSeed = std::uint64_t(1) << 62;

// "a, b,c" -> {"a", "b", "c"}: items between commas, trimmed, empty ones dropped.
std::vector<std::string> splitList(const std::string &text);

std::string joined(const std::vector<std::string> &items, const std::string &separator);

// A CLI11 check that runs `parse` on each value; the sentence of whatever it
// throws (EngineError, UsageError) becomes the usage error.
CLI::Validator checkedBy(std::function<void(const std::string &)> parse);

// The type name of a table setting's option: INT, NUMBER, BOOL, NAME, TEXT.
std::string settingTypeName(const SettingSpec &setting);
// "a number from 1e-08 to 1; default 0.0004": what the help says about a table setting's value.
std::string settingRangeAndDefault(const SettingSpec &setting, const SettingValue &defaultValue);

// A text option (a path, a list of names), shown in the help as `--name TYPE`.
CLI::Option *addText(CLI::App &command, const std::string &name, std::string &target, const std::string &typeName,
                     const std::string &help);

// A noise specification such as chi:8+correlated:1.2, read by the engine's parseNoiseSpec.
CLI::Option *addNoiseSpec(CLI::App &command, NoiseSpec &target);

template <typename T>
std::string numberText(T value)
{
    if constexpr (std::is_integral_v<T>) {
        return std::to_string(value);
    } else {
        char text[32];
        std::snprintf(text, sizeof text, "%g", value);
        return text;
    }
}

// Decimal text only (no hex, octal or trailing characters); nullopt otherwise.
template <typename T>
std::optional<T> readNumber(const std::string &text)
{
    if (text.empty() || std::isspace(static_cast<unsigned char>(text.front())))
        return std::nullopt;
    char *end = nullptr;
    if constexpr (std::is_integral_v<T>) {
        if (!std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isdigit(c); }))
            return std::nullopt;
        const auto value = std::strtoull(text.c_str(), &end, 10);
        if (value > static_cast<unsigned long long>(std::numeric_limits<T>::max()))
            return std::nullopt;
        return static_cast<T>(value);
    } else {
        const T value = static_cast<T>(std::strtod(text.c_str(), &end));
        if (end != text.c_str() + text.size())
            return std::nullopt;
        return value;
    }
}

// An option whose text `parse` turns into a value (throwing one sentence when
// it cannot); `apply` receives the value of the last occurrence.
template <typename T>
CLI::Option *addParsedOption(CLI::App &command, const std::string &name, const std::string &help,
                             std::function<T(const std::string &)> parse, std::function<void(const T &)> apply)
{
    auto *option = command.add_option_function<std::string>(
        name, [parse, apply](const std::string &text) { apply(parse(text)); }, help);
    option->check(checkedBy([parse](const std::string &text) { parse(text); }));
    return option;
}

// A number in [low, high]; the help shows the range and the default (the
// target's value before parsing, unless `defaultText` says otherwise).
template <typename T>
CLI::Option *addNumber(CLI::App &command, const std::string &name, T &target, T low, T high, const std::string &help,
                       const std::string &defaultText = {})
{
    const std::string range = std::string(std::is_integral_v<T> ? "a whole number" : "a number") + " from "
        + numberText(low) + " to " + numberText(high);
    const auto parse = [range, low, high](const std::string &text) {
        const auto value = readNumber<T>(text);
        if (!value || !(*value >= low && *value <= high)) // NaN fails too
            throw UsageError("'" + text + "' is not " + range + ".");
        return *value;
    };
    auto *option = addParsedOption<T>(command, name,
                                      help + " (" + range + "; default "
                                          + (defaultText.empty() ? numberText(target) : defaultText) + ")",
                                      parse, [&target](const T &value) { target = value; });
    return option->type_name(std::is_integral_v<T> ? "INT" : "NUMBER");
}

// One of the names of `values`, read by the engine's own parse function.
template <typename T>
CLI::Option *addChoice(CLI::App &command, const std::string &name, T &target, const std::vector<T> &values,
                       std::string (*nameOf)(T), std::optional<T> (*parseName)(const std::string &),
                       const std::string &help)
{
    std::vector<std::string> names;
    for (const auto value : values)
        names.push_back(nameOf(value));
    const auto choices = joined(names, "|");
    const auto parse = [choices, parseName](const std::string &text) {
        const auto value = parseName(text);
        if (!value)
            throw UsageError("'" + text + "' is not one of " + choices + ".");
        return *value;
    };
    auto *option = addParsedOption<T>(command, name, help + " (default " + nameOf(target) + ")", parse,
                                      [&target](const T &value) { target = value; });
    return option->type_name(choices);
}

} // namespace mri::cli
