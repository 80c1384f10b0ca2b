#pragma once

#include "RunReport.h"

#include <string>

namespace mri {
struct Dataset;
struct EnhancedRow;
} // namespace mri

namespace mri::cli {

// Fields of the --json reports that several commands write.

// A JSON number, or null where JSON has none (an infinite PSNR of identical images, NaN).
ReportJson jsonNumber(double value);

// The dataset: its folder, CSV and row count.
ReportJson datasetJson(const Dataset &dataset);

// One row of a report: which row, and its outcome.
ReportJson rowJson(const Dataset &dataset, const EnhancedRow &row, const std::string &status);

} // namespace mri::cli
