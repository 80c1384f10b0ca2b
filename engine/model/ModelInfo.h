#pragma once

#include "model/EpochSummary.h"
#include "model/TrainingOptions.h"

#include <filesystem>
#include <vector>

namespace mri {

// What a model file says about itself, without its weights.
struct ModelInfo
{
    int formatVersion = 0;             // of the file: 1 (release 0.1.0) or 2 (JSON header)
    NetworkConfig network;
    TrainingObjective objective = TrainingObjective::Noise2Void;
    int epochsTrained = 0;
    bool ricianCorrection = false;     // as trained; see Enhancer::setRicianCorrection
    TrainingOptions settings;          // every training setting the model was trained with (modelFile empty)
    std::vector<EpochSummary> history; // one entry per completed epoch
};

// Reads a model file's description. Version-2 files are answered from their
// header alone, without loading weights or optimiser state. Throws EngineError
// naming the file when it is missing or not a model file of this tool.
ModelInfo readModelInfo(const std::filesystem::path &modelFile);

} // namespace mri
