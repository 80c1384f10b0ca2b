#pragma once

// Private to the engine: includes LibTorch.

#include "ModelFile.h"
#include "ModelInfo.h"
#include "Trainer.h"
#include "TrainingOptions.h"
#include "nn/UNet.h"

#include <filesystem>
#include <memory>

namespace mri::nn {

// Everything about a training run that is not a tensor.
struct CheckpointMeta
{
    int formatVersion = kModelFileVersion; // of the file it was read from
    NetworkConfig network;
    TrainingOptions options;       // the options the run was started with (modelFile not stored)
    int epochsCompleted = 0;
    long long globalStep = 0;
    std::vector<EpochSummary> history;
};

struct LoadedCheckpoint
{
    CheckpointMeta meta;
    UNet net{nullptr};
    // The optimiser's state, for resuming; load it into an optimiser built on net's parameters.
    std::shared_ptr<torch::serialize::InputArchive> optimizerState;
};

// One file holds the model, the optimiser and the meta data; written under a
// temporary name and renamed into place. Throws EngineError.
void saveCheckpoint(const std::filesystem::path &file, UNet &net, torch::optim::Optimizer &optimizer,
                    const CheckpointMeta &meta);

// Throws EngineError naming the file when it is missing, unreadable or not a
// model file of ours.
LoadedCheckpoint loadCheckpoint(const std::filesystem::path &file, const torch::Device &device);

ModelInfo modelInfoOf(const CheckpointMeta &meta);

} // namespace mri::nn
