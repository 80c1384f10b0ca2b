#include "model/TrainingSettings.h"

#include "base/EngineError.h"

#include <algorithm>
#include <initializer_list>
#include <optional>
#include <utility>

namespace mri {

namespace {

constexpr double kLargestSeed = 4611686018427387904.0; // 2^62: exact in a double and in a long long

// A reference to one member of TrainingOptions, for const and non-const options.
#define MEMBER(path) [](auto &options) -> auto & { return options.path; }

// A setting stored in a plain member: its type follows the member's.
template <typename Access>
SettingDescription field(Access access, bool networkShape = false)
{
    auto setting = settingField<SettingDescription>(access);
    setting.networkShape = networkShape;
    return setting;
}

// A setting stored as an enumeration and written as its name.
template <typename Enum, typename Access>
SettingDescription choice(Access access, std::initializer_list<Enum> values, std::string (*nameOf)(Enum),
                          std::optional<Enum> (*parse)(const std::string &))
{
    return settingChoice<SettingDescription>(access, values, nameOf, parse);
}

SettingDescription describe(SettingDescription setting, const char *key, const char *flag, ResumeRule resume, bool basic,
                            const char *label, const char *help)
{
    setting.key = key;
    setting.flag = flag;
    setting.label = label;
    setting.help = help;
    setting.resume = resume;
    setting.basic = basic;
    return setting;
}

// Model files written before the setting existed lack it and had `oldValue`.
SettingDescription introducedLater(SettingDescription setting, SettingValue oldValue)
{
    setting.valueBeforeIntroduced = std::move(oldValue);
    return setting;
}

SettingDescription ranged(SettingDescription setting, double minimum, double maximum)
{
    return rangedSetting(std::move(setting), minimum, maximum);
}

std::vector<SettingDescription> makeTable()
{
    using R = ResumeRule;
    constexpr bool kBasic = true;     // in the GUI's main form
    constexpr bool kAdvanced = false; // in its Advanced group
    constexpr bool kShape = true;     // part of the network's shape
    std::vector<SettingDescription> table;
    // Accessor and range, key, flag, resume rule, form group, label, help.
    table.push_back(describe(choice(MEMBER(objective),
                                    {TrainingObjective::Noise2Void, TrainingObjective::Identity,
                                     TrainingObjective::Synthetic, TrainingObjective::SuperResolution},
                                    objectiveName, parseObjective),
                             "objective", "objective", R::Checkpoint, kBasic,
                             MRI_TRANSLATE_NOOP("mri::TrainingSettings", "Objective"),
                             MRI_TRANSLATE_NOOP("mri::TrainingSettings",
                                                "What the network learns: n2v needs noisy slices only; synthetic "
                                                "adds noise to clean slices; superres learns to undo a coarser "
                                                "sampling from the slices themselves; identity learns to copy (for "
                                                "comparison)")));
    table.push_back(describe(choice(MEMBER(slicePlane), {SlicePlane::Axial, SlicePlane::Coronal, SlicePlane::Sagittal},
                                    slicePlaneName, parseSlicePlane),
                             "plane", "plane", R::Checkpoint, kBasic,
                             MRI_TRANSLATE_NOOP("mri::TrainingSettings", "Volume plane"),
                             MRI_TRANSLATE_NOOP("mri::TrainingSettings",
                                                "Plane that volumes (NIfTI, DICOM) are cut into, from their "
                                                "orientation: training uses its slices and enhancement follows "
                                                "it")));
    table.push_back(describe(ranged(field(MEMBER(epochs)), 1, 100000),
                             "epochs", "epochs", R::Request, kBasic,
                             MRI_TRANSLATE_NOOP("mri::TrainingSettings", "Epochs"),
                             MRI_TRANSLATE_NOOP("mri::TrainingSettings",
                                                "Passes over the training slices; a resumed run continues up to "
                                                "this total")));
    table.push_back(describe(ranged(field(MEMBER(learningRate)), 1e-8, 1.0),
                             "learning_rate", "lr", R::Checkpoint, kBasic,
                             MRI_TRANSLATE_NOOP("mri::TrainingSettings", "Learning rate"),
                             MRI_TRANSLATE_NOOP("mri::TrainingSettings",
                                                "Initial step size of the Adam optimiser")));
    table.push_back(describe(ranged(field(MEMBER(batchSize)), 1, 1024),
                             "batch_size", "batch", R::Checkpoint, kBasic,
                             MRI_TRANSLATE_NOOP("mri::TrainingSettings", "Batch size"),
                             MRI_TRANSLATE_NOOP("mri::TrainingSettings",
                                                "Patches per training step")));
    table.push_back(describe(ranged(field(MEMBER(patchSize)), 8, 1024),
                             "patch_size", "patch", R::Checkpoint, kBasic,
                             MRI_TRANSLATE_NOOP("mri::TrainingSettings", "Patch size"),
                             MRI_TRANSLATE_NOOP("mri::TrainingSettings",
                                                "Side in pixels of the square patches cut from the slices")));
    table.push_back(describe(ranged(field(MEMBER(patchesPerImage)), 1, 100000),
                             "patches_per_image", "patches-per-image", R::Checkpoint, kBasic,
                             MRI_TRANSLATE_NOOP("mri::TrainingSettings", "Patches per image"),
                             MRI_TRANSLATE_NOOP("mri::TrainingSettings",
                                                "Patches drawn from every training slice per epoch")));
    table.push_back(describe(ranged(field(MEMBER(validationFraction)), 0.0, 0.9),
                             "validation_fraction", "validation", R::Checkpoint, kBasic,
                             MRI_TRANSLATE_NOOP("mri::TrainingSettings", "Validation fraction"),
                             MRI_TRANSLATE_NOOP("mri::TrainingSettings",
                                                "Share of the slices held back to measure validation loss and PSNR")));
    table.push_back(describe(ranged(field(MEMBER(validationInterval)), 1, 1000),
                             "validation_interval", "validate-every", R::Request, kAdvanced,
                             MRI_TRANSLATE_NOOP("mri::TrainingSettings", "Validate every"),
                             MRI_TRANSLATE_NOOP("mri::TrainingSettings",
                                                "Epochs between validations (the last epoch is always validated); "
                                                "more saves time on large validation sets")));
    table.push_back(describe(ranged(field(MEMBER(seed)), 0, kLargestSeed),
                             "seed", "seed", R::RequestWhenSet, kBasic,
                             MRI_TRANSLATE_NOOP("mri::TrainingSettings", "Seed"),
                             MRI_TRANSLATE_NOOP("mri::TrainingSettings",
                                                "Same seed, same run on the same machine; 0 picks one and reports "
                                                "it")));
    table.push_back(describe(ranged(field(MEMBER(network.depth), kShape), 1, 6),
                             "depth", "depth", R::Checkpoint, kBasic,
                             MRI_TRANSLATE_NOOP("mri::TrainingSettings", "U-Net depth"),
                             MRI_TRANSLATE_NOOP("mri::TrainingSettings",
                                                "Down-sampling steps of the U-Net")));
    table.push_back(describe(ranged(field(MEMBER(network.baseChannels), kShape), 1, 256),
                             "base_channels", "base-channels", R::Checkpoint, kBasic,
                             MRI_TRANSLATE_NOOP("mri::TrainingSettings", "Base channels"),
                             MRI_TRANSLATE_NOOP("mri::TrainingSettings",
                                                "Channels of the first U-Net level, doubled per level")));
    table.push_back(describe(field(MEMBER(network.batchNorm), kShape),
                             "batch_norm", "", R::Checkpoint, kAdvanced,
                             MRI_TRANSLATE_NOOP("mri::TrainingSettings", "Batch normalisation"),
                             MRI_TRANSLATE_NOOP("mri::TrainingSettings",
                                                "Batch normalisation after each convolution")));
    table.push_back(describe(field(MEMBER(network.blurPool), kShape),
                             "blur_pool", "", R::Checkpoint, kAdvanced,
                             MRI_TRANSLATE_NOOP("mri::TrainingSettings", "Max-blur-pool"),
                             MRI_TRANSLATE_NOOP("mri::TrainingSettings",
                                                "N2V2's max-blur-pool instead of max-pool for down-sampling")));
    table.push_back(describe(field(MEMBER(network.topSkip), kShape),
                             "top_skip", "", R::Checkpoint, kAdvanced,
                             MRI_TRANSLATE_NOOP("mri::TrainingSettings", "Top skip connection"),
                             MRI_TRANSLATE_NOOP("mri::TrainingSettings",
                                                "Skip connection at full resolution (N2V2 drops it)")));
    table.push_back(describe(field(MEMBER(network.residualOutput), kShape),
                             "residual_output", "", R::Checkpoint, kAdvanced,
                             MRI_TRANSLATE_NOOP("mri::TrainingSettings", "Residual output"),
                             MRI_TRANSLATE_NOOP("mri::TrainingSettings",
                                                "Output = input + correction instead of Sigmoid of the last "
                                                "convolution")));
    table.push_back(introducedLater(
        describe(field(MEMBER(network.linearOutput), kShape),
                 "linear_output", "", R::Checkpoint, kAdvanced,
                 MRI_TRANSLATE_NOOP("mri::TrainingSettings", "Linear output"),
                 MRI_TRANSLATE_NOOP("mri::TrainingSettings",
                                    "Input standardised by the training data's mean and deviation, output "
                                    "= mean + deviation x the last convolution instead of its Sigmoid: "
                                    "learns the intensity scale in far fewer steps")),
        SettingValue(false)));
    // Older model files lack the key and load as 0, the default: single slices.
    table.push_back(introducedLater(describe(ranged(field(MEMBER(network.neighbourSlices), kShape), -1, 2),
                             "neighbour_slices", "", R::Checkpoint, kAdvanced,
                             MRI_TRANSLATE_NOOP("mri::TrainingSettings", "Neighbour slices"),
                             MRI_TRANSLATE_NOOP("mri::TrainingSettings",
                                                "2.5-D: slices on each side of a volume's slice given to the "
                                                "network as extra input channels (0: the slice alone; -1: 1 when "
                                                "training on volumes, 0 on pictures); pictures repeat their one "
                                                "slice")), SettingValue(0LL)));
    table.push_back(describe(ranged(field(MEMBER(n2vMaskFraction)), 0.001, 0.5),
                             "n2v_mask_fraction", "", R::Checkpoint, kAdvanced,
                             MRI_TRANSLATE_NOOP("mri::TrainingSettings", "Blind-spot fraction"),
                             MRI_TRANSLATE_NOOP("mri::TrainingSettings",
                                                "Share of the pixels of each patch that Noise2Void hides and "
                                                "predicts")));
    table.push_back(describe(ranged(field(MEMBER(n2vNeighbourhood)), 3, 15),
                             "n2v_neighbourhood", "", R::Checkpoint, kAdvanced,
                             MRI_TRANSLATE_NOOP("mri::TrainingSettings", "Blind-spot window"),
                             MRI_TRANSLATE_NOOP("mri::TrainingSettings",
                                                "Side of the window a blind spot's replacement value comes from")));
    table.push_back(introducedLater(
        describe(ranged(field(MEMBER(n2vBlindRadius)), -1, 6),
                 "n2v_blind_radius", "blind-radius", R::Checkpoint, kAdvanced,
                 MRI_TRANSLATE_NOOP("mri::TrainingSettings", "Blind-spot radius"),
                 MRI_TRANSLATE_NOOP("mri::TrainingSettings",
                                    "Pixels around each blind spot hidden with it, for spatially correlated "
                                    "noise (0: the pixel alone); -1: chosen from the noise's autocorrelation "
                                    "in the training slices' background")),
        SettingValue(0LL)));
    table.push_back(describe(field(MEMBER(n2vMedianReplacement)),
                             "n2v_median_replacement", "", R::Checkpoint, kAdvanced,
                             MRI_TRANSLATE_NOOP("mri::TrainingSettings", "Median replacement"),
                             MRI_TRANSLATE_NOOP("mri::TrainingSettings",
                                                "N2V2: a blind spot gets its window's median instead of a random "
                                                "neighbour")));
    table.push_back(describe(choice(MEMBER(syntheticNoise), {NoiseModel::Rician, NoiseModel::Gaussian}, noiseModelName,
                                    parseNoiseModel),
                             "synthetic_noise", "noise", R::Checkpoint, kAdvanced,
                             MRI_TRANSLATE_NOOP("mri::TrainingSettings", "Synthetic noise"),
                             MRI_TRANSLATE_NOOP("mri::TrainingSettings",
                                                "Noise the synthetic objective adds to the clean slices")));
    table.push_back(describe(ranged(field(MEMBER(syntheticSigma)), 0.0, 1.0),
                             "synthetic_sigma", "sigma", R::Checkpoint, kAdvanced,
                             MRI_TRANSLATE_NOOP("mri::TrainingSettings", "Synthetic noise sigma"),
                             MRI_TRANSLATE_NOOP("mri::TrainingSettings",
                                                "Standard deviation of that noise, as a fraction of the intensity "
                                                "range")));
    table.push_back(describe(ranged(field(MEMBER(syntheticCoils)), 1, 64),
                             "synthetic_coils", "", R::Checkpoint, kAdvanced,
                             MRI_TRANSLATE_NOOP("mri::TrainingSettings", "Synthetic noise coils"),
                             MRI_TRANSLATE_NOOP("mri::TrainingSettings",
                                                "Receive coils of Rician synthetic noise: above 1 it is non-central "
                                                "chi (sum of squares); ignored for Gaussian noise")));
    table.push_back(describe(ranged(field(MEMBER(syntheticCorrelation)), 0.0, 5.0),
                             "synthetic_correlation", "", R::Checkpoint, kAdvanced,
                             MRI_TRANSLATE_NOOP("mri::TrainingSettings", "Synthetic noise correlation"),
                             MRI_TRANSLATE_NOOP("mri::TrainingSettings",
                                                "Width in pixels (Gaussian kernel sigma) of the spatial correlation "
                                                "of the synthetic noise; 0: independent pixels")));
    table.push_back(describe(ranged(field(MEMBER(syntheticJpegQuality)), 0, 100),
                             "synthetic_jpeg_quality", "", R::Checkpoint, kAdvanced,
                             MRI_TRANSLATE_NOOP("mri::TrainingSettings", "Synthetic JPEG quality"),
                             MRI_TRANSLATE_NOOP("mri::TrainingSettings",
                                                "JPEG quality the noisy synthetic patches are compressed with; 0: "
                                                "no JPEG")));
    table.push_back(introducedLater(
        describe(ranged(field(MEMBER(syntheticZeroFill)), 1, 4),
                 "synthetic_zerofill", "", R::Checkpoint, kAdvanced,
                 MRI_TRANSLATE_NOOP("mri::TrainingSettings", "Synthetic zero-fill factor"),
                 MRI_TRANSLATE_NOOP("mri::TrainingSettings",
                                    "The synthetic noise as a k-space zero-filled by this factor makes it (drawn on "
                                    "the coarser acquired grid and interpolated), as --noise zerofill:F; 1: none; "
                                    "not with synthetic_correlation")),
        SettingValue(1LL)));
    table.push_back(introducedLater(
        describe(ranged(field(MEMBER(syntheticSenseAcceleration)), 1, 8),
                 "synthetic_sense", "", R::Checkpoint, kAdvanced,
                 MRI_TRANSLATE_NOOP("mri::TrainingSettings", "Synthetic SENSE acceleration"),
                 MRI_TRANSLATE_NOOP("mri::TrainingSettings",
                                    "The synthetic noise level varies over each patch as a parallel-imaging g-factor "
                                    "map of this acceleration, as --noise sense:R; 1: uniform")),
        SettingValue(1LL)));
    table.push_back(introducedLater(
        describe(ranged(field(MEMBER(superresScale)), 2, 4),
                 "superres_scale", "scale", R::Checkpoint, kBasic,
                 MRI_TRANSLATE_NOOP("mri::TrainingSettings", "Super-resolution factor"),
                 MRI_TRANSLATE_NOOP("mri::TrainingSettings",
                                    "The superres objective: how many times finer the result samples than the "
                                    "input (a volume's slice thickness over its in-plane pixel size)")),
        SettingValue(2LL)));
    table.push_back(introducedLater(
        describe(choice(MEMBER(superresProfile), {SliceProfile::Area, SliceProfile::Gaussian}, sliceProfileName,
                        parseSliceProfile),
                 "superres_profile", "profile", R::Checkpoint, kAdvanced,
                 MRI_TRANSLATE_NOOP("mri::TrainingSettings", "Slice profile"),
                 MRI_TRANSLATE_NOOP("mri::TrainingSettings",
                                    "How a thick slice averages the fine ones, for the superres objective: area "
                                    "(the mean of the factor's slices) or gaussian (full width at half maximum "
                                    "the factor)")),
        SettingValue(std::string("area"))));
    table.push_back(introducedLater(
        describe(ranged(field(MEMBER(superresAxes)), 0, 2),
                 "superres_axes", "", R::Checkpoint, kAdvanced,
                 MRI_TRANSLATE_NOOP("mri::TrainingSettings", "Super-resolution axes"),
                 MRI_TRANSLATE_NOOP("mri::TrainingSettings",
                                    "Axes the superres objective degrades: 1 (through-plane, for volumes with "
                                    "thick slices), 2 (in-plane, for pictures); 0: 1 when training on volumes, "
                                    "2 on pictures")),
        SettingValue(0LL)));
    table.push_back(describe(field(MEMBER(cosineSchedule)),
                             "cosine_schedule", "", R::Checkpoint, kAdvanced,
                             MRI_TRANSLATE_NOOP("mri::TrainingSettings", "Cosine schedule"),
                             MRI_TRANSLATE_NOOP("mri::TrainingSettings",
                                                "Cosine decay of the learning rate over the run, after a short "
                                                "warm-up")));
    table.push_back(describe(field(MEMBER(ricianCorrection)),
                             "rician_correction", "", R::Checkpoint, kAdvanced,
                             MRI_TRANSLATE_NOOP("mri::TrainingSettings", "Remove the noise floor"),
                             MRI_TRANSLATE_NOOP("mri::TrainingSettings",
                                                "Enhancement removes the noise floor (Rician, or non-central chi "
                                                "for several coils) measured in each slice's background")));
    table.push_back(introducedLater(
        describe(ranged(field(MEMBER(noiseCoils)), 0, 64),
                 "noise_coils", "coils", R::Checkpoint, kAdvanced,
                 MRI_TRANSLATE_NOOP("mri::TrainingSettings", "Receiver coils"),
                 MRI_TRANSLATE_NOOP("mri::TrainingSettings",
                                    "Coils of a sum-of-squares reconstruction, whose noise floor is non-central "
                                    "chi (1: Rician); 0: estimated from each slice's background")),
        SettingValue(1LL)));
    table.push_back(describe(ranged(field(MEMBER(maxTrainingSeconds)), 0.0, 1e7),
                             "max_training_seconds", "max-seconds", R::Request, kAdvanced,
                             MRI_TRANSLATE_NOOP("mri::TrainingSettings", "Time budget (s)"),
                             MRI_TRANSLATE_NOOP("mri::TrainingSettings",
                                                "Stop after this many seconds of training, the last epoch cut "
                                                "short; 0: no limit")));
    table.push_back(describe(ranged(field(MEMBER(threads)), 0, 1024),
                             "threads", "threads", R::Request, kAdvanced,
                             MRI_TRANSLATE_NOOP("mri::TrainingSettings", "Threads"),
                             MRI_TRANSLATE_NOOP("mri::TrainingSettings",
                                                "CPU threads for training; 0: all cores")));
    return table;
}

} // namespace

const std::vector<SettingDescription> &trainingSettings()
{
    static const std::vector<SettingDescription> table = makeTable();
    return table;
}

const SettingDescription *findTrainingSetting(const std::string &key)
{
    return findSetting(trainingSettings(), key);
}

const SettingDescription &trainingSetting(const std::string &key)
{
    return settingOf(trainingSettings(), key, "training");
}

SettingValue defaultSettingValue(const SettingDescription &setting)
{
    return setting.get(TrainingOptions{});
}

SettingOverride parseSettingOverride(const std::string &keyEqualsValue)
{
    const auto equals = keyEqualsValue.find('=');
    if (equals == std::string::npos)
        throw EngineError("The setting '" + keyEqualsValue + "' is not of the form key=value.");
    const auto &setting = trainingSetting(keyEqualsValue.substr(0, equals));
    return {setting.key, parseSettingValue(setting, keyEqualsValue.substr(equals + 1))};
}

void applySettingOverride(TrainingOptions &options, const SettingOverride &override)
{
    const auto &setting = trainingSetting(override.key);
    checkSettingValue(setting, override.value);
    setting.set(options, override.value);
}

void applyTrainingSetting(TrainingOptions &options, const std::string &keyEqualsValue)
{
    applySettingOverride(options, parseSettingOverride(keyEqualsValue));
}

std::string describeOverrides(const std::vector<SettingOverride> &overrides)
{
    std::string text;
    for (const auto &override : overrides) {
        text += (text.empty() ? "" : ", ") + override.key + "="
            + formatSettingValue(trainingSetting(override.key), override.value);
    }
    return text;
}

void validateTrainingOptions(const TrainingOptions &options)
{
    for (const auto &setting : trainingSettings())
        checkSettingValue(setting, setting.get(options));
    if (options.syntheticZeroFill > 1 && options.syntheticCorrelation > 0.0)
        throw EngineError("synthetic_zerofill and synthetic_correlation cannot both be set: zero-filling is itself "
                          "what correlates the noise.");
}

void validateNetworkConfig(const NetworkConfig &network)
{
    TrainingOptions options;
    options.network = network;
    for (const auto &setting : trainingSettings()) {
        if (setting.networkShape)
            checkSettingValue(setting, setting.get(options));
    }
}

TrainingOptions resolveResumedOptions(const TrainingOptions &requested, const TrainingOptions &checkpoint)
{
    TrainingOptions resolved = requested;
    for (const auto &setting : trainingSettings()) {
        const bool fromCheckpoint = setting.resume == ResumeRule::Checkpoint
            || (setting.resume == ResumeRule::RequestWhenSet && setting.get(requested) == defaultSettingValue(setting));
        if (fromCheckpoint)
            setting.set(resolved, setting.get(checkpoint));
    }
    return resolved;
}

} // namespace mri
