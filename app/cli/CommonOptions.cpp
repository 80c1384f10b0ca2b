#include "CommonOptions.h"

#include "OptionHelpers.h"

#include <CLI/CLI.hpp>

namespace mri::cli {

void CommonOptions::addJsonReport(CLI::App &command)
{
    addText(command, "--json", m_reportFile, "FILE",
            "Also write a machine-readable report: version, model and its SHA-256, settings, rows done, failed "
            "and skipped, errors, timings, machine");
}

void CommonOptions::addVerbosityFlags(CLI::App &command)
{
    auto *quietFlag = command.add_flag("--quiet", m_quiet, "Print only errors (and the answer of 'metrics')");
    auto *verboseFlag = command.add_flag("--verbose", m_verbose,
                                         "Print details too: settings, every row's result, timings");
    quietFlag->excludes(verboseFlag);
}

Verbosity CommonOptions::verbosity() const
{
    return m_quiet ? Verbosity::Quiet : m_verbose ? Verbosity::Verbose : Verbosity::Normal;
}

} // namespace mri::cli
