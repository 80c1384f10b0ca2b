#pragma once

namespace mri::cli {

// How much a command says (--quiet, --verbose). Errors and a command's own
// answer (the numbers of `metrics`) are printed at every level.
enum class Verbosity {
    Quiet,   // errors only
    Normal,  // progress, messages, a summary line
    Verbose, // and the details: settings, per-row results, parts, timings
};

} // namespace mri::cli
