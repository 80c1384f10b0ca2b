#pragma once

#include "dataset/DemoDataset.h"
#include "Command.h"

#include <string>

namespace mri::cli {

// demo-dataset --out DIR: the demo dataset, cut from a brain volume.
class DemoDatasetCommand final : public Command
{
public:
    std::string name() const override { return "demo-dataset"; }
    std::string description() const override
    {
        return "Write the demo dataset: noisy slices of a brain volume and their clean originals";
    }
    void define(CLI::App &command, CommonOptions &common) override;
    int run(std::atomic_bool &cancel, const CommandOutput &output) const override;

private:
    DemoDatasetOptions m_options;
    std::string m_out;
    std::string m_volume;
};

} // namespace mri::cli
