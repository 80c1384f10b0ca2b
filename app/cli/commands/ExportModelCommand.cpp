#include "ExportModelCommand.h"

#include "dataset/OutputPolicy.h"
#include "CommandOutput.h"
#include "CommonOptions.h"
#include "ExitStatus.h"
#include "OptionHelpers.h"
#include "TerminalProgress.h"

namespace mri::cli {

void ExportModelCommand::define(CLI::App &c, CommonOptions &common)
{
    addText(c, "MODEL", m_model, "FILE", "Trained model file")->required();
    addText(c, "OUT", m_out, "FILE", "State dict to write (torch.load reads it); the settings go to OUT.json")
        ->required();
    addChoice(c, "--format", m_format, {ExchangeFormat::PyTorch}, exchangeFormatName, parseExchangeFormat,
              "Format of OUT");
    common.addJsonReport(c);
}

int ExportModelCommand::run(std::atomic_bool &, const CommandOutput &output) const
{
    OutputPolicy policy;
    policy.protectFile(m_model, "the model file it reads");
    policy.addOutput(m_out, "the state dict (OUT)");
    policy.addOutput(settingsFileOf(m_out), "the settings file (OUT.json)");
    checkOutputs(policy, output);
    const auto exported = exportModel(m_model, m_out, m_format);
    TerminalProgress(output.verbosity)
        .result("Wrote " + std::to_string(exported.tensors) + " tensors to " + exported.stateDict.string()
                + " and the settings to " + exported.settingsFile.string());
    return kExitSuccess;
}

} // namespace mri::cli
