#pragma once

// Where an enhance run writes, and the check that it may: no result over
// anything the user gave us, no two rows into one file.

#include "dataset/Dataset.h"
#include "enhance/EnhanceOptions.h"

#include <cstddef>
#include <filesystem>
#include <vector>

namespace mri {

// Where each row's result goes: the input's path relative to the dataset (its
// CSV's folder) under `outputDir`: pictures as .png, NIfTI as
// <name>_enhanced.nii.gz, a DICOM series as a folder named like the input's
// folder (a single DICOM file: like the file); inputs outside the dataset
// under external/<folder>-<hash>/. Distinct inputs never share a path.
std::vector<std::filesystem::path> planOutputPaths(const Dataset &dataset, const std::filesystem::path &outputDir);

// In the dataset's results folder (ResultsLocation.h): the dataset folder when writable.
std::filesystem::path defaultMetricsCsv(const Dataset &dataset);
std::filesystem::path defaultEnhancedDir(const Dataset &dataset);

// Refuses (EngineError), before any work, a run that would write over
// something the user gave us (OutputPolicy: an input, the ground truth, the
// dataset's table, the models), put results into a folder of inputs, or give
// two of the `selected` rows one output. `targets` are planOutputPaths()'.
void checkOutputsAreSafe(const Dataset &dataset, const std::vector<std::size_t> &selected,
                         const std::filesystem::path &outputDir, const std::vector<std::filesystem::path> &targets,
                         const std::filesystem::path &metricsCsv, const EnhanceOptions &options, bool writeCsv);

} // namespace mri
