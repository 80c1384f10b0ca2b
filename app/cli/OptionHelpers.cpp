#include "OptionHelpers.h"

#include "quality/Noise.h"

#include <sstream>

namespace mri::cli {

std::vector<std::string> splitList(const std::string &text)
{
    std::vector<std::string> items;
    std::stringstream stream(text);
    for (std::string item; std::getline(stream, item, ',');) {
        const auto first = item.find_first_not_of(' ');
        const auto last = item.find_last_not_of(' ');
        if (first != std::string::npos)
            items.push_back(item.substr(first, last - first + 1));
    }
    return items;
}

std::string joined(const std::vector<std::string> &items, const std::string &separator)
{
    std::string text;
    for (const auto &item : items)
        text += (text.empty() ? "" : separator) + item;
    return text;
}

CLI::Validator checkedBy(std::function<void(const std::string &)> parse)
{
    return CLI::Validator(
        [parse](std::string &text) {
            try {
                parse(text);
            } catch (const std::exception &error) {
                return std::string(error.what());
            }
            return std::string();
        },
        std::string());
}

std::string settingTypeName(const SettingSpec &setting)
{
    switch (setting.type) {
    case SettingType::Integer: return "INT";
    case SettingType::Real: return "NUMBER";
    case SettingType::Boolean: return "BOOL";
    case SettingType::Choice: return setting.readForm ? "TEXT" : "NAME";
    }
    return {};
}

std::string settingRangeAndDefault(const SettingSpec &setting, const SettingValue &defaultValue)
{
    return describeSettingRange(setting) + "; default " + formatSettingValue(setting, defaultValue);
}

CLI::Option *addText(CLI::App &command, const std::string &name, std::string &target, const std::string &typeName,
                     const std::string &help)
{
    return command.add_option(name, target, help)->type_name(typeName);
}

CLI::Option *addNoiseSpec(CLI::App &command, NoiseSpec &target)
{
    return addParsedOption<NoiseSpec>(command, "--noise",
                                      "Noise: rician, gaussian or chi:N (N coils), optionally +correlated:K (kernel "
                                      "sigma in pixels) or +zerofill:F (k-space zero-fill by 2 to 4), +sense:R (SENSE "
                                      "g-factor map, acceleration 1 to 8) and +jpeg:Q (default "
                                          + noiseSpecName(target) + ")",
                                      parseNoiseSpec, [&target](const NoiseSpec &value) { target = value; })
        ->type_name("SPEC");
}

} // namespace mri::cli
