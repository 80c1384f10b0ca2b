#pragma once

#include "Noise.h"

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

namespace mri {

enum class TrainingObjective
{
    Noise2Void, // "n2v": blind-spot self-reconstruction (default)
    Identity,   // "identity": plain input = target, learns to copy; for comparison
    Synthetic,  // "synthetic": extra noise added to the input, target is the image
};

std::string objectiveName(TrainingObjective objective);
std::optional<TrainingObjective> parseObjective(const std::string &name);

struct NetworkConfig
{
    int depth = 4;            // number of down-sampling steps
    int baseChannels = 32;    // channels of the first level; doubled per level
    bool residualOutput = false; // output = input + correction instead of Sigmoid(conv)
    bool topSkip = true;      // skip connection at full resolution (N2V2 drops it)
    bool blurPool = false;    // max-blur-pool instead of max-pool (N2V2)

    bool operator==(const NetworkConfig &other) const
    {
        return depth == other.depth && baseChannels == other.baseChannels && residualOutput == other.residualOutput
            && topSkip == other.topSkip && blurPool == other.blurPool;
    }
    bool operator!=(const NetworkConfig &other) const { return !(*this == other); }
};

struct TrainingOptions
{
    std::filesystem::path modelFile;       // written every epoch (checkpoint)
    TrainingObjective objective = TrainingObjective::Noise2Void;
    NetworkConfig network;
    int epochs = 10;
    double learningRate = 1e-4;
    int batchSize = 16;
    int patchSize = 64;
    int patchesPerImage = 32;              // patches drawn from every training image per epoch
    double validationFraction = 0.1;
    double n2vMaskFraction = 0.02;         // fraction of blind-spot pixels per patch
    int n2vNeighbourhood = 5;              // replacement pixel taken from this window
    NoiseModel syntheticNoise = NoiseModel::Rician;
    double syntheticSigma = 0.08;          // fraction of the intensity range
    std::uint64_t seed = 0;                // 0: a random seed, reported in the result
    bool resume = false;                   // continue from modelFile's checkpoint
    int threads = 0;                       // 0: all cores
};

} // namespace mri
