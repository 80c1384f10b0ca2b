#pragma once

// Private to the engine: includes LibTorch.

#include "model/EpochSummary.h"
#include "model/ModelFile.h"
#include "model/ModelInfo.h"
#include "model/TrainingOptions.h"
#include "nn/UNet.h"

#include <filesystem>
#include <memory>
#include <string>

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
// temporary name and renamed into place. Throws EngineError, and leaves
// `file` as it was, when a weight, buffer or optimiser moment is NaN or Inf
// (a diverged training never replaces a good model).
void saveCheckpoint(const std::filesystem::path &file, UNet &net, torch::optim::Optimizer &optimizer,
                    const CheckpointMeta &meta);

// Throws EngineError naming the file when it is missing, unreadable, not a
// model file of ours, or holds a weight that is NaN or Inf.
LoadedCheckpoint loadCheckpoint(const std::filesystem::path &file, const torch::Device &device);

ModelInfo modelInfoOf(const CheckpointMeta &meta);

// The name of the first parameter or buffer of `net` ("encoders.0.first.weight",
// as state_dict() names it) that holds NaN or Inf; empty when all are finite.
std::string firstNonFiniteTensor(UNet &net);

// The same of an Adam optimiser's moments, named after their parameter.
std::string firstNonFiniteOptimizerState(UNet &net, torch::optim::Optimizer &optimizer);

// "'m.pt' holds a weight that is not a finite number (name); it cannot be used."
std::string nonFiniteWeightSentence(const std::filesystem::path &file, const std::string &tensor);

} // namespace mri::nn
