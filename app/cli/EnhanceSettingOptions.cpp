#include "EnhanceSettingOptions.h"

#include "OptionHelpers.h"

#include <CLI/CLI.hpp>

namespace mri::cli {

namespace {

// A Boolean's flag switches it away from its default: "Mirror average off (default on): ...".
void addSwitch(CLI::App &command, const EnhanceSettingDescription &setting, EnhanceOptions &target)
{
    const bool on = !std::get<bool>(defaultSettingValue(setting));
    command.add_flag_callback(
        "--" + setting.flag, [&setting, &target, on] { setting.set(target, SettingValue(on)); },
        setting.label + (on ? " on (default off): " : " off (default on): ") + setting.help);
}

} // namespace

void addEnhanceSettingOptions(CLI::App &command, EnhanceOptions &target)
{
    for (const auto &setting : enhanceSettings()) {
        if (setting.flag.empty())
            continue;
        if (setting.type == SettingType::Boolean) {
            addSwitch(command, setting, target);
            continue;
        }
        addParsedOption<SettingValue>(
            command, "--" + setting.flag,
            setting.help + " (" + settingRangeAndDefault(setting, defaultSettingValue(setting)) + ")",
            [&setting](const std::string &text) { return parseSettingValue(setting, text); },
            [&setting, &target](const SettingValue &value) { setting.set(target, value); })
            ->type_name(settingTypeName(setting));
    }
}

ReportJson enhanceSettingsJson(const EnhanceOptions &options)
{
    auto json = ReportJson::object();
    for (const auto &setting : enhanceSettings()) {
        const auto value = setting.get(options);
        if (isUnsetValue(setting, value))
            json[setting.key] = setting.unsetName;
        else
            std::visit([&](const auto &v) { json[setting.key] = v; }, value);
    }
    return json;
}

} // namespace mri::cli
