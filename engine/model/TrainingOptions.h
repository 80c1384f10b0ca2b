#pragma once

#include "image/SliceProfile.h"
#include "io/SlicePlane.h"
#include "quality/Noise.h"

#include <algorithm>
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
    // "superres": super-resolution learnt from the slices themselves (SMORE,
    // Zhao et al. 2021): each patch degraded by superres_scale along one or
    // both axes and interpolated back (cubic B-spline) is the input, the patch
    // the target. The network is residual with a full-resolution skip and
    // without batch normalisation (concreteOptions()).
    SuperResolution,
};

std::string objectiveName(TrainingObjective objective);
std::optional<TrainingObjective> parseObjective(const std::string &name);

struct NetworkConfig
{
    // Defaults: the winner of the quality benchmark (README, "Quality"): a
    // shallow N2V2-style U-Net with batch normalisation trains the most within
    // minutes on a CPU and denoises best.
    int depth = 2;            // number of down-sampling steps
    int baseChannels = 16;    // channels of the first level; doubled per level
    bool residualOutput = false; // output = input + correction instead of Sigmoid(conv)
    // The input standardised by the training data's mean and deviation and the
    // output mean + deviation x last convolution, instead of Sigmoid(conv):
    // Adam moves each weight by about the learning rate per step, so a Sigmoid
    // output needs thousands of steps to reach a dark background's level.
    bool linearOutput = true;
    bool topSkip = false;     // skip connection at full resolution (N2V2 drops it)
    bool blurPool = true;     // max-blur-pool instead of max-pool (N2V2)
    bool batchNorm = true;    // batch normalisation after each convolution (as in Noise2Void's U-Net)
    // 2.5-D: the slices on either side of a volume's slice as extra input
    // channels, ordered below..centre..above: 1 + 2 * neighbourSlices channels.
    // -1 (automatic): 1 when training on volumes, 0 on pictures alone (the
    // quality benchmark's finding; see concreteNetwork()).
    int neighbourSlices = kAutomaticNeighbourSlices;

    static constexpr int kAutomaticNeighbourSlices = -1;
    int inputChannels() const { return 1 + 2 * std::max(0, neighbourSlices); }

    bool operator==(const NetworkConfig &other) const
    {
        return depth == other.depth && baseChannels == other.baseChannels && residualOutput == other.residualOutput
            && linearOutput == other.linearOutput
            && topSkip == other.topSkip && blurPool == other.blurPool && batchNorm == other.batchNorm
            && neighbourSlices == other.neighbourSlices;
    }
    bool operator!=(const NetworkConfig &other) const { return !(*this == other); }
};

// The network with its automatic choices made: neighbourSlices -1 becomes 1
// when the training slices come from volumes, else 0.
NetworkConfig concreteNetwork(NetworkConfig network, bool fromVolumes);

// Every member but modelFile and resume is a setting described in
// TrainingSettings.cpp (key, range, help); the initialisers are the defaults.
struct TrainingOptions
{
    std::filesystem::path modelFile;       // written every epoch (checkpoint)
    TrainingObjective objective = TrainingObjective::Noise2Void;
    // Volumes (NIfTI, DICOM) are cut into slices of this plane for training,
    // and enhanced along it unless enhancement is told otherwise.
    SlicePlane slicePlane = SlicePlane::Axial;
    NetworkConfig network;
    int epochs = 10;
    double learningRate = 4e-4;
    int batchSize = 16;
    int patchSize = 64;
    int patchesPerImage = 64;              // patches drawn from every training image per epoch
    double validationFraction = 0.1;
    int validationInterval = 1;            // validate every n-th epoch (and always the last one)
    double n2vMaskFraction = 0.05;         // fraction of blind-spot pixels per patch
    int n2vNeighbourhood = 5;              // replacement pixel taken from this window
    bool n2vMedianReplacement = true;      // N2V2: median of the window instead of a random neighbour
    // Pixels around each blind spot hidden with it, for spatially correlated
    // noise; -1: chosen from the autocorrelation of the training slices' background.
    int n2vBlindRadius = -1;
    // Receiver coils of the sum-of-squares magnitude (non-central chi noise)
    // for noise-floor removal; 0: estimated from each slice's background.
    int noiseCoils = 0;
    NoiseModel syntheticNoise = NoiseModel::Rician;
    double syntheticSigma = 0.08;          // fraction of the intensity range
    int syntheticCoils = 1;                // Rician synthetic noise: > 1 is non-central chi of that many coils
    double syntheticCorrelation = 0.0;     // kernel std in pixels of spatially correlated noise; 0: independent
    int syntheticJpegQuality = 0;          // > 0: JPEG at this quality after the noise; 0: none
    int syntheticZeroFill = 1;             // 2..4: the noise of a k-space zero-filled by this factor; 1: none
    int syntheticSenseAcceleration = 1;    // 2..8: noise times a SENSE g-factor map of this acceleration; 1: none
    std::uint64_t seed = 0;                // 0: a random seed, reported in the result
    bool cosineSchedule = true;            // cosine decay of the learning rate over the run
    double maxTrainingSeconds = 0.0;       // > 0: stop once this time is spent; the epoch in progress
                                           // is cut short, validated, saved and counted
    bool ricianCorrection = true;          // enhancement removes the Rician noise floor (stored in the model)
    // The superres objective: factor, the thick sample's profile, and the axes
    // degraded: 1 (one, at random per patch: through-plane for volumes), 2
    // (both: in-plane for pictures), 0 (automatic: 1 when training on
    // volumes, 2 on pictures alone; see concreteSuperResolutionAxes()).
    int superresScale = 2;
    SliceProfile superresProfile = SliceProfile::Area;
    int superresAxes = 0;
    bool resume = false;                   // continue from modelFile's checkpoint
    int threads = 0;                       // 0: all cores
};

// The settings of a run with their automatic choices made. Super-resolution
// needs the slice itself at full resolution: a residual output with a top skip,
// no batch normalisation or blur pool, no neighbour slices, and no noise-floor
// removal; superres_axes 0 becomes 1 (volumes) or 2 (pictures).
TrainingOptions concreteOptions(TrainingOptions options, bool fromVolumes);

} // namespace mri
