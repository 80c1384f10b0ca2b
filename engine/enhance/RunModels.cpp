#include "enhance/RunModels.h"

#include "base/EngineError.h"
#include "enhance/SuperResolution.h"

namespace mri {

void setTileProgress(RunModels &models, const std::function<void(int, int)> &progress)
{
    if (models.denoiser)
        models.denoiser->setTileProgress(progress);
    if (models.upscaler)
        models.upscaler->setTileProgress(progress);
}

namespace {

// The first model alone, or a denoiser and the super-resolution model after it.
RunModels loadModelFiles(const EnhanceOptions &options)
{
    RunModels models;
    auto first = Enhancer::load(options.modelFile);
    models.description = options.modelFile.filename().string();
    if (superResolutionScale(first.info()) > 1) {
        if (!options.resolutionModel.empty())
            throw EngineError("The model '" + options.modelFile.string()
                              + "' is a super-resolution model; give the denoising model first and the "
                                "super-resolution model second.");
        models.upscaler.emplace(std::move(first));
    } else {
        models.denoiser.emplace(std::move(first));
        if (!options.resolutionModel.empty()) {
            models.upscaler.emplace(Enhancer::load(options.resolutionModel));
            if (superResolutionScale(models.upscaler->info()) < 2)
                throw EngineError("The model '" + options.resolutionModel.string()
                                  + "' is not a super-resolution model (train one with the superres objective).");
            models.description += " + " + options.resolutionModel.filename().string();
        }
    }
    models.scale = models.upscaler ? superResolutionScale(models.upscaler->info()) : 1;
    return models;
}

// The scale and direction asked for, against what the models do.
void checkModelsFitRequest(const RunModels &models, const EnhanceOptions &options)
{
    const auto &upscalerFile = upscalerFileOf(options);
    if (options.throughPlane && !models.upscaler)
        throw EngineError("Through-plane super-resolution needs a super-resolution model; '" + options.modelFile.string()
                          + "' denoises only.");
    if (options.throughPlane && models.upscaler->info().settings.superresAxes == 2)
        throw EngineError("The super-resolution model '" + upscalerFile.string()
                          + "' was trained on pictures (in-plane); through-plane needs one trained on volumes.");
    if (options.scale > 0 && options.scale != models.scale) {
        const auto &file = models.upscaler ? upscalerFile : options.modelFile;
        throw EngineError(models.upscaler
                              ? "The super-resolution model '" + file.string() + "' was trained for x"
                                    + std::to_string(models.scale) + ", not x" + std::to_string(options.scale)
                                    + "; train one with superres_scale " + std::to_string(options.scale) + "."
                              : "A scale of " + std::to_string(options.scale) + " needs a super-resolution model; '"
                                    + file.string() + "' denoises only.");
    }
}

} // namespace

const std::filesystem::path &upscalerFileOf(const EnhanceOptions &options)
{
    return options.resolutionModel.empty() ? options.modelFile : options.resolutionModel;
}

RunModels loadModels(const EnhanceOptions &options)
{
    auto models = loadModelFiles(options);
    checkModelsFitRequest(models, options);
    for (auto *model : {models.denoiser ? &*models.denoiser : nullptr, models.upscaler ? &*models.upscaler : nullptr}) {
        if (model && options.tileSize > 0)
            model->setTiling(options.tileSize);
    }
    if (models.denoiser && options.noiseCoils >= 0)
        models.denoiser->setNoiseCoils(options.noiseCoils);
    if (models.denoiser && !options.mirrorAverage)
        models.denoiser->setMirrorAverage(false);
    return models;
}

void checkUpscalerFits(const RunModels &models, bool volume, const std::filesystem::path &file,
                       const std::string &input)
{
    if (!models.upscaler)
        return;
    const int axes = models.upscaler->info().settings.superresAxes;
    if (volume && axes == 2)
        throw EngineError("The super-resolution model '" + file.string()
                          + "' was trained on pictures (in-plane); the volume '" + input
                          + "' needs one trained on volumes (through-plane).");
    if (!volume && axes == 1)
        throw EngineError("The super-resolution model '" + file.string()
                          + "' was trained on volumes (through-plane); the picture '" + input
                          + "' needs one trained on pictures (in-plane).");
}

} // namespace mri
