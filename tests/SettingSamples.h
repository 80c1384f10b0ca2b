#pragma once

#include "model/TrainingSettings.h"

namespace mri::test {

// A valid value of `setting` that differs from its default, derived from the
// table (inside the range, the negation, another choice), so that tests cover
// every setting, including ones added later, without listing them.
SettingValue nonDefaultValue(const SettingDescription &setting);

// Options with every setting at its nonDefaultValue().
TrainingOptions nonDefaultOptions();

} // namespace mri::test
