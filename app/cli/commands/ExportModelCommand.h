#pragma once

#include "training/ModelExchange.h"
#include "Command.h"

#include <string>

namespace mri::cli {

// export-model MODEL OUT: a model's weights as a PyTorch state dict, its settings beside them.
class ExportModelCommand final : public Command
{
public:
    std::string name() const override { return "export-model"; }
    std::string description() const override
    {
        return "Write a model's weights as a PyTorch state dict (OUT) and its settings (OUT.json) for "
               "python/mri_enhance_network.py";
    }
    void define(CLI::App &command, CommonOptions &common) override;
    int run(std::atomic_bool &cancel, const CommandOutput &output) const override;

private:
    std::string m_model;
    ExchangeFormat m_format = ExchangeFormat::PyTorch;
    std::string m_out;
};

} // namespace mri::cli
