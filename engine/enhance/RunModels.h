#pragma once

#include "enhance/EnhanceOptions.h"
#include "enhance/Enhancer.h"

#include <filesystem>
#include <functional>
#include <optional>
#include <string>

namespace mri {

// The models of a run: a denoiser, a super-resolution model after it, or either alone.
struct RunModels
{
    std::optional<Enhancer> denoiser;
    std::optional<Enhancer> upscaler;
    int scale = 1;
    std::string description; // for the files' descriptions: the model files' names

    // The model whose tile progress the user sees first.
    Enhancer &first() { return denoiser ? *denoiser : *upscaler; }
};

// Loads the run's models and checks that they fit what was asked (scale,
// through-plane); then sets what the options say of the network (tile size,
// noise coils, the mirror average). Throws EngineError naming the model file.
RunModels loadModels(const EnhanceOptions &options);

// Every model of the run reports its tiles to `progress` (empty: to no one).
void setTileProgress(RunModels &models, const std::function<void(int, int)> &progress);

// The file of the super-resolution model: the second model, or the first alone.
const std::filesystem::path &upscalerFileOf(const EnhanceOptions &options);

// A model trained on volumes (one axis degraded) serves volumes, one trained
// on pictures (both axes) pictures: each learnt the other's blur only in part.
// Throws EngineError naming the model and `input` when they do not fit.
void checkUpscalerFits(const RunModels &models, bool volume, const std::filesystem::path &file,
                       const std::string &input);

} // namespace mri
