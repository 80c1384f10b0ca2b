#include "ImportModelCommand.h"

#include "dataset/OutputPolicy.h"
#include "training/ModelExchange.h"
#include "CommandOutput.h"
#include "CommonOptions.h"
#include "ExitStatus.h"
#include "OptionHelpers.h"
#include "TerminalProgress.h"

namespace mri::cli {

void ImportModelCommand::define(CLI::App &c, CommonOptions &common)
{
    addText(c, "STATE_DICT", m_stateDict, "FILE", "Weights saved by torch.save (net.state_dict(), or a dict of tensors)")
        ->required();
    addText(c, "--out", m_out, "FILE", "Model file to write")->required();
    addText(c, "--settings", m_settingsFile, "FILE",
            "Settings of the network (JSON with a \"settings\" object; default: STATE_DICT.json when it "
            "exists, else the default network); --set and the flags below apply on top");
    // The network's shape by its dedicated flags (from the table of settings); any setting by --set.
    m_settings.emplace(c, [](const SettingDescription &setting) { return setting.networkShape; });
    common.addJsonReport(c);
}

int ImportModelCommand::run(std::atomic_bool &, const CommandOutput &output) const
{
    // Settings: defaults, then the settings file, then --set, then the flags.
    std::filesystem::path settingsFile = m_settingsFile;
    if (settingsFile.empty() && std::filesystem::exists(settingsFileOf(m_stateDict)))
        settingsFile = settingsFileOf(m_stateDict);
    TrainingOptions options = settingsFile.empty() ? TrainingOptions() : readExchangeSettings(settingsFile);
    m_settings->applyTo(options);
    OutputPolicy policy;
    policy.protectFile(m_stateDict, "the state dict it reads");
    policy.protectFile(settingsFile, "the settings file it reads");
    policy.addOutput(m_out, "the model file (--out)");
    checkOutputs(policy, output);
    const auto imported = importModel(m_stateDict, options, m_out);
    const std::string source = settingsFile.empty() ? "no settings file" : "settings from " + settingsFile.string();
    TerminalProgress(output.verbosity)
        .result("Imported " + std::to_string(imported.tensors) + " tensors (depth "
                + std::to_string(imported.network.depth) + ", " + std::to_string(imported.network.baseChannels)
                + " base channels, " + std::to_string(imported.network.neighbourSlices) + " neighbour slices; "
                + source + (imported.found.empty() ? "" : "; " + imported.found) + ") into " + m_out);
    return kExitSuccess;
}

} // namespace mri::cli
