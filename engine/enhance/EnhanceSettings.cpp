#include "enhance/EnhanceSettings.h"

#include "image/ContrastStep.h"
#include "io/SlicePlane.h"
#include "model/TrainingSettings.h"
#include "nn/TileSize.h"
#include "quality/SelfCheck.h"

#include <utility>

namespace mri {

namespace {

using Description = EnhanceSettingDescription;

// A reference to one member of EnhanceOptions, for const and non-const options.
#define MEMBER(path) [](auto &options) -> auto & { return options.path; }

Description describe(Description setting, const char *key, const char *flag, bool gui, const char *label,
                     const char *help)
{
    setting.key = key;
    setting.flag = flag;
    setting.gui = gui;
    setting.label = label;
    setting.help = help;
    return setting;
}

Description ranged(Description setting, double minimum, double maximum)
{
    return rangedSetting(std::move(setting), minimum, maximum);
}

// The range of the training setting of the same meaning: one range for both.
Description rangedAs(Description setting, const std::string &trainingKey)
{
    const auto &training = trainingSetting(trainingKey);
    return ranged(std::move(setting), training.minimum, training.maximum);
}

// `value` (outside the range) means "not set": written as `name`.
Description unsetAs(Description setting, const char *name, SettingValue value)
{
    setting.unsetName = name;
    setting.unsetValue = std::move(value);
    return setting;
}

// The plane, or the model's when not set.
Description planeSetting()
{
    Description setting;
    setting.type = SettingType::Choice;
    for (const auto plane : {SlicePlane::Axial, SlicePlane::Coronal, SlicePlane::Sagittal})
        setting.choices.push_back(slicePlaneName(plane));
    setting.get = [](const EnhanceOptions &options) {
        return SettingValue(options.plane ? slicePlaneName(*options.plane) : std::string("model"));
    };
    setting.set = [](EnhanceOptions &options, const SettingValue &value) {
        options.plane = parseSlicePlane(std::get<std::string>(value)); // "model": none
    };
    return unsetAs(std::move(setting), "model", std::string("model"));
}

Description failOnSetting()
{
    Description setting;
    setting.type = SettingType::Choice;
    setting.choices = {"never", "check", "suspect"};
    setting.get = [](const EnhanceOptions &options) {
        return SettingValue(options.failOn == Verdict::NotChecked ? std::string("never") : verdictText(options.failOn));
    };
    setting.set = [](EnhanceOptions &options, const SettingValue &value) {
        options.failOn = verdictOf(std::get<std::string>(value)); // "never": NotChecked
    };
    return setting;
}

// The contrast step in its text form ("clahe:2,8"), read by the engine's
// parser: its parameters keep their own table (image/ContrastStep.h).
Description contrastSetting()
{
    Description setting;
    setting.type = SettingType::Choice;
    setting.readForm = [](const std::string &text) { return contrastStepText(parseContrastStep(text)); };
    setting.forms = contrastFormsText();
    setting.get = [](const EnhanceOptions &options) { return SettingValue(contrastStepText(options.contrast)); };
    setting.set = [](EnhanceOptions &options, const SettingValue &value) {
        options.contrast = parseContrastStep(std::get<std::string>(value));
    };
    return setting;
}

std::vector<Description> makeTable()
{
    [[maybe_unused]] constexpr bool kInGui = true; // also an editor among the GUI's enhance controls
    constexpr bool kCliOnly = false;                // the command line's only
    std::vector<Description> table;
    // Accessor and range, key, flag, GUI, label, help. A Boolean's flag
    // switches it away from its default (--no-... for one that is on by default).
    table.push_back(describe(unsetAs(ranged(settingField<Description>(MEMBER(tileSize)), nn::kMinimumTileSize,
                                            nn::kMaximumTileSize),
                                     "auto", 0LL),
                             "tile", "tile", kCliOnly,
                             MRI_TRANSLATE_NOOP("mri::EnhanceSettings", "Largest tile"),
                             MRI_TRANSLATE_NOOP("mri::EnhanceSettings",
                                                "Largest tile side in pixels; larger slices are enhanced in "
                                                "overlapping tiles; auto: chosen by the engine")));
    table.push_back(describe(planeSetting(), "plane", "plane", kCliOnly,
                             MRI_TRANSLATE_NOOP("mri::EnhanceSettings", "Volume plane"),
                             MRI_TRANSLATE_NOOP("mri::EnhanceSettings",
                                                "Plane along which volumes (NIfTI, DICOM) are enhanced, from their "
                                                "orientation; model: the plane the model was trained on")));
    table.push_back(describe(unsetAs(rangedAs(settingField<Description>(MEMBER(noiseCoils)), "noise_coils"), "model",
                                     -1LL),
                             "coils", "coils", kCliOnly,
                             MRI_TRANSLATE_NOOP("mri::EnhanceSettings", "Receiver coils"),
                             MRI_TRANSLATE_NOOP("mri::EnhanceSettings",
                                                "Coils of a sum-of-squares reconstruction, whose noise floor is "
                                                "non-central chi (1: Rician); 0: estimated from each slice's "
                                                "background; model: the model's setting")));
    table.push_back(describe(settingField<Description>(MEMBER(noiseMap)), "noise_map", "no-noise-map", kCliOnly,
                             MRI_TRANSLATE_NOOP("mri::EnhanceSettings", "Noise level map"),
                             MRI_TRANSLATE_NOOP("mri::EnhanceSettings",
                                                "Volumes: the noise floor follows a level that varies over the field "
                                                "of view (parallel imaging: SENSE, GRAPPA), estimated from the "
                                                "volume, where it varies by 20 % or more and the noise is "
                                                "independent between pixels; off: one noise level for the whole "
                                                "volume")));
    table.push_back(describe(settingField<Description>(MEMBER(mirrorAverage)), "mirror_average", "no-mirror-average",
                             kCliOnly,
                             MRI_TRANSLATE_NOOP("mri::EnhanceSettings", "Mirror average"),
                             MRI_TRANSLATE_NOOP("mri::EnhanceSettings",
                                                "A denoising model's prediction is the mean over the tile and its "
                                                "three mirror images (left-right, up-down, both), 0.1 to 0.5 dB "
                                                "better on the README's measurements; models that already take many "
                                                "passes (large blind spots) are not averaged; off: one pass through "
                                                "the network per tile, 4 times faster")));
    table.push_back(describe(failOnSetting(), "fail_on", "fail-on", kCliOnly,
                             MRI_TRANSLATE_NOOP("mri::EnhanceSettings", "Fail on"),
                             MRI_TRANSLATE_NOOP("mri::EnhanceSettings",
                                                "Count rows whose self-check (the verdict column) is this bad or worse "
                                                "as failed (exit 3) and remove their results, for pipelines that must "
                                                "not pass them on")));
    table.push_back(describe(contrastSetting(), "contrast", "contrast", kCliOnly,
                             MRI_TRANSLATE_NOOP("mri::EnhanceSettings", "Contrast after enhancing"),
                             MRI_TRANSLATE_NOOP("mri::EnhanceSettings",
                                                "Contrast step after the network, before writing. CLAHE equalises the "
                                                "histogram in TILES x TILES tiles, clipped at CLIP times the mean "
                                                "bin; gamma maps x to x^G (below 1 brightens the darks). The metrics "
                                                "CSV's CNR column is the grey/white contrast-to-noise ratio of what "
                                                "was written")));
    table.push_back(describe(unsetAs(rangedAs(settingField<Description>(MEMBER(scale)), "superres_scale"), "model", 0LL),
                             "scale", "scale", kCliOnly,
                             MRI_TRANSLATE_NOOP("mri::EnhanceSettings", "Super-resolution factor"),
                             MRI_TRANSLATE_NOOP("mri::EnhanceSettings",
                                                "Super-resolution factor asked for; the super-resolution model must "
                                                "have been trained for it. Pictures are up-sampled in-plane, volumes "
                                                "along their slice axis (NIfTI out, voxel size / F); model: the "
                                                "model's")));
    table.push_back(describe(settingField<Description>(MEMBER(throughPlane)), "through_plane", "through-plane", kCliOnly,
                             MRI_TRANSLATE_NOOP("mri::EnhanceSettings", "Through-plane"),
                             MRI_TRANSLATE_NOOP("mri::EnhanceSettings",
                                                "Volumes: up-sample along the slice axis of the plane (what "
                                                "super-resolution does to volumes); refused for a model trained on "
                                                "pictures")));
    table.push_back(describe(rangedAs(settingField<Description>(MEMBER(threads)), "threads"), "threads", "threads",
                             kCliOnly,
                             MRI_TRANSLATE_NOOP("mri::EnhanceSettings", "Threads"),
                             MRI_TRANSLATE_NOOP("mri::EnhanceSettings",
                                                "CPU threads of the network; 0: every CPU this process may use "
                                                "(several parts on one machine: CPUs / parts each)")));
    return table;
}

#undef MEMBER

} // namespace

const std::vector<EnhanceSettingDescription> &enhanceSettings()
{
    static const std::vector<EnhanceSettingDescription> table = makeTable();
    return table;
}

const EnhanceSettingDescription *findEnhanceSetting(const std::string &key)
{
    return findSetting(enhanceSettings(), key);
}

const EnhanceSettingDescription &enhanceSetting(const std::string &key)
{
    return settingOf(enhanceSettings(), key, "enhance");
}

SettingValue defaultSettingValue(const EnhanceSettingDescription &setting)
{
    return setting.get(EnhanceOptions{});
}

void applyEnhanceSetting(EnhanceOptions &options, const std::string &key, const std::string &text)
{
    const auto &setting = enhanceSetting(key);
    setting.set(options, parseSettingValue(setting, text));
}

void validateEnhanceOptions(const EnhanceOptions &options)
{
    for (const auto &setting : enhanceSettings())
        checkSettingValue(setting, setting.get(options));
}

} // namespace mri
