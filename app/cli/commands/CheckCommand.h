#pragma once

#include "Command.h"

#include <string>

namespace mri::cli {

// check INPUT RESULT: the self-check of a denoised result without ground truth, on stdout.
class CheckCommand final : public Command
{
public:
    std::string name() const override { return "check"; }
    std::string description() const override
    {
        return "Check a denoised RESULT against its noisy INPUT without ground truth: a verdict, the residual, "
               "MRIQC's measures before and after";
    }
    void define(CLI::App &command, CommonOptions &common) override;
    int run(std::atomic_bool &cancel, const CommandOutput &output) const override;

private:
    std::string m_input;
    std::string m_result;
    double m_coils = 0.0;
};

} // namespace mri::cli
