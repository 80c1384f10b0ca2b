#include "DatasetArguments.h"

#include "OptionHelpers.h"

namespace mri::cli {

void addDatasetOptions(CLI::App &command, DatasetArguments &dataset)
{
    addText(command, "--dataset", dataset.folder, "DIR", "Dataset folder (brain_tumor_info.csv, or a folder of images)")
        ->required();
    addText(command, "--csv", dataset.csv, "FILE", "The dataset's CSV when not brain_tumor_info.csv (relative to DIR)");
}

} // namespace mri::cli
