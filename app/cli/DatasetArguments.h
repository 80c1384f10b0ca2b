#pragma once

#include "dataset/Dataset.h"

#include <string>

namespace CLI {
class App;
} // namespace CLI

namespace mri::cli {

// --dataset DIR and --csv FILE of the commands that read a dataset.
struct DatasetArguments
{
    std::string folder;
    std::string csv;

    Dataset open() const { return openDataset(folder, csv); }
};

void addDatasetOptions(CLI::App &command, DatasetArguments &dataset);

} // namespace mri::cli
