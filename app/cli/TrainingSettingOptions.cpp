#include "TrainingSettingOptions.h"

#include "base/EngineError.h"
#include "OptionHelpers.h"
#include "UsageError.h"

#include <CLI/CLI.hpp>

#include <algorithm>

namespace mri::cli {

namespace {

std::string rangeAndDefault(const SettingDescription &setting)
{
    return settingRangeAndDefault(setting, defaultSettingValue(setting));
}

} // namespace

TrainingSettingOptions::TrainingSettingOptions(CLI::App &command,
                                               const std::function<bool(const SettingDescription &)> &withFlag)
{
    for (const auto &setting : trainingSettings()) {
        if (setting.flag.empty() || (withFlag && !withFlag(setting)))
            continue;
        const auto *described = &setting;
        auto *option = command.add_option("--" + setting.flag, m_flagTexts[setting.key],
                                          setting.help + " (" + rangeAndDefault(setting) + ")");
        option->type_name(settingTypeName(setting));
        option->check(checkedBy([described](const std::string &text) { parseSettingValue(*described, text); }));
        m_flags.emplace_back(described, option);
    }
    addSettingOverrideOption(command, m_overrides,
                             "A training setting by its key (listed below), e.g. --set blur_pool=false; repeatable");
    command.footer(settingsHelp(withFlag));
}

void TrainingSettingOptions::applyTo(TrainingOptions &options) const
{
    const auto overrides = parseSettingOverrides(m_overrides);
    for (const auto &override : overrides)
        applySettingOverride(options, override);
    for (const auto &[setting, option] : m_flags) {
        if (option->count() == 0)
            continue;
        const auto key = setting->key;
        if (std::any_of(overrides.begin(), overrides.end(), [&](const SettingOverride &o) { return o.key == key; }))
            throw UsageError("The setting '" + key + "' is given both by --" + setting->flag
                             + " and by --set; give it once.");
        setting->set(options, parseSettingValue(*setting, m_flagTexts.at(key)));
    }
}

std::string TrainingSettingOptions::settingsHelp(const std::function<bool(const SettingDescription &)> &withFlag)
{
    std::size_t width = 0;
    for (const auto &setting : trainingSettings())
        width = std::max(width, setting.key.size());
    std::string text = "Training settings for --set KEY=VALUE (also in model files). --set is applied first, then the\n"
                       "dedicated flags; naming one setting both ways is an error. Booleans also take 1/0, on/off, yes/no.\n";
    for (const auto &setting : trainingSettings()) {
        const std::string indent(width + 4, ' ');
        text += "  " + setting.key + std::string(width + 2 - setting.key.size(), ' ') + rangeAndDefault(setting);
        if (!setting.flag.empty() && (!withFlag || withFlag(setting)))
            text += " (--" + setting.flag + ")";
        text += "\n" + indent + setting.help + "\n";
    }
    return text;
}

CLI::Option *addSettingOverrideOption(CLI::App &command, std::vector<std::string> &texts, const std::string &help)
{
    auto *option = command.add_option("--set", texts, help);
    option->type_name("KEY=VALUE");
    option->allow_extra_args(false); // one key=value per --set
    option->check(checkedBy([](const std::string &text) { parseSettingOverride(text); }));
    return option;
}

std::vector<SettingOverride> parseSettingOverrides(const std::vector<std::string> &texts)
{
    std::vector<SettingOverride> overrides;
    for (const auto &text : texts) {
        try {
            overrides.push_back(parseSettingOverride(text));
        } catch (const EngineError &error) {
            throw UsageError(error.what());
        }
    }
    return overrides;
}

} // namespace mri::cli
