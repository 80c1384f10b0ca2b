#include "CommandOutput.h"

#include "dataset/Dataset.h"
#include "dataset/OutputPolicy.h"
#include "dataset/ResultsLocation.h"
#include "TerminalProgress.h"

namespace mri::cli {

void checkOutputs(OutputPolicy &policy, const CommandOutput &output)
{
    policy.addOutput(output.reportFile, "the --json report");
    policy.check();
}

void noteResultsLocation(const Dataset &dataset, TerminalProgress &progress)
{
    const auto location = resultsLocationFor(dataset.folder);
    if (!location.insideDataset)
        progress.warning(location.notice());
}

} // namespace mri::cli
