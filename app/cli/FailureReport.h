#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace mri::cli {

class RunReport;

// The --json report of a command that failed before (or in) checking its
// outputs, when nothing vouches yet that its path may be written.

// The FILE of the last --json FILE (or --json=FILE) on a command line, read
// before parsing so that a usage error still gets its report.
std::string reportFileNamedIn(const std::vector<std::string> &arguments);

// Writes `report` with `exitStatus` and `sentence`, but not where it could
// replace something of the user's (the sentence of the failure is what the
// user reads then).
void writeFailureReport(const RunReport &report, const std::filesystem::path &file, int exitStatus,
                        const std::string &sentence);

// A usage error's report (exit status 2 and the sentence), then the error
// again: throws UsageError with `sentence`.
[[noreturn]] void reportUsageError(const std::vector<std::string> &arguments, const std::string &sentence);

} // namespace mri::cli
