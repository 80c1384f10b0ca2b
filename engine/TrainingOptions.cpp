#include "TrainingOptions.h"

#include "EngineError.h"

#include <algorithm>
#include <functional>
#include <map>
#include <cctype>

namespace mri {

std::string objectiveName(TrainingObjective objective)
{
    switch (objective) {
    case TrainingObjective::Noise2Void: return "n2v";
    case TrainingObjective::Identity: return "identity";
    case TrainingObjective::Synthetic: return "synthetic";
    }
    return "n2v";
}

std::optional<TrainingObjective> parseObjective(const std::string &name)
{
    std::string lower = name;
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
    for (const auto objective : {TrainingObjective::Noise2Void, TrainingObjective::Identity, TrainingObjective::Synthetic}) {
        if (objectiveName(objective) == lower)
            return objective;
    }
    return std::nullopt;
}

void applyTrainingSetting(TrainingOptions &options, const std::string &setting)
{
    const auto equals = setting.find('=');
    if (equals == std::string::npos)
        throw EngineError("The setting '" + setting + "' is not of the form key=value.");
    const std::string key = setting.substr(0, equals);
    const std::string value = setting.substr(equals + 1);
    const auto bad = [&] { return EngineError("The value '" + value + "' does not fit the setting '" + key + "'."); };
    const auto number = [&] {
        std::size_t used = 0;
        double parsed = 0.0;
        try {
            parsed = std::stod(value, &used);
        } catch (const std::exception &) {
            throw bad();
        }
        if (used != value.size())
            throw bad();
        return parsed;
    };
    const auto whole = [&] {
        const double parsed = number();
        if (parsed != static_cast<int>(parsed))
            throw bad();
        return static_cast<int>(parsed);
    };
    const auto flag = [&] {
        if (value == "1" || value == "true" || value == "on")
            return true;
        if (value == "0" || value == "false" || value == "off")
            return false;
        throw bad();
    };
    const std::map<std::string, std::function<void()>> setters{
        {"depth", [&] { options.network.depth = whole(); }},
        {"base_channels", [&] { options.network.baseChannels = whole(); }},
        {"residual_output", [&] { options.network.residualOutput = flag(); }},
        {"top_skip", [&] { options.network.topSkip = flag(); }},
        {"blur_pool", [&] { options.network.blurPool = flag(); }},
        {"batch_norm", [&] { options.network.batchNorm = flag(); }},
        {"objective", [&] {
             const auto objective = parseObjective(value);
             if (!objective)
                 throw bad();
             options.objective = *objective;
         }},
        {"epochs", [&] { options.epochs = whole(); }},
        {"learning_rate", [&] { options.learningRate = number(); }},
        {"batch_size", [&] { options.batchSize = whole(); }},
        {"patch_size", [&] { options.patchSize = whole(); }},
        {"patches_per_image", [&] { options.patchesPerImage = whole(); }},
        {"n2v_mask_fraction", [&] { options.n2vMaskFraction = number(); }},
        {"n2v_neighbourhood", [&] { options.n2vNeighbourhood = whole(); }},
        {"n2v_median_replacement", [&] { options.n2vMedianReplacement = flag(); }},
        {"cosine_schedule", [&] { options.cosineSchedule = flag(); }},
        {"rician_correction", [&] { options.ricianCorrection = flag(); }},
        {"synthetic_sigma", [&] { options.syntheticSigma = number(); }},
        {"synthetic_noise", [&] {
             const auto model = parseNoiseModel(value);
             if (!model)
                 throw bad();
             options.syntheticNoise = *model;
         }},
    };
    const auto setter = setters.find(key);
    if (setter == setters.end())
        throw EngineError("There is no training setting '" + key + "'.");
    setter->second();
}

} // namespace mri
