#pragma once

#include "model/TrainingSettings.h"

#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace CLI {
class App;
class Option;
} // namespace CLI

namespace mri::cli {

// The engine's table of training settings as options of one CLI11 command: a
// dedicated --flag for every setting that has one and a repeatable
// `--set key=value` for any setting. Help texts, type names, ranges, defaults
// and validation all come from the table (engine/model/TrainingSettings.h), so a new
// table entry shows up here without an edit.
//
// Precedence: defaults, then every --set in the order given (a later one for
// the same key wins), then the dedicated flags. Naming one setting both by its
// flag and by --set is a usage error.
class TrainingSettingOptions final
{
public:
    // `withFlag`, when given, picks the settings that get their dedicated
    // flag here (others only --set), e.g. those of the network's shape.
    explicit TrainingSettingOptions(CLI::App &command,
                                    const std::function<bool(const SettingDescription &)> &withFlag = {});
    TrainingSettingOptions(const TrainingSettingOptions &) = delete;
    TrainingSettingOptions &operator=(const TrainingSettingOptions &) = delete;

    // After parsing. Throws UsageError when a setting is given both ways.
    void applyTo(TrainingOptions &options) const;

    // Every table key with its range, default, flag (those `withFlag` picks) and help: the footer of the command's help.
    static std::string settingsHelp(const std::function<bool(const SettingDescription &)> &withFlag = {});

private:
    std::vector<std::pair<const SettingDescription *, CLI::Option *>> m_flags;
    std::map<std::string, std::string> m_flagTexts; // key -> text of its flag (map: stable references for CLI11)
    std::vector<std::string> m_overrides;           // texts of --set, in order
};

// A repeatable `--set key=value` option, each value checked with the engine's parseSettingOverride.
CLI::Option *addSettingOverrideOption(CLI::App &command, std::vector<std::string> &texts, const std::string &help);

// Typed overrides from --set texts (checked while parsing). Throws UsageError.
std::vector<SettingOverride> parseSettingOverrides(const std::vector<std::string> &texts);

} // namespace mri::cli
