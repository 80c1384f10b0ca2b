#pragma once

#include "model/TrainingOptions.h"
#include "Command.h"
#include "DatasetArguments.h"
#include "TrainingSettingOptions.h"

#include <optional>
#include <string>

namespace mri::cli {

// train --dataset DIR --model FILE: trains a U-Net, its settings from the table of training settings.
class TrainCommand final : public Command
{
public:
    std::string name() const override { return "train"; }
    std::string description() const override
    {
        return "Train a U-Net on a dataset and save it (a checkpoint every epoch)";
    }
    void define(CLI::App &command, CommonOptions &common) override;
    int run(std::atomic_bool &cancel, const CommandOutput &output) const override;

    // After parsing: what it trains with. Throws UsageError.
    TrainingOptions options() const;

private:
    DatasetArguments m_dataset;
    std::string m_model;
    bool m_resume = false;
    std::optional<TrainingSettingOptions> m_settings; // made in define(): its options need the command
};

} // namespace mri::cli
