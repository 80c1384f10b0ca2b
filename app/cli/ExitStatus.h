#pragma once

namespace mri::cli {

enum ExitStatus : int {
    kExitSuccess = 0,
    kExitFailure = 1,        // the command could not do its job (one sentence on stderr)
    kExitUsage = 2,          // bad command line
    kExitSomeRowsFailed = 3, // enhance: some rows failed, the rest were written
    kExitInterrupted = 130,  // stopped by Ctrl+C after saving what was done
};

} // namespace mri::cli
