#pragma once

#include "Command.h"
#include "DatasetArguments.h"

#include <cstdint>
#include <string>

namespace mri::cli {

// compare --dataset DIR --out FILE.png: a figure of original against enhanced slices.
class CompareCommand final : public Command
{
public:
    std::string name() const override { return "compare"; }
    std::string description() const override
    {
        return "Draw original against enhanced slices of random patients";
    }
    void define(CLI::App &command, CommonOptions &common) override;
    int run(std::atomic_bool &cancel, const CommandOutput &output) const override;

private:
    DatasetArguments m_dataset;
    std::string m_out;
    int m_count = 3;
    std::uint64_t m_seed = 0;
    std::string m_metricsCsv;
};

} // namespace mri::cli
