#include "TrainCommand.h"

#include "dataset/OutputPolicy.h"
#include "model/ModelFile.h"
#include "model/TrainingSettings.h"
#include "nn/ThreadPolicy.h"
#include "quality/Metrics.h"
#include "training/Trainer.h"
#include "CommandOutput.h"
#include "CommonOptions.h"
#include "ExitStatus.h"
#include "OptionHelpers.h"
#include "ReportFields.h"
#include "RunReport.h"
#include "TerminalProgress.h"

#include <cstdio>

namespace mri::cli {

namespace {

std::string lossText(double loss)
{
    char text[32];
    std::snprintf(text, sizeof text, "loss %.5f", loss);
    return text;
}

// The progress bar of the steps, a line per epoch and the trainer's messages.
TrainingCallbacks progressCallbacks(TerminalProgress &progress)
{
    TrainingCallbacks callbacks;
    callbacks.onMessage = [&](const std::string &line) { progress.message(line); };
    callbacks.onStep = [&](const TrainingStep &step) {
        progress.update("Epoch " + std::to_string(step.epoch) + "/" + std::to_string(step.epochs), step.step,
                        step.stepsPerEpoch, step.etaSeconds, lossText(step.loss));
    };
    callbacks.onEpoch = [&](const EpochSummary &epoch) {
        char line[200];
        std::snprintf(line, sizeof line, "Epoch %d/%d: train loss %.6f, validation loss %.6f, validation PSNR %s dB, %s elapsed",
                      epoch.epoch, epoch.epochs, epoch.trainLoss, epoch.validationLoss,
                      formatMetric(epoch.validationPsnr, 2).c_str(),
                      TerminalProgress::formatDuration(epoch.elapsedSeconds).c_str());
        progress.message(line);
    };
    return callbacks;
}

void reportTraining(RunReport &report, const Dataset &dataset, const TrainingOptions &options,
                    const TrainingResult &result)
{
    report["dataset"] = datasetJson(dataset);
    report["settings"] = ReportJson::parse(trainingSettingsJson(result.settings));
    report["seed"] = result.seed;
    report["epochs_completed"] = result.epochsCompleted;
    report["cancelled"] = result.cancelled;
    report["time_budget_reached"] = result.timeBudgetReached;
    report["counts"] = {{"training_images", result.trainingImages},
                        {"validation_images", result.validationImages},
                        {"skipped", result.skippedImages.size()}};
    report["errors"] = result.skippedImages;
    auto history = ReportJson::array();
    for (const auto &epoch : result.history)
        history.push_back({{"epoch", epoch.epoch},
                           {"train_loss", jsonNumber(epoch.trainLoss)},
                           {"validation_loss", jsonNumber(epoch.validationLoss)},
                           {"validation_psnr", jsonNumber(epoch.validationPsnr)},
                           {"elapsed_seconds", epoch.elapsedSeconds}});
    report["history"] = history;
    report.setCompute(resolveThreadCount(result.settings.threads), result.device);
    if (result.epochsCompleted > 0)
        report.setModel(options.modelFile);
}

} // namespace

void TrainCommand::define(CLI::App &c, CommonOptions &common)
{
    addDatasetOptions(c, m_dataset);
    addText(c, "--model", m_model, "FILE", "Model file to write (and to resume from)")->required();
    c.add_flag("--resume", m_resume, "Continue from the model file's checkpoint, with its own settings");
    m_settings.emplace(c);
    common.addJsonReport(c);
}

TrainingOptions TrainCommand::options() const
{
    TrainingOptions options;
    m_settings->applyTo(options);
    options.modelFile = m_model;
    options.resume = m_resume;
    return options;
}

int TrainCommand::run(std::atomic_bool &cancel, const CommandOutput &output) const
{
    const auto options = this->options();
    const auto dataset = m_dataset.open();
    OutputPolicy policy;
    policy.protectDataset(dataset);
    policy.addOutput(options.modelFile, "the model file (--model)");
    checkOutputs(policy, output);

    TerminalProgress progress(output.verbosity);
    const auto callbacks = progressCallbacks(progress);
    if (output.verbosity == Verbosity::Verbose) {
        for (const auto &setting : trainingSettings())
            progress.detail("  " + setting.key + " = " + formatSettingValue(setting, setting.get(options)));
    }
    const auto result = trainModel(dataset, options, callbacks, cancel);
    progress.finish();
    if (output.report)
        reportTraining(*output.report, dataset, options, result);
    if (result.cancelled) {
        if (result.epochsCompleted > 0)
            progress.warning("Training interrupted after " + std::to_string(result.epochsCompleted)
                             + " completed epochs; the model in '" + options.modelFile.string()
                             + "' can be resumed with --resume.");
        else
            progress.warning("Training interrupted before the first epoch was complete; no model was written.");
        return kExitInterrupted;
    }
    progress.result("Trained " + std::to_string(result.epochsCompleted) + " epochs (seed " + std::to_string(result.seed)
                    + "); model saved to " + options.modelFile.string());
    return kExitSuccess;
}

} // namespace mri::cli
