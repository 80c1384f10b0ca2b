#pragma once

#include "enhance/EnhanceJob.h"
#include "Command.h"
#include "DatasetArguments.h"

#include <string>

namespace mri::cli {

// enhance --dataset DIR --model FILE: enhances a dataset's rows and writes the metrics CSV.
class EnhanceCommand final : public Command
{
public:
    std::string name() const override { return "enhance"; }
    std::string description() const override
    {
        return "Enhance the slices of a dataset and write the metrics CSV";
    }
    void define(CLI::App &command, CommonOptions &common) override;
    int run(std::atomic_bool &cancel, const CommandOutput &output) const override;

private:
    // The hand-wired options in the order of the help, in groups; the
    // settings come from the table (EnhanceSettingOptions.h).
    void defineModels(CLI::App &command);
    void defineOutputs(CLI::App &command);
    void defineSelection(CLI::App &command);
    EnhanceOptions enhanceOptions(const CommandOutput &output) const;

    DatasetArguments m_dataset;
    EnhanceOptions m_options;
    std::string m_model;
    std::string m_resolutionModel;
    std::string m_outputDir;
    std::string m_metricsCsv;
    std::string m_perSliceCsv;
};

} // namespace mri::cli
