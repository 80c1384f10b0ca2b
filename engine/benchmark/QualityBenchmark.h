#pragma once

#include "io/CsvTable.h"
#include "model/TrainingSettings.h"
#include "quality/Noise.h"

#include <opencv2/core/mat.hpp>

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace mri {

// An extra trained row: the default pipeline with some settings changed.
struct BenchmarkVariant
{
    std::string name;                       // the row's name; must not clash with a method or another variant
    std::vector<SettingOverride> settings;  // on top of the default pipeline's options
};

// Measures enhancement against ground truth: clean slices get synthetic noise,
// each method denoises noisy slices it was not trained on (or, with
// trainOnTest, the very slices its model was trained on, as a user works),
// and PSNR/SSIM are taken against the clean ones. Self-supervised models
// train on noisy slices only.
struct QualityBenchmarkOptions
{
    std::filesystem::path cleanDir;        // clean slices: split into training and held-out
    // Clean slices of other MRI, each folder its own column group: scored, never
    // trained on (with trainOnTest: each trains its own models on its own slices).
    std::vector<std::filesystem::path> unseenDirs;
    std::filesystem::path workDir;         // trained models are kept here
    std::vector<double> sigmas{0.05, 0.10};
    NoiseSpec noise;                       // default: Rician
    double trainMinutes = 10.0;            // training budget of the default pipeline and synthetic, per noise level
    double ablationMinutes = 0.0;          // budget of the other trained rows; 0: trainMinutes
    int heldOutEvery = 4;                  // every n-th slice (sorted by name) is held out
    std::uint64_t seed = 1;
    int repeats = 1;                       // the whole benchmark with seeds seed, seed+1, ...: mean and spread
    // As a user works: no held-out split; every set (cleanDir and each unseen
    // folder) trains its own models on its own noisy slices and is scored on them.
    bool trainOnTest = false;
    std::vector<std::string> methods;      // empty: all of benchmarkMethodNames()
    // Extra trained rows, trained for ablationMinutes.
    std::vector<BenchmarkVariant> variants;
    // Settings applied to every trained row last (e.g. a smaller network for a
    // quick run, or epochs=N to train a fixed number of epochs within the time
    // budget); recorded in the report.
    std::vector<SettingOverride> settings;
};

// A score; with repeats the mean over them, and the spread (max - min).
struct BenchmarkScore
{
    double psnr = 0.0;
    double ssim = 0.0;
    double psnrSpread = 0.0;
    double ssimSpread = 0.0;
};

// A scored set of slices: one column group of the report.
struct BenchmarkSetInfo
{
    std::string name;                      // "held-out", or the folder's last path component
    int slices = 0;
};

struct QualityBenchmarkRow
{
    std::string method;
    std::string description;
    std::vector<std::string> parameter;    // per sigma: the chosen setting (blur sigma, NLM h), if any
    std::vector<std::vector<BenchmarkScore>> scores; // per scored set (report.sets), per sigma: mean over its slices
    double trainSeconds = 0.0;             // mean per sigma (and set); 0 for untrained methods
    double msPerMegapixel = 0.0;           // to enhance one megapixel
};

struct QualityBenchmarkReport
{
    QualityBenchmarkOptions options;
    int trainingSlices = 0;                // of the split; 0 with trainOnTest
    int heldOutSlices = 0;                 // 0 with trainOnTest
    int unseenSlices = 0;                  // over all unseen folders
    std::vector<BenchmarkSetInfo> sets;    // the column groups, in order
    std::string machine;                   // CPU model and cores
    std::string date;                      // UTC, ISO 8601
    std::vector<QualityBenchmarkRow> rows; // with repeats: means and spreads
    std::vector<std::vector<QualityBenchmarkRow>> repeatRows; // per repeat
    cv::Mat figure;                        // one slice of the first set at the largest sigma, across methods
};

// "noisy", "gaussian-blur", "nlm", "n2v", "identity", "synthetic", "default".
const std::vector<std::string> &benchmarkMethodNames();

// Blocking; call from a worker thread or the command line. Throws EngineError.
QualityBenchmarkReport runQualityBenchmark(const QualityBenchmarkOptions &options,
                                           const std::function<void(const std::string &)> &onMessage,
                                           const std::atomic_bool &cancel);

std::string formatBenchmarkMarkdown(const QualityBenchmarkReport &report);
CsvTable benchmarkCsv(const QualityBenchmarkReport &report);
// Writes REPORT.md, REPORT.csv and REPORT.png for the path REPORT (any extension is replaced).
void writeBenchmarkReport(const QualityBenchmarkReport &report, const std::filesystem::path &reportPath);

} // namespace mri
