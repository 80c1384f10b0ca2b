#pragma once

#include "dataset/Dataset.h"
#include "enhance/EnhanceOptions.h"
#include "enhance/EnhancedRow.h"
#include "enhance/RunModels.h"
#include "io/SlicePlane.h"

#include <atomic>
#include <filesystem>
#include <functional>

namespace mri {

// Enhances one dataset row into `target`, in its input's format: denoised
// (a volume slice by slice along `plane`), then up-sampled with a
// super-resolution model, then the contrast step; scored as written against
// the input on the input's grid, and self-checked. Fills `outcome` (all but
// the row index, model digest, time and error). `progress` hears the work
// done of the row's total. False when cancelled; throws EngineError with a
// sentence naming the file when the row cannot be enhanced.
bool enhanceRow(RunModels &models, const DatasetRow &row, const std::filesystem::path &target, SlicePlane plane,
                const EnhanceOptions &options, const std::function<void(int, int)> &progress,
                const std::atomic_bool &cancel, EnhancedRow &outcome);

} // namespace mri
