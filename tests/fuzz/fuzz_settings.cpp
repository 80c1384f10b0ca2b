// Fuzz target: the --set parser (mri::parseSettingOverride) and
// applySettingOverride, one key=value per line. An override that parses applies,
// leaves options that validate, and reads back from its formatted text; a typed
// value of any alternative is applied or refused with an EngineError.

#include "FuzzSupport.h"

#include "base/EngineError.h"
#include "model/TrainingSettings.h"

#include <cstdlib>
#include <string>
#include <string_view>

namespace {

void checkValid(const mri::TrainingOptions &options)
{
    try {
        mri::validateTrainingOptions(options);
    } catch (const mri::EngineError &) {
        FUZZ_CHECK(!"an applied override left options that do not validate");
    }
}

void fuzzLine(const std::string &line, mri::TrainingOptions &options)
{
    try {
        const mri::SettingOverride parsed = mri::parseSettingOverride(line);
        const auto &setting = mri::trainingSetting(parsed.key);
        mri::applySettingOverride(options, parsed);
        checkValid(options);
        FUZZ_CHECK(setting.get(options) == parsed.value);
        const std::string text = mri::formatSettingValue(setting, parsed.value);
        FUZZ_CHECK(mri::parseSettingOverride(parsed.key + "=" + text).value == parsed.value);
        FUZZ_CHECK(!mri::describeOverrides({parsed}).empty());
    } catch (const mri::EngineError &) {
    }

    // The same value as each type a caller could hand over (benchmark variants).
    const auto equals = line.find('=');
    if (equals == std::string::npos)
        return;
    const std::string key = line.substr(0, equals);
    const std::string value = line.substr(equals + 1);
    const mri::SettingValue candidates[] = {std::strtoll(value.c_str(), nullptr, 10), std::strtod(value.c_str(), nullptr),
                                            !value.empty() && value[0] == 't', value};
    for (const auto &candidate : candidates) {
        try {
            mri::applySettingOverride(options, {key, candidate});
            checkValid(options);
        } catch (const mri::EngineError &) {
        }
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    std::string_view text(reinterpret_cast<const char *>(data), size);
    mri::TrainingOptions options;
    while (!text.empty()) {
        const auto end = text.find('\n');
        fuzzLine(std::string(text.substr(0, end)), options);
        if (end == std::string_view::npos)
            break;
        text.remove_prefix(end + 1);
    }
    return 0;
}
