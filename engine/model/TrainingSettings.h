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
#include "model/SettingTable.h"
#include "model/TrainingOptions.h"

#include <functional>
#include <optional>
#include <string>
#include <variant>
#include <vector>

// Labels and help are marked with MRI_TRANSLATE_NOOP, context "mri::TrainingSettings".

namespace mri {

// What a resumed run does with a setting.
enum class ResumeRule {
    Checkpoint,     // keeps the checkpoint's value: the run continues as it was trained
    Request,        // takes the request's value (length of the run, monitoring, machine)
    RequestWhenSet, // takes the request's value unless it is the default (seed 0: random)
};

// A training setting: its value (SettingTable.h) and what training does with it.
struct SettingDescription : SettingSpec
{
    using Options = TrainingOptions;
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
// Values are parsed, checked and formatted by SettingTable.h's functions.

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
