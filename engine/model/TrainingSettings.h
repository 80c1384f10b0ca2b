#pragma once

// The table of training settings: every setting of TrainingOptions is described
// here once (key, flag, type, range, help, resume rule), and everything else is
// derived from that description: `--set key=value` and the dedicated flags of
// `mri-enhance train`, its --help text, validation, the model file's settings,
// the GUI's training form and the resume policy. Defaults are the member
// initialisers of TrainingOptions. To add a setting: a member in
// TrainingOptions, one entry in trainingSettings() (TrainingSettings.cpp), and
// the engine code that uses it.

#include "base/Translatable.h"
#include "model/TrainingOptions.h"

#include <functional>
#include <optional>
#include <string>
#include <variant>
#include <vector>

// Labels and help are marked with MRI_TRANSLATE_NOOP, context "mri::TrainingSettings".

namespace mri {

enum class SettingType { Integer, Real, Boolean, Choice };

// What a resumed run does with a setting.
enum class ResumeRule {
    Checkpoint,     // keeps the checkpoint's value: the run continues as it was trained
    Request,        // takes the request's value (length of the run, monitoring, machine)
    RequestWhenSet, // takes the request's value unless it is the default (seed 0: random)
};

// Integer settings as long long, Real as double, Boolean as bool, Choice as the choice's name.
using SettingValue = std::variant<long long, double, bool, std::string>;

struct SettingDescription
{
    std::string key;                  // model files and --set key=value
    std::string flag;                 // dedicated flag of `train` without "--"; empty: only --set
    std::string label;                // GUI label (translated by the GUI)
    std::string help;                 // one line (translated by the GUI)
    SettingType type = SettingType::Integer;
    double minimum = 0.0;             // Integer and Real: inclusive range
    double maximum = 0.0;
    std::vector<std::string> choices; // Choice: accepted names
    ResumeRule resume = ResumeRule::Checkpoint;
    bool networkShape = false;        // part of the network's shape: must match the weights
    bool basic = false;               // shown in the GUI's main form (others: "Advanced")
    // The value of model files written before the setting existed, when it is
    // not its default (they lack its key).
    std::optional<SettingValue> valueBeforeIntroduced;
    std::function<SettingValue(const TrainingOptions &)> get;
    std::function<void(TrainingOptions &, const SettingValue &)> set;
};

// A setting and its value, already parsed and checked (benchmark variants, --set).
struct SettingOverride
{
    std::string key;
    SettingValue value;
};

// Every training setting, in the order of forms and help texts.
const std::vector<SettingDescription> &trainingSettings();
// nullptr when there is no such key.
const SettingDescription *findTrainingSetting(const std::string &key);
const SettingDescription &trainingSetting(const std::string &key); // throws EngineError when unknown

SettingValue defaultSettingValue(const SettingDescription &setting);
// Text that parseSettingValue() reads back to the same value: "0.0004", "true", "n2v".
std::string formatSettingValue(const SettingDescription &setting, const SettingValue &value);
// "from 1 to 6", "n2v, identity or synthetic", "true or false".
std::string describeSettingRange(const SettingDescription &setting);
// Reads a value from text (booleans also 1/0, on/off, yes/no) and checks its
// range. Throws EngineError with one sentence naming the setting and the range.
SettingValue parseSettingValue(const SettingDescription &setting, const std::string &text);
// Throws EngineError with one sentence when `value` has the wrong type or is out of range.
void checkSettingValue(const SettingDescription &setting, const SettingValue &value);

// "key=value" or key and value: parsed, checked and applied. Throws EngineError.
SettingOverride parseSettingOverride(const std::string &keyEqualsValue);
void applySettingOverride(TrainingOptions &options, const SettingOverride &override);
void applyTrainingSetting(TrainingOptions &options, const std::string &keyEqualsValue);
// "key=value, key=value" for reports.
std::string describeOverrides(const std::vector<SettingOverride> &overrides);

// Throws EngineError naming the first setting out of range.
void validateTrainingOptions(const TrainingOptions &options);
// The same for the settings of the network's shape.
void validateNetworkConfig(const NetworkConfig &network);

// The settings a resumed run uses: each setting from the checkpoint or the
// request, as its ResumeRule says. Run-only fields (model file, resume) come
// from the request.
TrainingOptions resolveResumedOptions(const TrainingOptions &requested, const TrainingOptions &checkpoint);

} // namespace mri
