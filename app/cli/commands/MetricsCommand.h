#pragma once

#include "Command.h"

#include <string>

namespace mri::cli {

// metrics REFERENCE TEST: PSNR and SSIM on stdout (no --json: the answer is the output).
class MetricsCommand final : public Command
{
public:
    std::string name() const override { return "metrics"; }
    std::string description() const override { return "PSNR and SSIM of TEST against REFERENCE"; }
    void define(CLI::App &command, CommonOptions &common) override;
    int run(std::atomic_bool &cancel, const CommandOutput &output) const override;

private:
    std::string m_reference;
    std::string m_test;
};

} // namespace mri::cli
