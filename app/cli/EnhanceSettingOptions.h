#pragma once

#include "enhance/EnhanceSettings.h"
#include "RunReport.h"

namespace CLI {
class App;
} // namespace CLI

namespace mri::cli {

// The engine's table of enhance settings (engine/enhance/EnhanceSettings.h)
// as options of one CLI11 command: every entry with a flag becomes `--flag
// VALUE` (help, type name, range and default from the table, values parsed
// and checked by the table) or, for a Boolean, a switch away from its default
// (`--no-mirror-average`). Each value is set into `target` as it is parsed,
// so a new table entry shows up here without an edit.
void addEnhanceSettingOptions(CLI::App &command, EnhanceOptions &target);

// The settings of `options` for the --json report, one field per table entry
// under its key: the value, or the name of "not set" ("auto", "model").
ReportJson enhanceSettingsJson(const EnhanceOptions &options);

} // namespace mri::cli
