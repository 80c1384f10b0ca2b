#include "SettingSamples.h"

#include <cmath>

namespace mri::test {

SettingValue nonDefaultValue(const SettingDescription &setting)
{
    const SettingValue fallback = defaultSettingValue(setting);
    switch (setting.type) {
    case SettingType::Integer: {
        const long long value = std::get<long long>(fallback);
        return value + 1 <= static_cast<long long>(setting.maximum) ? value + 1 : value - 1;
    }
    case SettingType::Real: {
        const double value = std::get<double>(fallback);
        // Halfway to the far end of the range, rounded to a value that prints exactly.
        const double far = value - setting.minimum > setting.maximum - value ? setting.minimum : setting.maximum;
        return std::round((value + far) / 2.0 * 1e6) / 1e6 == value ? far : std::round((value + far) / 2.0 * 1e6) / 1e6;
    }
    case SettingType::Boolean:
        return !std::get<bool>(fallback);
    case SettingType::Choice:
        for (const auto &choice : setting.choices) {
            if (choice != std::get<std::string>(fallback))
                return choice;
        }
        break;
    }
    return fallback;
}

TrainingOptions nonDefaultOptions()
{
    TrainingOptions options;
    for (const auto &setting : trainingSettings())
        setting.set(options, nonDefaultValue(setting));
    return options;
}

} // namespace mri::test
