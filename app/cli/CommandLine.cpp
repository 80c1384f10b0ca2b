#include "CommandLine.h"

#include "base/EngineError.h"
#include "base/Version.h"
#include "benchmark/QualityBenchmark.h"
#include "dataset/DemoDataset.h"
#include "dataset/OutputPolicy.h"
#include "dataset/ResultsLocation.h"
#include "dataset/ShardPlan.h"
#include "enhance/ComparisonFigure.h"
#include "enhance/EnhanceJob.h"
#include "enhance/ShardMerge.h"
#include "enhance/SuperResolution.h"
#include "io/AtomicFile.h"
#include "io/ImageIO.h"
#include "io/ScanVolume.h"
#include "model/ModelFile.h"
#include "model/ModelInfo.h"
#include "model/TrainingSettings.h"
#include "nn/ThreadPolicy.h"
#include "quality/Metrics.h"
#include "quality/SelfCheck.h"
#include "quality/VolumeMetrics.h"
#include "training/ModelExchange.h"
#include "training/Trainer.h"
#include "RunReport.h"
#include "TerminalProgress.h"
#include "TrainingSettingOptions.h"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <limits>
#include <optional>
#include <random>
#include <sstream>
#include <type_traits>

namespace mri::cli {

namespace {

constexpr const char *kProgram = "mri-enhance";
// Seeds of the demo data, the comparison and the benchmark (2^62: exact in a double and a long long).
constexpr std::uint64_t kLargestSeed = std::uint64_t(1) << 62;

const char *kDescription = "mri-enhance: denoise and enhance MRI (slices, NIfTI volumes, DICOM series) with a U-Net, score them with PSNR and SSIM.";

const char *kFooter = R"(A dataset is a folder with brain_tumor_info.csv (columns patient_id and image_path, others kept), or a
folder of images. Results go into the dataset folder, or into the user's data folder when it is not writable.
Run 'mri-enhance COMMAND --help' for the options of a command.
Cluster: 'enhance --shard I/N' on each of N tasks, then 'merge' (see the README, "Running on a cluster").
Exit status: 0 success, 1 failure, 2 usage error, 3 some rows failed, 130 interrupted.)";

std::vector<std::string> splitList(const std::string &text)
{
    std::vector<std::string> items;
    std::stringstream stream(text);
    for (std::string item; std::getline(stream, item, ',');) {
        const auto first = item.find_first_not_of(' ');
        const auto last = item.find_last_not_of(' ');
        if (first != std::string::npos)
            items.push_back(item.substr(first, last - first + 1));
    }
    return items;
}

std::string joined(const std::vector<std::string> &items, const std::string &separator)
{
    std::string text;
    for (const auto &item : items)
        text += (text.empty() ? "" : separator) + item;
    return text;
}

template <typename T>
std::string numberText(T value)
{
    if constexpr (std::is_integral_v<T>) {
        return std::to_string(value);
    } else {
        char text[32];
        std::snprintf(text, sizeof text, "%g", value);
        return text;
    }
}

// Decimal text only (no hex, octal or trailing characters); nullopt otherwise.
template <typename T>
std::optional<T> readNumber(const std::string &text)
{
    if (text.empty() || std::isspace(static_cast<unsigned char>(text.front())))
        return std::nullopt;
    char *end = nullptr;
    if constexpr (std::is_integral_v<T>) {
        if (!std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isdigit(c); }))
            return std::nullopt;
        const auto value = std::strtoull(text.c_str(), &end, 10);
        if (value > static_cast<unsigned long long>(std::numeric_limits<T>::max()))
            return std::nullopt;
        return static_cast<T>(value);
    } else {
        const T value = static_cast<T>(std::strtod(text.c_str(), &end));
        if (end != text.c_str() + text.size())
            return std::nullopt;
        return value;
    }
}

// An option whose text `parse` turns into a value (throwing one sentence when
// it cannot); `apply` receives the value of the last occurrence.
template <typename T>
CLI::Option *addParsedOption(CLI::App &command, const std::string &name, const std::string &help,
                             std::function<T(const std::string &)> parse, std::function<void(const T &)> apply)
{
    auto *option = command.add_option_function<std::string>(
        name, [parse, apply](const std::string &text) { apply(parse(text)); }, help);
    option->check(checkedBy([parse](const std::string &text) { parse(text); }));
    return option;
}

// A number in [low, high]; the help shows the range and the default (the
// target's value before parsing, unless `defaultText` says otherwise).
template <typename T>
CLI::Option *addNumber(CLI::App &command, const std::string &name, T &target, T low, T high, const std::string &help,
                       const std::string &defaultText = {})
{
    const std::string range = std::string(std::is_integral_v<T> ? "a whole number" : "a number") + " from "
        + numberText(low) + " to " + numberText(high);
    const auto parse = [range, low, high](const std::string &text) {
        const auto value = readNumber<T>(text);
        if (!value || !(*value >= low && *value <= high)) // NaN fails too
            throw UsageError("'" + text + "' is not " + range + ".");
        return *value;
    };
    auto *option = addParsedOption<T>(command, name,
                                      help + " (" + range + "; default "
                                          + (defaultText.empty() ? numberText(target) : defaultText) + ")",
                                      parse, [&target](const T &value) { target = value; });
    return option->type_name(std::is_integral_v<T> ? "INT" : "NUMBER");
}

// One of the names of `values`, read by the engine's own parse function.
template <typename T>
CLI::Option *addChoice(CLI::App &command, const std::string &name, T &target, const std::vector<T> &values,
                       std::string (*nameOf)(T), std::optional<T> (*parseName)(const std::string &),
                       const std::string &help)
{
    std::vector<std::string> names;
    for (const auto value : values)
        names.push_back(nameOf(value));
    const auto choices = joined(names, "|");
    const auto parse = [choices, parseName](const std::string &text) {
        const auto value = parseName(text);
        if (!value)
            throw UsageError("'" + text + "' is not one of " + choices + ".");
        return *value;
    };
    auto *option = addParsedOption<T>(command, name, help + " (default " + nameOf(target) + ")", parse,
                                      [&target](const T &value) { target = value; });
    return option->type_name(choices);
}

// A noise specification such as chi:8+correlated:1.2, read by the engine's parseNoiseSpec.
CLI::Option *addNoiseSpec(CLI::App &command, NoiseSpec &target)
{
    return addParsedOption<NoiseSpec>(command, "--noise",
                                      "Noise: rician, gaussian or chi:N (N coils), optionally +correlated:K (kernel "
                                      "sigma in pixels) or +zerofill:F (k-space zero-fill by 2 to 4), +sense:R (SENSE "
                                      "g-factor map, acceleration 1 to 8) and +jpeg:Q (default "
                                          + noiseSpecName(target) + ")",
                                      parseNoiseSpec, [&target](const NoiseSpec &value) { target = value; })
        ->type_name("SPEC");
}

// A text option (a path, a list of names), shown in the help as `--name TYPE`.
CLI::Option *addText(CLI::App &command, const std::string &name, std::string &target, const std::string &typeName,
                     const std::string &help)
{
    return command.add_option(name, target, help)->type_name(typeName);
}

struct DatasetArguments
{
    std::string folder;
    std::string csv;

    Dataset open() const { return openDataset(folder, csv); }
};

void addDatasetOptions(CLI::App &command, DatasetArguments &dataset)
{
    addText(command, "--dataset", dataset.folder, "DIR", "Dataset folder (brain_tumor_info.csv, or a folder of images)")
        ->required();
    addText(command, "--csv", dataset.csv, "FILE", "The dataset's CSV when not brain_tumor_info.csv (relative to DIR)");
}

struct DemoArguments
{
    DemoDatasetOptions options;
    std::string out;
    std::string volume;
};

struct TrainArguments
{
    DatasetArguments dataset;
    std::string model;
    bool resume = false;
    std::optional<TrainingSettingOptions> settings;

    TrainingOptions options() const
    {
        TrainingOptions options;
        settings->applyTo(options);
        options.modelFile = model;
        options.resume = resume;
        return options;
    }
};

struct EnhanceArguments
{
    DatasetArguments dataset;
    EnhanceOptions options;
    std::string model;
    std::string resolutionModel;
    std::string outputDir;
    std::string metricsCsv;
    std::string perSliceCsv;
    std::string failOn = "never";
};

struct MergeArguments
{
    DatasetArguments dataset;
    std::string metricsCsv;
    bool allowMissing = false;
};

struct CompareArguments
{
    DatasetArguments dataset;
    std::string out;
    int count = 3;
    std::uint64_t seed = 0;
    std::string metricsCsv;
};

struct MetricsArguments
{
    std::string reference;
    std::string test;
};

struct CheckArguments
{
    std::string input;
    std::string result;
    double coils = 0.0;
};

struct BenchmarkArguments
{
    QualityBenchmarkOptions options;
    std::string clean;
    std::vector<std::string> unseen;
    std::string methods;
    std::string out = "benchmark-report.md";
    std::string workDir;
    std::vector<std::string> variants;
    std::vector<std::string> settings;
};

struct ExportModelArguments
{
    std::string model;
    ExchangeFormat format = ExchangeFormat::PyTorch;
    std::string out;
};

struct ImportModelArguments
{
    std::string stateDict;
    std::string out;
    std::string settingsFile;
    std::optional<TrainingSettingOptions> settings;
};

// "name:key=value,key=value". Throws UsageError.
BenchmarkVariant parseVariant(const std::string &text)
{
    const auto colon = text.find(':');
    if (colon == std::string::npos || colon == 0)
        throw UsageError("'" + text + "' is not of the form name:key=value,key=value.");
    return {text.substr(0, colon), parseSettingOverrides(splitList(text.substr(colon + 1)))};
}

SlicePlane parsePlane(const std::string &text)
{
    if (const auto plane = parseSlicePlane(text))
        return *plane;
    throw UsageError("'" + text + "' is not a plane: axial, coronal or sagittal.");
}

std::vector<std::string> parsePatientIds(const std::string &text)
{
    auto ids = splitList(text);
    if (ids.empty())
        throw UsageError("At least one patient id is needed.");
    return ids;
}

std::vector<double> parseSigmas(const std::string &text)
{
    std::vector<double> sigmas;
    for (const auto &item : splitList(text)) {
        const auto sigma = readNumber<double>(item);
        if (!sigma || !(*sigma > 0.0 && *sigma < 1.0))
            throw UsageError("Noise levels are fractions of the intensity range such as 0.05,0.10, not '" + item + "'.");
        sigmas.push_back(*sigma);
    }
    if (sigmas.empty())
        throw UsageError("At least one noise level is needed, such as 0.05,0.10.");
    return sigmas;
}

// Every command of mri-enhance, described to CLI11 and bound to the values it fills in.
struct Commands
{
    CLI::App app{kDescription, kProgram};
    DemoArguments demo;
    TrainArguments train;
    EnhanceArguments enhance;
    CompareArguments compare;
    MetricsArguments metrics;
    CheckArguments check;
    BenchmarkArguments benchmark;
    MergeArguments merge;
    std::string jsonReport;      // --json FILE of every command but metrics
    bool quiet = false;          // --quiet of every command
    bool verbose = false;        // --verbose of every command
    ExportModelArguments exportModel;
    ImportModelArguments importModel;
    CLI::App *demoCommand = nullptr;
    CLI::App *mergeCommand = nullptr;
    CLI::App *trainCommand = nullptr;
    CLI::App *enhanceCommand = nullptr;
    CLI::App *compareCommand = nullptr;
    CLI::App *metricsCommand = nullptr;
    CLI::App *checkCommand = nullptr;
    CLI::App *benchmarkCommand = nullptr;
    CLI::App *exportModelCommand = nullptr;
    CLI::App *importModelCommand = nullptr;

    Commands()
    {
        app.set_version_flag("--version", std::string(kProgram) + " " + programVersion(), "Print the version and exit");
        // As before CLI11: an option given twice takes its last value.
        app.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
        defineDemo();
        defineTrain();
        defineEnhance();
        defineCompare();
        defineMetrics();
        defineCheck();
        defineBenchmark();
        defineModelExchange();
        defineMerge();
        for (auto *command : app.get_subcommands({})) {
            auto *quietFlag = command->add_flag("--quiet", quiet, "Print only errors (and the answer of 'metrics')");
            auto *verboseFlag = command->add_flag("--verbose", verbose,
                                                  "Print details too: settings, every row's result, timings");
            quietFlag->excludes(verboseFlag);
        }
        app.footer(kFooter); // after the commands, which would inherit it
    }

    Verbosity verbosity() const
    {
        return quiet ? Verbosity::Quiet : verbose ? Verbosity::Verbose : Verbosity::Normal;
    }

    void addJsonReport(CLI::App &c)
    {
        addText(c, "--json", jsonReport, "FILE",
                "Also write a machine-readable report: version, model and its SHA-256, settings, rows done, failed "
                "and skipped, errors, timings, machine");
    }

    void defineMerge()
    {
        mergeCommand = app.add_subcommand("merge", "Join the metrics CSVs of the parts of 'enhance --shard I/N' into "
                                                   "the dataset's metrics CSV, in the dataset's row order");
        auto &c = *mergeCommand;
        addDatasetOptions(c, merge.dataset);
        addText(c, "--csv-out", merge.metricsCsv, "FILE", "Metrics CSV to write; the parts lie beside it (default: "
                                                          "brain_tumor_info_metrics.csv in the dataset's results folder)");
        c.add_flag("--allow-missing", merge.allowMissing,
                   "Write what exists when a part is missing or unfinished; its rows say so in the error column");
        addJsonReport(c);
    }

    void defineDemo()
    {
        demoCommand = app.add_subcommand("demo-dataset", "Write the demo dataset: noisy slices of a brain volume and "
                                                         "their clean originals");
        auto &c = *demoCommand;
        auto &options = demo.options;
        addText(c, "--out", demo.out, "DIR", "Folder to write the dataset to")->required();
        addChoice(c, "--format", options.format, {DemoFormat::Png, DemoFormat::Nifti, DemoFormat::Dicom}, demoFormatName,
                  parseDemoFormat, "How the patients are stored: png slices, one NIfTI volume each or one DICOM "
                                   "series each");
        addNumber(c, "--slices", options.sliceCount, 1, 1000,
                  "png: slices, evenly spaced through the brain; nifti, dicom: slices of each patient's volume");
        addNumber(c, "--patients", options.patientCount, 1, 100,
                  "nifti, dicom: volumes, cut from evenly spaced places in the brain");
        addNumber(c, "--sigma", options.sigma, 0.0, 1.0, "Noise standard deviation as a fraction of the intensity range");
        addNoiseSpec(c, options.noise);
        addNumber<std::uint64_t>(c, "--seed", options.seed, 0, kLargestSeed, "Seed of the noise");
        addText(c, "--volume", demo.volume, "FILE",
                "NIfTI volume to cut the slices from (default " + options.volumeFile.string() + ")");
        addChoice(c, "--orientation", options.orientation,
                  {SlicePlane::Axial, SlicePlane::Coronal, SlicePlane::Sagittal}, slicePlaneName,
                  parseSlicePlane, "Slice orientation");
        addJsonReport(c);
    }

    void defineTrain()
    {
        trainCommand = app.add_subcommand("train", "Train a U-Net on a dataset and save it (a checkpoint every epoch)");
        auto &c = *trainCommand;
        addDatasetOptions(c, train.dataset);
        addText(c, "--model", train.model, "FILE", "Model file to write (and to resume from)")->required();
        c.add_flag("--resume", train.resume, "Continue from the model file's checkpoint, with its own settings");
        train.settings.emplace(c);
        addJsonReport(c);
    }

    void defineEnhance()
    {
        enhanceCommand = app.add_subcommand("enhance", "Enhance the slices of a dataset and write the metrics CSV");
        auto &c = *enhanceCommand;
        addDatasetOptions(c, enhance.dataset);
        addText(c, "--model", enhance.model, "FILE",
                "Trained model file: a denoising model, or a super-resolution one (objective superres) alone")
            ->required();
        addText(c, "--resolution-model", enhance.resolutionModel, "FILE",
                "A super-resolution model applied after --model's denoising, in the same run");
        const auto &scale = trainingSetting("superres_scale");
        addNumber(c, "--scale", enhance.options.scale, static_cast<int>(scale.minimum), static_cast<int>(scale.maximum),
                  "Super-resolution factor asked for; the super-resolution model must have been trained for it. "
                  "Pictures are up-sampled in-plane, volumes along their slice axis (NIfTI out, voxel size / F)",
                  "the model's");
        c.add_flag("--through-plane", enhance.options.throughPlane,
                   "Volumes: up-sample along the slice axis of --plane (what super-resolution does to volumes); "
                   "refused for a model trained on pictures");
        addText(c, "--out-dir", enhance.outputDir, "DIR", "Folder for the enhanced slices (default: enhanced_images "
                                                          "in the dataset's results folder)");
        addText(c, "--csv-out", enhance.metricsCsv, "FILE", "Metrics CSV to write (default: brain_tumor_info_metrics.csv "
                                                            "in the dataset's results folder)");
        addParsedOption<std::vector<std::string>>(c, "--patients", "Enhance only these patients (default: all)",
                                                  parsePatientIds, [this](const std::vector<std::string> &ids) {
                                                      enhance.options.patientIds = ids;
                                                  })
            ->type_name("ID,ID,...");
        addNumber(c, "--tile", enhance.options.tileSize, 64, 16384,
                  "Largest tile side in pixels; larger slices are enhanced in overlapping tiles",
                  "chosen by the engine");
        addParsedOption<SlicePlane>(c, "--plane",
                                    "Plane along which volumes (NIfTI, DICOM) are enhanced: axial, coronal or "
                                    "sagittal, from their orientation (default: the plane the model was trained on)",
                                    parsePlane, [this](const SlicePlane &plane) { enhance.options.plane = plane; })
            ->type_name("PLANE");
        addParsedOption<ShardSpec>(
            c, "--shard",
            "Only part I of N (I from 0): patients are kept whole and parts balanced by rows; I and N may name "
            "environment variables (SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_COUNT, JOB_COMPLETION_INDEX/N). The part "
            "writes its own metrics CSV (NAME.shard-I-of-N.csv) after every row, and a rerun redoes only unfinished "
            "rows; 'merge' joins the parts",
            [](const std::string &text) {
                try {
                    return parseShardSpec(text);
                } catch (const EngineError &error) {
                    throw UsageError(error.what());
                }
            },
            [this](const ShardSpec &shard) { enhance.options.shard = shard; })
            ->type_name("I/N");
        addJsonReport(c);
        addParsedOption<ContrastStep>(
            c, "--contrast",
            "Contrast step after the network, before writing: " + contrastFormsText()
                + ". CLAHE equalises the histogram in TILES x TILES tiles, clipped at CLIP times the mean bin; gamma "
                  "maps x to x^G (below 1 brightens the darks). Default none; the metrics CSV's CNR column is the "
                  "grey/white contrast-to-noise ratio of what was written",
            [](const std::string &text) {
                try {
                    return parseContrastStep(text);
                } catch (const EngineError &error) {
                    throw UsageError(error.what());
                }
            },
            [this](const ContrastStep &step) { enhance.options.contrast = step; })
            ->type_name("STEP");
        addText(c, "--per-slice-csv", enhance.perSliceCsv, "FILE",
                "Also write PSNR and SSIM of every slice of the enhanced volumes (and pictures) to FILE");
        const auto &threads = trainingSetting("threads");
        addNumber(c, "--threads", enhance.options.threads, static_cast<int>(threads.minimum),
                  static_cast<int>(threads.maximum), "CPU threads of the network; 0: every CPU this process may use "
                  "(several parts on one machine: CPUs / parts each)");
        const auto &coils = trainingSetting("noise_coils");
        addNumber(c, "--coils", enhance.options.noiseCoils, static_cast<int>(coils.minimum),
                  static_cast<int>(coils.maximum), coils.help, "the model's setting");
        c.add_flag("!--no-noise-map", enhance.options.noiseMap,
                   "Volumes: one noise level for the whole volume. By default the noise floor follows a level "
                   "that varies over the field of view (parallel imaging: SENSE, GRAPPA), estimated from the "
                   "volume, where it varies by 20 % or more and the noise is independent between pixels");
        c.add_option("--fail-on", enhance.failOn,
                     "Count rows whose self-check (the verdict column) is this bad or worse as failed (exit 3) and "
                     "remove their results, for pipelines that must not pass them on: suspect, check or never")
            ->check(CLI::IsMember({"never", "check", "suspect"}))
            ->capture_default_str();
    }

    void defineCompare()
    {
        compareCommand = app.add_subcommand("compare", "Draw original against enhanced slices of random patients");
        auto &c = *compareCommand;
        addDatasetOptions(c, compare.dataset);
        addText(c, "--out", compare.out, "FILE.png", "Figure to write")->required();
        addNumber(c, "--count", compare.count, 1, 100, "Patients to show");
        addNumber<std::uint64_t>(c, "--seed", compare.seed, 0, kLargestSeed, "Seed of the choice; 0: random");
        addText(c, "--metrics-csv", compare.metricsCsv, "FILE", "Metrics CSV written by enhance (default: the one in "
                                                                "the dataset's results folder)");
        addJsonReport(c);
    }

    void defineMetrics()
    {
        metricsCommand = app.add_subcommand("metrics", "PSNR and SSIM of TEST against REFERENCE");
        // Not required here: a missing one gets the sentence of metricsCommand().
        addText(*metricsCommand, "REFERENCE", metrics.reference, "FILE", "Reference image, or volume (NIfTI file, DICOM file or series folder)");
        addText(*metricsCommand, "TEST", metrics.test, "FILE", "Image to score");
    }

    void defineCheck()
    {
        checkCommand = app.add_subcommand("check", "Check a denoised RESULT against its noisy INPUT without ground truth: "
                                                   "a verdict, the residual, MRIQC's measures before and after");
        addText(*checkCommand, "INPUT", check.input, "FILE", "The noisy image or volume that was denoised");
        addText(*checkCommand, "RESULT", check.result, "FILE", "The denoised result, on the input's grid");
        checkCommand->add_option("--coils", check.coils, "Receive coils of the noise (N of non-central chi); 0 "
                                                          "estimates it from the background")
            ->check(CLI::Range(0.0, 64.0))
            ->capture_default_str();
    }

    void defineBenchmark()
    {
        benchmarkCommand = app.add_subcommand("benchmark", "Measure the enhancers against ground truth and write a "
                                                           "report (.md, .csv and .png)");
        auto &c = *benchmarkCommand;
        auto &options = benchmark.options;
        addText(c, "--clean", benchmark.clean, "DIR", "Clean slices: split into training and held-out")->required();
        auto *unseen = c.add_option("--unseen", benchmark.unseen,
                                    "Clean slices of other MRI, each folder its own columns: scored, never trained on "
                                    "(with --train-on-test: trained on and scored); repeatable");
        unseen->type_name("DIR")->allow_extra_args(false);
        std::vector<std::string> sigmas;
        for (const auto sigma : options.sigmas)
            sigmas.push_back(numberText(sigma));
        addParsedOption<std::vector<double>>(c, "--sigma",
                                             "Noise levels as fractions of the intensity range (default "
                                                 + joined(sigmas, ",") + ")",
                                             parseSigmas, [&options](const std::vector<double> &value) {
                                                 options.sigmas = value;
                                             })
            ->type_name("S,S,...");
        addNoiseSpec(c, options.noise);
        addNumber(c, "--train-minutes", options.trainMinutes, 0.05, 600.0,
                  "Training budget of the default pipeline per noise level");
        addNumber(c, "--ablation-minutes", options.ablationMinutes, 0.0, 600.0,
                  "Training budget of the other trained rows; 0: the same as --train-minutes");
        addText(c, "--methods", benchmark.methods, "NAME,NAME,...",
                "Rows to run: " + joined(benchmarkMethodNames(), ", ") + " (default: all)");
        addNumber<std::uint64_t>(c, "--seed", options.seed, 1, kLargestSeed, "Seed of the noise and the training");
        addNumber(c, "--repeats", options.repeats, 1, 20,
                  "Run everything this many times with seeds SEED, SEED+1, ...; the report gives means and spreads");
        c.add_flag("--train-on-test", options.trainOnTest,
                   "As a user works: no held-out split; the trained rows train on each set's own noisy slices and "
                   "are scored on them");
        auto *variant = c.add_option("--variant", benchmark.variants,
                                     "An extra trained row: the default pipeline with these training settings; "
                                     "repeatable");
        variant->type_name("NAME:KEY=VALUE,...")->allow_extra_args(false);
        variant->check(checkedBy([](const std::string &text) { parseVariant(text); }));
        addSettingOverrideOption(c, benchmark.settings,
                                 "A training setting for every trained row, applied last (keys: see 'mri-enhance train "
                                 "--help'); repeatable");
        addText(c, "--out", benchmark.out, "REPORT", "Report to write (default " + benchmark.out + ")");
        addText(c, "--work-dir", benchmark.workDir, "DIR", "Folder for the trained models (default: REPORT-models)");
        addJsonReport(c);
    }

    void defineModelExchange()
    {
        exportModelCommand = app.add_subcommand("export-model", "Write a model's weights as a PyTorch state dict "
                                                                "(OUT) and its settings (OUT.json) for "
                                                                "python/mri_enhance_network.py");
        auto &e = *exportModelCommand;
        addText(e, "MODEL", exportModel.model, "FILE", "Trained model file")->required();
        addText(e, "OUT", exportModel.out, "FILE", "State dict to write (torch.load reads it); the settings go to "
                                                   "OUT.json")
            ->required();
        addChoice(e, "--format", exportModel.format, {ExchangeFormat::PyTorch}, exchangeFormatName,
                  parseExchangeFormat, "Format of OUT");
        addJsonReport(e);

        importModelCommand = app.add_subcommand("import-model", "Make a model file from a PyTorch state dict of "
                                                                "python/mri_enhance_network.py's network");
        auto &i = *importModelCommand;
        addText(i, "STATE_DICT", importModel.stateDict, "FILE", "Weights saved by torch.save (net.state_dict(), or a dict of tensors)")
            ->required();
        addText(i, "--out", importModel.out, "FILE", "Model file to write")->required();
        addText(i, "--settings", importModel.settingsFile, "FILE",
                "Settings of the network (JSON with a \"settings\" object; default: STATE_DICT.json when it "
                "exists, else the default network); --set and the flags below apply on top");
        // The network's shape by its dedicated flags (from the table of settings); any setting by --set.
        importModel.settings.emplace(i, [](const SettingDescription &setting) { return setting.networkShape; });
        addJsonReport(i);
    }

    // The command named first, or nullptr.
    CLI::App *commandNamed(const std::string &name)
    {
        for (auto *command : app.get_subcommands({})) {
            if (command->get_name() == name)
                return command;
        }
        return nullptr;
    }

    void parse(const std::vector<std::string> &arguments)
    {
        std::vector<std::string> reversed(arguments.rbegin(), arguments.rend()); // CLI11 takes them last first
        app.parse(reversed);
    }

    // CLI11's message as one sentence, with where to look for help.
    std::string usageSentence(const CLI::Error &error) const
    {
        const auto selected = app.get_subcommands();
        const std::string command = selected.empty() ? std::string(kProgram)
                                                     : std::string(kProgram) + " " + selected.front()->get_name();
        std::string text = error.what();
        if (dynamic_cast<const CLI::ExtrasError *>(&error)) {
            // CLI11 2.1 lists the extras last first; name them as they were typed.
            const auto extras = app.remaining(true);
            text = std::string(extras.size() > 1 ? "Unexpected arguments" : "Unexpected argument") + " for '" + command
                + "': " + joined(extras, " ");
        }
        while (!text.empty() && (text.back() == '.' || text.back() == '\n'))
            text.pop_back();
        return text + "; run '" + command + " --help'.";
    }
};

std::string lossText(double loss)
{
    char text[32];
    std::snprintf(text, sizeof text, "loss %.5f", loss);
    return text;
}

// Results that do not go into the dataset folder are announced, so the user knows where to find them.
void noteResultsLocation(const Dataset &dataset, TerminalProgress &progress)
{
    const auto location = resultsLocationFor(dataset.folder);
    if (!location.insideDataset)
        progress.warning(location.notice());
}

// What a command prints to and records in: the verbosity and the --json report (or nullptr).
struct Output
{
    Verbosity verbosity = Verbosity::Normal;
    RunReport *report = nullptr;
    std::filesystem::path reportFile; // --json FILE, or empty
};

// Checks, before any work, the command's outputs and its --json report
// against what it reads (OutputPolicy); one sentence when one would overwrite it.
void checkOutputs(OutputPolicy &policy, const Output &output)
{
    policy.addOutput(output.reportFile, "the --json report");
    policy.check();
}

std::string secondsText(double seconds)
{
    char text[32];
    std::snprintf(text, sizeof text, "%.2f s", seconds);
    return text;
}

// A JSON number, or null where JSON has none (an infinite PSNR of identical images, NaN).
ReportJson jsonNumber(double value)
{
    return std::isfinite(value) ? ReportJson(value) : ReportJson(nullptr);
}

ReportJson datasetJson(const Dataset &dataset)
{
    return {{"folder", std::filesystem::absolute(dataset.folder).lexically_normal().string()},
            {"csv", dataset.csvFile.empty() ? ReportJson(nullptr) : ReportJson(dataset.csvFile.string())},
            {"rows", dataset.rows.size()}};
}

// One row of a report: which row, and its outcome.
ReportJson rowJson(const Dataset &dataset, const EnhancedRow &row, const std::string &status)
{
    const auto &source = dataset.rows[row.rowIndex];
    ReportJson json{{"row", row.rowIndex + 1},
                        {"patient_id", source.patientId},
                        {"image_path", source.imagePathText},
                        {"status", status}};
    if (source.sourceLine > 0)
        json["line"] = source.sourceLine;
    if (row.done) {
        json["enhanced_image_path"] = row.enhancedImage.string();
        json["PSNR"] = jsonNumber(row.psnr);
        json["SSIM"] = jsonNumber(row.ssim);
        json["CNR"] = jsonNumber(row.cnr);
        json["contrast"] = row.contrast;
        json["data_range"] = jsonNumber(row.dataRange);
        json["slices"] = row.slices;
        json["format"] = row.format;
        json["scale"] = row.scale;
        if (row.scale > 1)
            json["upsampled"] = describeUpsampling(row.scale, row.upsampledAxis, row.format != "picture");
        json["metrics_grid"] = row.scale > 1 ? "input" : "enhanced";
    }
    if (row.selfCheck.verdict != Verdict::NotChecked) { // also for a row --fail-on failed
        ReportJson check = ReportJson::object();
        for (const auto &[column, text] : selfCheckFields(row.selfCheck))
            check[column] = column == "verdict" || column == "verdict_reason" ? ReportJson(text)
                                                                              : jsonNumber(parseMetric(text));
        json["self_check"] = check;
    }
    if (status != "kept")
        json["seconds"] = row.seconds;
    if (!row.error.empty())
        json["error"] = row.error;
    return json;
}

int demoDatasetCommand(const DemoArguments &arguments, const Output &output)
{
    DemoDatasetOptions options = arguments.options;
    options.outputDir = arguments.out;
    if (!arguments.volume.empty())
        options.volumeFile = arguments.volume;
    OutputPolicy policy;
    policy.protectFile(options.volumeFile, "the volume the demo is cut from");
    checkOutputs(policy, output);
    TerminalProgress progress(output.verbosity);
    const auto start = std::chrono::steady_clock::now();
    const auto result = buildDemoDataset(options, [&](int done, int total) {
        const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        progress.update("Writing slices", done, total, done > 0 ? elapsed / done * (total - done) : NAN);
    });
    progress.finish();
    if (options.format == DemoFormat::Png)
        progress.result("Wrote " + std::to_string(result.sliceCount) + " slices and " + result.csvFile.string());
    else
        progress.result("Wrote " + std::to_string(result.patientCount) + " "
                        + (options.format == DemoFormat::Nifti ? "NIfTI" : "DICOM") + " volumes of "
                        + std::to_string(result.sliceCount / result.patientCount) + " slices and "
                        + result.csvFile.string());
    return kExitSuccess;
}

int trainCommand(const TrainArguments &arguments, std::atomic_bool &cancel, const Output &output)
{
    const auto options = arguments.options();
    const auto dataset = arguments.dataset.open();
    OutputPolicy policy;
    policy.protectDataset(dataset);
    policy.addOutput(options.modelFile, "the model file (--model)");
    checkOutputs(policy, output);

    TerminalProgress progress(output.verbosity);
    TrainingCallbacks callbacks;
    callbacks.onMessage = [&](const std::string &line) { progress.message(line); };
    callbacks.onStep = [&](const TrainingStep &step) {
        progress.update("Epoch " + std::to_string(step.epoch) + "/" + std::to_string(step.epochs), step.step,
                        step.stepsPerEpoch, step.etaSeconds, lossText(step.loss));
    };
    callbacks.onEpoch = [&](const EpochSummary &epoch) {
        char line[200];
        std::snprintf(line, sizeof line, "Epoch %d/%d: train loss %.6f, validation loss %.6f, validation PSNR %s dB, %s elapsed",
                      epoch.epoch, epoch.epochs, epoch.trainLoss, epoch.validationLoss,
                      formatMetric(epoch.validationPsnr, 2).c_str(),
                      TerminalProgress::formatDuration(epoch.elapsedSeconds).c_str());
        progress.message(line);
    };
    if (output.verbosity == Verbosity::Verbose) {
        for (const auto &setting : trainingSettings())
            progress.detail("  " + setting.key + " = " + formatSettingValue(setting, setting.get(options)));
    }
    const auto result = trainModel(dataset, options, callbacks, cancel);
    progress.finish();
    if (output.report) {
        auto &report = *output.report;
        report["dataset"] = datasetJson(dataset);
        report["settings"] = ReportJson::parse(trainingSettingsJson(result.settings));
        report["seed"] = result.seed;
        report["epochs_completed"] = result.epochsCompleted;
        report["cancelled"] = result.cancelled;
        report["time_budget_reached"] = result.timeBudgetReached;
        report["counts"] = {{"training_images", result.trainingImages},
                            {"validation_images", result.validationImages},
                            {"skipped", result.skippedImages.size()}};
        report["errors"] = result.skippedImages;
        auto history = ReportJson::array();
        for (const auto &epoch : result.history)
            history.push_back({{"epoch", epoch.epoch},
                               {"train_loss", jsonNumber(epoch.trainLoss)},
                               {"validation_loss", jsonNumber(epoch.validationLoss)},
                               {"validation_psnr", jsonNumber(epoch.validationPsnr)},
                               {"elapsed_seconds", epoch.elapsedSeconds}});
        report["history"] = history;
        report.setCompute(resolveThreadCount(result.settings.threads), result.device);
        if (result.epochsCompleted > 0)
            report.setModel(options.modelFile);
    }
    if (result.cancelled) {
        if (result.epochsCompleted > 0)
            progress.warning("Training interrupted after " + std::to_string(result.epochsCompleted)
                             + " completed epochs; the model in '" + options.modelFile.string()
                             + "' can be resumed with --resume.");
        else
            progress.warning("Training interrupted before the first epoch was complete; no model was written.");
        return kExitInterrupted;
    }
    progress.result("Trained " + std::to_string(result.epochsCompleted) + " epochs (seed " + std::to_string(result.seed)
                    + "); model saved to " + options.modelFile.string());
    return kExitSuccess;
}

void reportEnhancement(RunReport &report, const Dataset &dataset, const EnhanceOptions &options,
                       const EnhanceRunResult &result, const std::vector<bool> &ranNow)
{
    report["dataset"] = datasetJson(dataset);
    report.setModel(options.modelFile, result.modelSha256);
    report.setCompute(result.threads, result.device);
    try {
        report["model"]["settings"] = ReportJson::parse(trainingSettingsJson(readModelInfo(options.modelFile).settings));
    } catch (const EngineError &) {
        report["model"]["settings"] = nullptr;
    }
    ReportJson settings{{"tile", options.tileSize > 0 ? ReportJson(options.tileSize) : ReportJson("auto")},
                            {"plane", options.plane ? ReportJson(slicePlaneName(*options.plane))
                                                    : ReportJson("model")},
                            {"coils", options.noiseCoils >= 0 ? ReportJson(options.noiseCoils)
                                                              : ReportJson("model")},
                            {"noise_map", options.noiseMap},
                            {"fail_on", options.failOn == Verdict::NotChecked ? "never" : verdictText(options.failOn)},
                            {"contrast", contrastStepText(options.contrast)},
                            {"resolution_model", options.resolutionModel.empty()
                                                     ? ReportJson(nullptr)
                                                     : ReportJson(options.resolutionModel.string())},
                            {"scale", options.scale > 0 ? ReportJson(options.scale) : ReportJson("model")},
                            {"patients", options.patientIds},
                            {"output_dir", options.outputDir.string()}};
    report["settings"] = settings;
    if (options.shard)
        report["shard"] = {{"index", options.shard->index}, {"count", options.shard->count}, {"rows", result.requested}};
    report["metrics_csv"] = result.metricsCsv.empty() ? ReportJson(nullptr) : ReportJson(result.metricsCsv.string());
    const int notRun = result.requested - result.succeeded - result.failed - result.skipped;
    report["counts"] = {{"requested", result.requested}, {"done", result.succeeded}, {"failed", result.failed},
                        {"skipped", result.skipped}, {"not_run", notRun}};
    auto rows = ReportJson::array();
    auto errors = ReportJson::array();
    double rowSeconds = 0.0;
    for (const auto &row : result.rows) {
        const bool kept = !ranNow[row.rowIndex] && row.done;
        if (!ranNow[row.rowIndex] && !kept)
            continue;
        const std::string status = kept ? "kept" : row.done ? "done" : "failed";
        rows.push_back(rowJson(dataset, row, status));
        if (status == "failed")
            errors.push_back(rows.back());
        if (!kept)
            rowSeconds += row.seconds;
    }
    report["rows"] = rows;
    report["errors"] = errors;
    const int ran = result.succeeded + result.failed;
    report["timings"] = {{"enhancing_seconds", result.elapsedSeconds},
                         {"seconds_per_row", ran > 0 ? ReportJson(rowSeconds / ran) : ReportJson(nullptr)}};
    report["cancelled"] = result.cancelled;
}

int enhanceCommand(const EnhanceArguments &arguments, std::atomic_bool &cancel, const Output &output)
{
    EnhanceOptions options = arguments.options;
    options.modelFile = arguments.model;
    options.resolutionModel = arguments.resolutionModel;
    options.outputDir = arguments.outputDir;
    options.metricsCsv = arguments.metricsCsv;
    options.perSliceCsv = arguments.perSliceCsv;
    options.failOn = verdictOf(arguments.failOn); // "never": NotChecked
    if (!output.reportFile.empty())
        options.otherOutputs.emplace_back(output.reportFile, "the --json report");
    const auto dataset = arguments.dataset.open();
    TerminalProgress progress(output.verbosity);
    if (options.outputDir.empty() || options.metricsCsv.empty())
        noteResultsLocation(dataset, progress);

    std::vector<bool> ranNow(dataset.rows.size(), false);
    EnhanceCallbacks callbacks;
    callbacks.onRow = [&](const EnhancedRow &row) {
        ranNow[row.rowIndex] = true;
        if (!row.error.empty())
            progress.warning("Failed: " + dataset.describeRow(row.rowIndex) + ": " + row.error + ".");
        else
            progress.detail(dataset.describeRow(row.rowIndex) + ": PSNR " + formatMetric(row.psnr, 4) + " dB, SSIM "
                            + formatMetric(row.ssim, 6)
                            + (row.scale > 1 ? " (on the input's grid; " + describeUpsampling(row.scale, row.upsampledAxis,
                                                                                           row.format != "picture") + ")"
                                             : std::string())
                            + ", grey/white CNR " + formatMetric(row.cnr, 2)
                            + (row.contrast == "none" ? std::string() : " after " + row.contrast) + ", "
                            + secondsText(row.seconds) + " -> " + row.enhancedImage.string());
    };
    callbacks.onProgress = [&](const EnhanceProgress &p) {
        progress.update("Enhancing", p.done, p.total, p.etaSeconds,
                        p.failed ? std::to_string(p.failed) + " failed" : std::string());
    };
    int tiledSlice = 0;
    auto firstTileDone = std::chrono::steady_clock::now();
    callbacks.onSliceProgress = [&](const SliceProgress &p) {
        // A slice of many tiles (a large one) takes long: show its tiles too.
        if (p.tilesTotal <= 1)
            return;
        const auto now = std::chrono::steady_clock::now();
        if (p.slice != tiledSlice || p.tilesDone == 1) {
            tiledSlice = p.slice;
            firstTileDone = now;
        }
        const double seconds = std::chrono::duration<double>(now - firstTileDone).count();
        const double eta = p.tilesDone > 1 ? seconds / (p.tilesDone - 1) * (p.tilesTotal - p.tilesDone) : -1.0;
        progress.update("Enhancing slice " + std::to_string(p.slice) + "/" + std::to_string(p.slices) + ", tile",
                        p.tilesDone, p.tilesTotal, eta);
    };
    callbacks.onMessage = [&](const std::string &line) { progress.message(line); };
    const auto result = enhanceDataset(dataset, options, callbacks, cancel);
    progress.finish();
    if (options.shard)
        progress.detail("Part " + shardName(*options.shard) + ": " + std::to_string(result.requested) + " of "
                        + std::to_string(dataset.rows.size()) + " rows");
    progress.detail("Model " + options.modelFile.string() + " (SHA-256 " + result.modelSha256 + "), " + result.device + ", "
                    + std::to_string(result.threads) + " threads, " + secondsText(result.elapsedSeconds));
    if (output.report)
        reportEnhancement(*output.report, dataset, options, result, ranNow);
    progress.result("Enhanced " + std::to_string(result.succeeded) + " of " + std::to_string(result.requested) + " rows ("
                    + std::to_string(result.failed) + " failed"
                    + (result.skipped > 0 ? ", " + std::to_string(result.skipped) + " done by an earlier run" : std::string())
                    + "); metrics written to " + result.metricsCsv.string());
    if (!options.perSliceCsv.empty())
        progress.result("Per-slice metrics written to " + options.perSliceCsv.string());
    if (result.cancelled) {
        progress.warning("Enhancement interrupted; the rows done so far are in '" + result.metricsCsv.string() + "'.");
        return kExitInterrupted;
    }
    return result.failed > 0 ? kExitSomeRowsFailed : kExitSuccess;
}

int mergeCommand(const MergeArguments &arguments, const Output &output)
{
    const auto dataset = arguments.dataset.open();
    TerminalProgress progress(output.verbosity);
    if (arguments.metricsCsv.empty())
        noteResultsLocation(dataset, progress);
    MergeOptions options;
    options.metricsCsv = arguments.metricsCsv;
    options.allowMissing = arguments.allowMissing;
    OutputPolicy policy;
    policy.protectDataset(dataset);
    policy.addOutput(options.metricsCsv.empty() ? defaultMetricsCsv(dataset) : options.metricsCsv,
                     "the metrics CSV (--csv-out)");
    checkOutputs(policy, output);
    const auto result = mergeShardMetrics(dataset, options);
    for (const auto &part : result.parts)
        progress.detail("Part " + shardName(part.shard) + ": " + part.file.string());
    if (output.report) {
        auto &report = *output.report;
        report["dataset"] = datasetJson(dataset);
        report["settings"] = {{"allow_missing", arguments.allowMissing}};
        report["metrics_csv"] = result.metricsCsv.string();
        auto parts = ReportJson::array();
        for (const auto &part : result.parts)
            parts.push_back({{"index", part.shard.index}, {"count", part.shard.count}, {"file", part.file.string()}});
        report["parts"] = parts;
        report["missing_parts"] = result.missingParts;
        report["model"] = {{"sha256", result.modelSha256s.empty() ? ReportJson(nullptr)
                                                                  : ReportJson(result.modelSha256s.front())}};
        report["counts"] = {{"done", result.done}, {"failed", result.failed}, {"missing", result.missing}};
        auto errors = ReportJson::array();
        for (const auto &row : result.rows) {
            if (!row.error.empty())
                errors.push_back(rowJson(dataset, row, row.done ? "done" : "failed"));
        }
        report["errors"] = errors;
    }
    if (result.missing > 0)
        progress.warning(std::to_string(result.missing) + " rows were not enhanced (missing parts "
                         + std::to_string(result.missingParts.size()) + "); the error column says so.");
    progress.result("Merged " + std::to_string(result.parts.size()) + " of " + std::to_string(result.partCount)
                    + " parts: " + std::to_string(result.done) + " rows done, " + std::to_string(result.failed)
                    + " failed, " + std::to_string(result.missing) + " missing; wrote " + result.metricsCsv.string());
    return result.failed > 0 || result.missing > 0 ? kExitSomeRowsFailed : kExitSuccess;
}

int compareCommand(const CompareArguments &arguments, const Output &output)
{
    const auto dataset = arguments.dataset.open();
    TerminalProgress progress(output.verbosity);
    if (arguments.metricsCsv.empty())
        noteResultsLocation(dataset, progress);
    const auto metricsCsv = arguments.metricsCsv.empty() ? defaultMetricsCsv(dataset)
                                                         : std::filesystem::path(arguments.metricsCsv);
    if (!std::filesystem::exists(metricsCsv))
        throw EngineError("There are no enhanced slices yet: '" + metricsCsv.string()
                          + "' does not exist; run 'mri-enhance enhance' first.");
    const auto results = readMetricsCsv(dataset, metricsCsv);
    OutputPolicy policy;
    policy.protectDataset(dataset);
    policy.protectFile(metricsCsv, "the metrics CSV it reads");
    for (const auto &row : results) {
        if (row.done)
            policy.protectFile(row.enhancedImage, "the enhanced image of " + dataset.describeRow(row.rowIndex));
    }
    policy.addOutput(arguments.out, "the figure (--out)");
    checkOutputs(policy, output);
    const int count = arguments.count;
    const auto rows = pickRandomPatients(dataset, results, count, arguments.seed ? arguments.seed : std::random_device{}());
    if (rows.empty())
        throw EngineError("No patient in '" + metricsCsv.string() + "' has an enhanced slice.");
    if (static_cast<int>(rows.size()) < count)
        progress.message("Only " + std::to_string(rows.size()) + " patients have enhanced slices; showing them all.");
    const auto figure = renderComparisonFigure(loadComparisonEntries(dataset, results, rows));
    saveImageAtomically(arguments.out, figure);
    for (const auto row : rows)
        progress.result(dataset.rows[row].patientId + "\tPSNR=" + formatMetric(results[row].psnr) + "\tSSIM="
                        + formatMetric(results[row].ssim));
    progress.result("Wrote " + arguments.out);
    return kExitSuccess;
}

int metricsCommand(const MetricsArguments &arguments)
{
    if (arguments.reference.empty() || arguments.test.empty())
        throw UsageError("'metrics' needs exactly two image files: REFERENCE TEST.");
    const auto &referenceFile = arguments.reference;
    const auto &testFile = arguments.test;
    if (scanFormatOf(referenceFile) != ScanFormat::Picture || scanFormatOf(testFile) != ScanFormat::Picture) {
        // Volumes: the 3-D metrics with the reference's declared range.
        const auto reference = readScan(referenceFile);
        const auto test = readScan(testFile);
        const auto metrics = compareVolumes(reference, test);
        std::printf("PSNR=%s SSIM=%s data_range=%s\n", formatMetric(metrics.psnr, 4).c_str(),
                    formatMetric(metrics.ssim, 6).c_str(), formatMetric(reference.dataRange, 6).c_str());
        return kExitSuccess;
    }
    const auto reference = loadGrayscaleImage(referenceFile);
    const auto test = loadGrayscaleImage(testFile);
    if (reference.size() != test.size())
        throw EngineError("'" + referenceFile + "' is " + std::to_string(reference.cols) + "x"
                          + std::to_string(reference.rows) + " but '" + testFile + "' is "
                          + std::to_string(test.cols) + "x" + std::to_string(test.rows) + ".");
    if (reference.depth() != test.depth())
        throw EngineError("'" + referenceFile + "' and '" + testFile + "' have different bit depths.");
    const auto metrics = compareImages(reference, test);
    std::printf("PSNR=%s SSIM=%s\n", formatMetric(metrics.psnr, 4).c_str(), formatMetric(metrics.ssim, 6).c_str());
    return kExitSuccess;
}

int checkCommand(const CheckArguments &arguments)
{
    if (arguments.input.empty() || arguments.result.empty())
        throw UsageError("'check' needs exactly two files: INPUT RESULT.");
    SelfCheck check;
    if (scanFormatOf(arguments.input) != ScanFormat::Picture || scanFormatOf(arguments.result) != ScanFormat::Picture) {
        const auto input = readScan(arguments.input);
        const auto result = readScan(arguments.result);
        if (input.size != result.size)
            throw EngineError("'" + arguments.result + "' is not on the grid of '" + arguments.input + "'.");
        check = checkEnhancement(input, result, arguments.coils);
    } else {
        const auto input = loadGrayscaleImage(arguments.input);
        const auto result = loadGrayscaleImage(arguments.result);
        if (input.size() != result.size())
            throw EngineError("'" + arguments.result + "' is not the size of '" + arguments.input + "'.");
        check = checkEnhancement(std::vector<cv::Mat>{input}, std::vector<cv::Mat>{result}, arguments.coils);
    }
    for (const auto &[name, value] : selfCheckFields(check))
        std::printf("%s=%s\n", name.c_str(), value.c_str());
    return check.verdict == Verdict::NotChecked ? kExitFailure : kExitSuccess;
}

QualityBenchmarkOptions benchmarkOptions(const BenchmarkArguments &arguments)
{
    QualityBenchmarkOptions options = arguments.options;
    options.cleanDir = arguments.clean;
    options.unseenDirs.assign(arguments.unseen.begin(), arguments.unseen.end());
    options.methods = splitList(arguments.methods);
    for (const auto &variant : arguments.variants)
        options.variants.push_back(parseVariant(variant));
    options.settings = parseSettingOverrides(arguments.settings);
    const std::filesystem::path out = arguments.out;
    options.workDir = !arguments.workDir.empty() ? std::filesystem::path(arguments.workDir)
                                                 : out.parent_path() / (out.stem().string() + "-models");
    return options;
}

int benchmarkCommand(const BenchmarkArguments &arguments, std::atomic_bool &cancel, const Output &output)
{
    const QualityBenchmarkOptions options = benchmarkOptions(arguments);
    const std::filesystem::path out = arguments.out;
    OutputPolicy policy;
    policy.protectFolder(options.cleanDir, "the clean slices (--clean)");
    for (const auto &unseen : options.unseenDirs)
        policy.protectFolder(unseen, "the unseen slices (--unseen)");
    auto reportBase = out;
    reportBase.replace_extension();
    for (const char *ending : {".md", ".csv", ".png"})
        policy.addOutput(reportBase.string() + ending, std::string("the report's ") + (ending + 1) + " file (--out)");
    policy.addOutputFolder(options.workDir, "the models' folder (--work-dir)");
    checkOutputs(policy, output);
    TerminalProgress progress(output.verbosity);
    QualityBenchmarkReport report;
    try {
        report = runQualityBenchmark(options, [&](const std::string &line) { progress.message(line); }, cancel);
    } catch (const EngineError &) {
        if (!cancel)
            throw;
        progress.warning("Benchmark interrupted; no report was written.");
        return kExitInterrupted;
    }
    writeBenchmarkReport(report, out);
    auto base = out;
    base.replace_extension();
    if (output.report) {
        auto &json = *output.report;
        const auto table = benchmarkCsv(report);
        auto rows = ReportJson::array();
        for (const auto &fields : table.rows) {
            ReportJson row = ReportJson::object();
            for (std::size_t c = 0; c < table.header.size() && c < fields.size(); ++c) {
                const auto number = readNumber<double>(fields[c]); // numbers as numbers, names as text
                row[table.header[c]] = number && std::isfinite(*number) ? ReportJson(*number) : ReportJson(fields[c]);
            }
            rows.push_back(row);
        }
        auto sigmas = ReportJson::array();
        for (const auto sigma : options.sigmas)
            sigmas.push_back(sigma);
        json["settings"] = {{"clean", options.cleanDir.string()},
                            {"sigmas", sigmas},
                            {"noise", noiseSpecName(options.noise)},
                            {"train_minutes", options.trainMinutes},
                            {"ablation_minutes", options.ablationMinutes},
                            {"methods", options.methods},
                            {"seed", options.seed},
                            {"repeats", options.repeats},
                            {"train_on_test", options.trainOnTest}};
        json["counts"] = {{"training_slices", report.trainingSlices},
                          {"held_out_slices", report.heldOutSlices},
                          {"unseen_slices", report.unseenSlices}};
        json["results"] = rows;
        json["report_files"] = {base.string() + ".md", base.string() + ".csv", base.string() + ".png"};
    }
    if (output.verbosity != Verbosity::Quiet)
        std::fputs(formatBenchmarkMarkdown(report).c_str(), stdout);
    progress.result("\nWrote " + base.string() + ".md, " + base.string() + ".csv and " + base.string() + ".png");
    return kExitSuccess;
}

int exportModelCommand(const ExportModelArguments &arguments, const Output &output)
{
    OutputPolicy policy;
    policy.protectFile(arguments.model, "the model file it reads");
    policy.addOutput(arguments.out, "the state dict (OUT)");
    policy.addOutput(settingsFileOf(arguments.out), "the settings file (OUT.json)");
    checkOutputs(policy, output);
    const auto exported = exportModel(arguments.model, arguments.out, arguments.format);
    TerminalProgress(output.verbosity)
        .result("Wrote " + std::to_string(exported.tensors) + " tensors to " + exported.stateDict.string()
                + " and the settings to " + exported.settingsFile.string());
    return kExitSuccess;
}

int importModelCommand(const ImportModelArguments &arguments, const Output &output)
{
    // Settings: defaults, then the settings file, then --set, then the flags.
    std::filesystem::path settingsFile = arguments.settingsFile;
    if (settingsFile.empty() && std::filesystem::exists(settingsFileOf(arguments.stateDict)))
        settingsFile = settingsFileOf(arguments.stateDict);
    TrainingOptions options = settingsFile.empty() ? TrainingOptions() : readExchangeSettings(settingsFile);
    arguments.settings->applyTo(options);
    OutputPolicy policy;
    policy.protectFile(arguments.stateDict, "the state dict it reads");
    policy.protectFile(settingsFile, "the settings file it reads");
    policy.addOutput(arguments.out, "the model file (--out)");
    checkOutputs(policy, output);
    const auto imported = importModel(arguments.stateDict, options, arguments.out);
    const std::string source = settingsFile.empty() ? "no settings file" : "settings from " + settingsFile.string();
    TerminalProgress(output.verbosity)
        .result("Imported " + std::to_string(imported.tensors) + " tensors (depth "
                + std::to_string(imported.network.depth) + ", " + std::to_string(imported.network.baseChannels)
                + " base channels, " + std::to_string(imported.network.neighbourSlices) + " neighbour slices; "
                + source + (imported.found.empty() ? "" : "; " + imported.found) + ") into " + arguments.out);
    return kExitSuccess;
}

bool asksForHelp(const std::vector<std::string> &arguments)
{
    return std::any_of(arguments.begin(), arguments.end(), [](const std::string &a) { return a == "--help" || a == "-h"; });
}

int runParsedCommand(Commands &commands, std::atomic_bool &cancel, const Output &output)
{
    if (commands.app.got_subcommand(commands.demoCommand))
        return demoDatasetCommand(commands.demo, output);
    if (commands.app.got_subcommand(commands.trainCommand))
        return trainCommand(commands.train, cancel, output);
    if (commands.app.got_subcommand(commands.enhanceCommand))
        return enhanceCommand(commands.enhance, cancel, output);
    if (commands.app.got_subcommand(commands.compareCommand))
        return compareCommand(commands.compare, output);
    if (commands.app.got_subcommand(commands.metricsCommand))
        return metricsCommand(commands.metrics);
    if (commands.app.got_subcommand(commands.checkCommand))
        return checkCommand(commands.check);
    if (commands.app.got_subcommand(commands.benchmarkCommand))
        return benchmarkCommand(commands.benchmark, cancel, output);
    if (commands.app.got_subcommand(commands.mergeCommand))
        return mergeCommand(commands.merge, output);
    if (commands.app.got_subcommand(commands.exportModelCommand))
        return exportModelCommand(commands.exportModel, output);
    if (commands.app.got_subcommand(commands.importModelCommand))
        return importModelCommand(commands.importModel, output);
    std::fputs(commands.app.help().c_str(), stderr);
    return kExitUsage;
}

// The FILE of the last --json FILE (or --json=FILE) on a command line, read
// before parsing so that a usage error still gets its report.
std::string reportFileNamedIn(const std::vector<std::string> &arguments)
{
    std::string file;
    for (std::size_t i = 0; i < arguments.size(); ++i) {
        if (arguments[i] == "--json" && i + 1 < arguments.size())
            file = arguments[i + 1];
        else if (arguments[i].rfind("--json=", 0) == 0)
            file = arguments[i].substr(7);
    }
    return file;
}

// On a usage error nothing is known of the command's inputs, so the report
// goes only where it replaces nothing of the user's: a new file, a stream or
// device node, or an earlier report of this program.
bool mayWriteReportWithoutChecks(const std::filesystem::path &file)
{
    std::error_code error;
    if (streamDescriptorOf(file) >= 0 || !std::filesystem::exists(file, error))
        return true;
    if (!std::filesystem::is_regular_file(file, error))
        return !std::filesystem::is_directory(file, error);
    std::ifstream in(file);
    const auto earlier = ReportJson::parse(in, nullptr, false);
    return earlier.is_object() && earlier.value("program", "") == kProgram;
}

// The report of a command that failed before (or in) checking its outputs;
// not written where it could replace something of the user's (the sentence
// of the failure is what the user reads then).
void writeFailureReport(const RunReport &report, const std::filesystem::path &file, int exitStatus,
                        const std::string &sentence)
{
    if (mayWriteReportWithoutChecks(file))
        report.write(file, exitStatus, sentence);
}

// A usage error's report (exit status 2 and the sentence), then the error again.
[[noreturn]] void reportUsageError(const std::vector<std::string> &arguments, const std::string &sentence)
{
    if (const std::string file = reportFileNamedIn(arguments); !file.empty())
        writeFailureReport(RunReport(arguments.front(), std::vector<std::string>(arguments.begin() + 1, arguments.end())),
                           file, kExitUsage, sentence);
    throw UsageError(sentence);
}

// Parses and runs; usage errors are thrown (UsageError, with the --json report written).
int parseAndRun(Commands &commands, const std::vector<std::string> &arguments, std::atomic_bool &cancel)
{
    const auto &first = arguments.front();
    auto *named = commands.commandNamed(first);
    // --help anywhere shows the help of the command, whatever else is on the line.
    if (asksForHelp(arguments)) {
        std::fputs((named ? named->help(kProgram) : commands.app.help()).c_str(), stdout);
        return kExitSuccess;
    }
    if (!named && first.rfind("-", 0) != 0)
        reportUsageError(arguments, "Unknown command '" + first + "'; run 'mri-enhance --help'.");
    try {
        commands.parse(arguments);
    } catch (const CLI::Success &) {
        throw;
    } catch (const CLI::Error &error) {
        reportUsageError(arguments, commands.usageSentence(error));
    }
    Output output;
    output.verbosity = commands.verbosity();
    if (commands.jsonReport.empty())
        return runParsedCommand(commands, cancel, output);
    // The report is written however the command ends, with its exit status and sentence.
    RunReport report(first, std::vector<std::string>(arguments.begin() + 1, arguments.end()));
    output.report = &report;
    output.reportFile = commands.jsonReport;
    const std::filesystem::path reportFile = commands.jsonReport;
    int status = kExitFailure;
    // A command that failed may not have checked its outputs yet (or refused
    // the report's path): its report replaces only what may be replaced unchecked.
    const auto reportFailure = [&](int exitStatus, const std::string &sentence) {
        writeFailureReport(report, reportFile, exitStatus, sentence);
    };
    try {
        status = runParsedCommand(commands, cancel, output);
    } catch (const UsageError &error) {
        reportFailure(kExitUsage, error.what());
        throw;
    } catch (const EngineError &error) {
        reportFailure(kExitFailure, error.what());
        throw;
    } catch (const std::exception &error) {
        reportFailure(kExitFailure, std::string("unexpected failure: ") + error.what());
        throw;
    }
    report.write(reportFile, status, {});
    if (output.verbosity == Verbosity::Verbose)
        std::fprintf(stderr, "Report written to %s\n", reportFile.c_str());
    return status;
}

} // namespace

int run(const std::vector<std::string> &arguments, std::atomic_bool &cancel)
{
    Commands commands;
    if (arguments.empty()) {
        std::fputs(commands.app.help().c_str(), stderr);
        return kExitUsage;
    }
    try {
        return parseAndRun(commands, arguments, cancel);
    } catch (const CLI::CallForVersion &version) {
        std::printf("%s\n", version.what());
        return kExitSuccess;
    } catch (const CLI::Success &) {
        std::fputs(commands.app.help().c_str(), stdout);
        return kExitSuccess;
    } catch (const CLI::Error &error) {
        std::fprintf(stderr, "%s: %s\n", kProgram, commands.usageSentence(error).c_str());
        return kExitUsage;
    } catch (const UsageError &error) {
        std::fprintf(stderr, "%s: %s\n", kProgram, error.what());
        return kExitUsage;
    } catch (const EngineError &error) {
        std::fprintf(stderr, "%s: %s\n", kProgram, error.what());
        return kExitFailure;
    } catch (const std::exception &error) {
        std::fprintf(stderr, "%s: unexpected failure: %s\n", kProgram, error.what());
        return kExitFailure;
    }
}

namespace {

// Parses `arguments` as those after `command`'s name, without running it. Throws UsageError.
void parseCommand(Commands &commands, const CLI::App &command, const std::vector<std::string> &arguments)
{
    std::vector<std::string> line{command.get_name()};
    line.insert(line.end(), arguments.begin(), arguments.end());
    try {
        commands.parse(line);
    } catch (const CLI::Error &error) {
        throw UsageError(commands.usageSentence(error));
    }
}

} // namespace

TrainingOptions parseTrainOptions(const std::vector<std::string> &arguments)
{
    Commands commands;
    parseCommand(commands, *commands.trainCommand, arguments);
    return commands.train.options();
}

QualityBenchmarkOptions parseBenchmarkOptions(const std::vector<std::string> &arguments)
{
    Commands commands;
    parseCommand(commands, *commands.benchmarkCommand, arguments);
    return benchmarkOptions(commands.benchmark);
}

} // namespace mri::cli
