#pragma once

#include "Command.h"
#include "DatasetArguments.h"

#include <string>

namespace mri::cli {

// merge --dataset DIR: joins the metrics CSVs of the parts of 'enhance --shard I/N'.
class MergeCommand final : public Command
{
public:
    std::string name() const override { return "merge"; }
    std::string description() const override
    {
        return "Join the metrics CSVs of the parts of 'enhance --shard I/N' into the dataset's metrics CSV, in the "
               "dataset's row order";
    }
    void define(CLI::App &command, CommonOptions &common) override;
    int run(std::atomic_bool &cancel, const CommandOutput &output) const override;

private:
    DatasetArguments m_dataset;
    std::string m_metricsCsv;
    bool m_allowMissing = false;
};

} // namespace mri::cli
