#pragma once

#include "Command.h"
#include "TrainingSettingOptions.h"

#include <optional>
#include <string>

namespace mri::cli {

// import-model STATE_DICT --out FILE: a model file from the weights of python/mri_enhance_network.py.
class ImportModelCommand final : public Command
{
public:
    std::string name() const override { return "import-model"; }
    std::string description() const override
    {
        return "Make a model file from a PyTorch state dict of python/mri_enhance_network.py's network";
    }
    void define(CLI::App &command, CommonOptions &common) override;
    int run(std::atomic_bool &cancel, const CommandOutput &output) const override;

private:
    std::string m_stateDict;
    std::string m_out;
    std::string m_settingsFile;
    std::optional<TrainingSettingOptions> m_settings; // made in define(): its options need the command
};

} // namespace mri::cli
