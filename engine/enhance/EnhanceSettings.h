#pragma once

// The table of enhance settings: every user-facing setting of EnhanceOptions
// (tile, plane, coils, noise map, mirror average, fail-on, contrast, scale,
// through-plane, threads) is described here once: key, flag, label, help,
// type, range, the name of its "not set" value, and get/set into
// EnhanceOptions. Its value texts are parsed, checked and formatted as the
// training settings' are (model/SettingTable.h). Everything else is derived:
// `mri-enhance enhance`'s flags and their --help (app/cli/EnhanceSettingOptions.cpp),
// the --json report's "settings", the GUI's enhance controls (ui/ContrastPanel.cpp,
// entries marked `gui`) and the round-trip tests (tst_enhancesettings).
// Defaults are EnhanceOptions' member initialisers.
//
// To add a setting: a member in EnhanceOptions (its initialiser is the
// default), one entry in enhanceSettings() (EnhanceSettings.cpp), and the
// engine code that uses it.
//
// Paths (output folder, metrics CSV, per-slice CSV, the super-resolution
// model), the patient selection and the shard stay hand-wired in the CLI:
// their defaults come from the dataset's results folder, they are checked by
// OutputPolicy rather than a range, the GUI does not ask for them, and a table
// type for them would only be a string with none of the table's checks.

#include "base/Translatable.h"
#include "enhance/EnhanceOptions.h"
#include "model/SettingTable.h"

#include <functional>
#include <string>
#include <vector>

// Labels and help are marked with MRI_TRANSLATE_NOOP, context "mri::EnhanceSettings".

namespace mri {

struct EnhanceSettingDescription : SettingSpec
{
    using Options = EnhanceOptions;
    // An editor among the GUI's enhance controls (ui/ContrastPanel.cpp). The
    // contrast step has controls of its own there, made from its parameters' table.
    bool gui = false;
    std::function<SettingValue(const EnhanceOptions &)> get;
    std::function<void(EnhanceOptions &, const SettingValue &)> set;
};

// Every enhance setting, in the order of help texts and the JSON report.
const std::vector<EnhanceSettingDescription> &enhanceSettings();
// nullptr when there is no such key.
const EnhanceSettingDescription *findEnhanceSetting(const std::string &key);
const EnhanceSettingDescription &enhanceSetting(const std::string &key); // throws EngineError when unknown

// The value of EnhanceOptions{}.
SettingValue defaultSettingValue(const EnhanceSettingDescription &setting);
// Parses `text` for the setting `key` and sets it. Throws EngineError with one sentence.
void applyEnhanceSetting(EnhanceOptions &options, const std::string &key, const std::string &text);
// Throws EngineError naming the first setting out of range.
void validateEnhanceOptions(const EnhanceOptions &options);

} // namespace mri
