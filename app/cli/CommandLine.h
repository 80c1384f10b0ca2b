#pragma once

#include "benchmark/QualityBenchmark.h"
#include "model/TrainingOptions.h"
#include "ExitStatus.h"
#include "UsageError.h"

#include <atomic>
#include <string>
#include <vector>

namespace mri::cli {

// Runs `mri-enhance` with its arguments (without the program name) and returns
// the exit status. `cancel` is set by the caller's SIGINT handler.
int run(const std::vector<std::string> &arguments, std::atomic_bool &cancel);

// The training options that `mri-enhance train ARGUMENTS...` would train with
// (`arguments` are those after "train"), without opening the dataset or
// training. Throws UsageError with the sentence that run() would print.
TrainingOptions parseTrainOptions(const std::vector<std::string> &arguments);

// The benchmark options that `mri-enhance benchmark ARGUMENTS...` would run
// with (`arguments` are those after "benchmark"), without running it. Throws
// UsageError with the sentence that run() would print.
QualityBenchmarkOptions parseBenchmarkOptions(const std::vector<std::string> &arguments);

} // namespace mri::cli
