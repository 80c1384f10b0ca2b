#pragma once

#include "Verbosity.h"

#include <string>

namespace CLI {
class App;
} // namespace CLI

namespace mri::cli {

// The options that commands share: --json FILE (where a command adds it) and
// --quiet/--verbose (every command). Bound here, so one place reads them.
class CommonOptions final
{
public:
    void addJsonReport(CLI::App &command);
    void addVerbosityFlags(CLI::App &command);

    Verbosity verbosity() const;
    // --json FILE, or empty.
    const std::string &reportFile() const { return m_reportFile; }

private:
    std::string m_reportFile;
    bool m_quiet = false;
    bool m_verbose = false;
};

} // namespace mri::cli
