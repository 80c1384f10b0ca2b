#include "TrainingOptions.h"

#include "EngineError.h"

#include <algorithm>
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

NetworkConfig concreteNetwork(NetworkConfig network, bool fromVolumes)
{
    if (network.neighbourSlices < 0)
        network.neighbourSlices = fromVolumes ? 1 : 0;
    return network;
}

} // namespace mri
