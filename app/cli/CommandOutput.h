#pragma once

#include "Verbosity.h"

#include <filesystem>

namespace mri {
struct Dataset;
class OutputPolicy;
} // namespace mri

namespace mri::cli {

class RunReport;
class TerminalProgress;

// What a command prints to and records in: the verbosity and the --json report (or nullptr).
struct CommandOutput
{
    Verbosity verbosity = Verbosity::Normal;
    RunReport *report = nullptr;
    std::filesystem::path reportFile; // --json FILE, or empty
};

// Checks, before any work, the command's outputs and its --json report
// against what it reads (OutputPolicy); one sentence when one would overwrite it.
void checkOutputs(OutputPolicy &policy, const CommandOutput &output);

// Results that do not go into the dataset folder are announced, so the user knows where to find them.
void noteResultsLocation(const Dataset &dataset, TerminalProgress &progress);

} // namespace mri::cli
