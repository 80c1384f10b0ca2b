#pragma once

// Private to the engine. The stages of the quality benchmark, in the order
// runQualityBenchmark() (QualityBenchmark.cpp) runs them, each usable and
// testable alone: the slices and their split, the noisy sets of a noise level,
// the classical rows with their parameter sweeps, the trained rows (which
// methods, training, scoring), the score sheet and the figure.

#include "benchmark/QualityBenchmark.h"
#include "enhance/ComparisonFigure.h"
#include "model/TrainingOptions.h"

#include <opencv2/core/mat.hpp>

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace mri::benchmark {

using MessageCallback = std::function<void(const std::string &)>;
using Denoiser = std::function<cv::Mat(const cv::Mat &noisy)>;

// "12.35" with `decimals` places.
std::string formatFixed(double value, int decimals);
// A noise level as a percentage of the range: "5 %", "7.5 %".
std::string formatPercent(double sigma);

// Throws EngineError with one sentence for an unknown method, no noise level,
// a budget that is not positive, repeats outside 1..20 or a held-out share
// that leaves no training.
void checkBenchmarkOptions(const QualityBenchmarkOptions &options);

// Whether the benchmark runs `method`: every method when options.methods is empty.
bool wantsMethod(const QualityBenchmarkOptions &options, const std::string &method);

// --- Slices ------------------------------------------------------------------

struct BenchmarkSlice
{
    std::string name;
    cv::Mat clean;
};

// Every `heldOutEvery`-th slice (the middle one of each group, sorted by
// name) is held out; the rest train.
struct HeldOutSplit
{
    std::vector<std::size_t> training;
    std::vector<std::size_t> heldOut;
};
HeldOutSplit splitHeldOut(std::size_t count, int heldOutEvery);

// A set of slices that is scored: one column group of the report.
struct ScoredSlices
{
    std::string name;
    std::vector<BenchmarkSlice> slices;
};

struct BenchmarkSlices
{
    std::vector<BenchmarkSlice> training;   // the split's training slices; empty with trainOnTest
    // Split: "held-out", then one per unseen folder. trainOnTest: cleanDir
    // whole, then one per unseen folder; each named after its folder.
    std::vector<ScoredSlices> scored;
};
// Reads cleanDir (split, unless trainOnTest) and the unseen folders. Throws
// EngineError when cleanDir has too few slices to split.
BenchmarkSlices loadBenchmarkSlices(const QualityBenchmarkOptions &options);
// A folder's last path component ("a/b/" -> "b"; a demo data set's
// "demo/clean" -> "demo"); names that clash get "-2", "-3", ... in
// loadBenchmarkSlices.
std::string setNameOf(const std::filesystem::path &folder);

// --- Noisy sets of one noise level ---------------------------------------------

struct NoisySet
{
    std::string set;                        // the set's name ("training", "held-out", a folder's)
    std::vector<std::string> names;
    std::vector<cv::Mat> clean;
    std::vector<cv::Mat> noisy;
};

struct NoisySets
{
    double sigma = 0.0;
    NoisySet training;              // empty with trainOnTest
    std::vector<NoisySet> scored;   // as BenchmarkSlices::scored
};
// The slices with options.noise at options.sigmas[sigmaIndex]; repeatable for options.seed.
NoisySets makeNoisySets(const BenchmarkSlices &slices, const QualityBenchmarkOptions &options, std::size_t sigmaIndex);

// --- Scores ----------------------------------------------------------------------

struct Evaluation
{
    BenchmarkScore score;     // mean over the set
    double seconds = 0.0;     // denoising time
    double megapixels = 0.0;
};
// Denoises every noisy slice of `set` and scores it against its clean slice.
Evaluation evaluate(const NoisySet &set, const Denoiser &denoise, const std::atomic_bool &cancel);

// The rows of the report and the figure's panels, filled one noise level and
// method at a time. Each recorded score is said in one line.
class ScoreSheet
{
public:
    ScoreSheet(const QualityBenchmarkOptions &options, MessageCallback onMessage, const std::atomic_bool &cancel);

    // The noisy sets that the next rows are scored on (kept by reference until
    // the next noise level); the noise level of the figure adds its clean panel.
    void beginNoiseLevel(const NoisySets &sets);
    // Scores `denoise` on every scored set of the current noise level (or only
    // on set `onlySet`: a model trained on that set) into the method's row, and
    // adds its panel from the first set at the figure's level.
    void record(const std::string &method, const std::string &description, const Denoiser &denoise,
                const std::string &parameter, double trainSeconds, std::optional<std::size_t> onlySet = {});

    const std::vector<QualityBenchmarkRow> &rows() const { return m_rows; }
    // One slice of the first set at the largest noise level, across methods, five panels a row.
    cv::Mat renderFigure() const;

private:
    QualityBenchmarkRow &rowFor(const std::string &method, const std::string &description);

    const QualityBenchmarkOptions &m_options;
    MessageCallback m_onMessage;
    const std::atomic_bool &m_cancel;
    double m_figureSigma = 0.0;
    std::string m_figureSet;   // the name of the set the figure's slice is from
    const NoisySets *m_sets = nullptr;
    std::vector<QualityBenchmarkRow> m_rows;
    std::vector<FigurePanel> m_panels;
};

// --- Classical rows ----------------------------------------------------------------

// A method without training whose one parameter is chosen by a sweep.
struct ClassicalMethod
{
    std::string name;
    std::string description;
    std::vector<double> sweep;                      // the settings tried; one: no choice
    std::function<Denoiser(double)> make;
    std::function<std::string(double)> describe;   // the chosen setting for the report; may return ""
};

// The wanted classical methods at noise level `sigma` of images of `dataRange`.
std::vector<ClassicalMethod> classicalMethods(const QualityBenchmarkOptions &options, double sigma, double dataRange);

// The setting of `sweep` with the best mean PSNR on `set`; the first of equals.
// The classical methods choose on the held-out set itself, which favours them.
double bestSetting(const NoisySet &set, const std::vector<double> &sweep, const std::function<Denoiser(double)> &make,
                   const std::atomic_bool &cancel);

// Sweeps (on the first scored set) and scores every wanted classical method on the current noise level.
void recordClassicalRows(ScoreSheet &sheet, const QualityBenchmarkOptions &options, const NoisySets &sets,
                         const std::atomic_bool &cancel);

// --- Trained rows -------------------------------------------------------------------

struct TrainedMethod
{
    std::string name;
    std::string description;
    TrainingOptions options;
    bool trainsOnClean = false; // supervised: noise is added to clean slices during training
    double minutes = 0.0;       // training budget per noise level
};

// The wanted trained methods, then options.variants (the default pipeline with
// their settings). Throws EngineError when a variant has no name or a name
// that another row has.
std::vector<TrainedMethod> trainedMethods(const QualityBenchmarkOptions &options);

// The settings a method trains with at noise level `sigma`: its own, then
// options.settings; its time budget, no validation, the benchmark's seed. The
// model file is named after the method, `set` (when not empty), sigma and,
// with repeats, the seed.
TrainingOptions trainingOptionsFor(const TrainedMethod &method, const QualityBenchmarkOptions &options, double sigma,
                                   const std::string &set = {});

struct TrainedModel
{
    std::filesystem::path file;
    double seconds = 0.0;
    bool cancelled = false;
};
// Trains the method on the noisy (or, supervised, clean) slices of `slices`
// at noise level `sigma`; the set's name goes into the model file's name
// with trainOnTest.
TrainedModel trainMethod(const TrainedMethod &method, const QualityBenchmarkOptions &options, const NoisySet &slices,
                         double sigma, const MessageCallback &onMessage, const std::atomic_bool &cancel);

// Scores the trained model (on every set, or only on `onlySet`); the default
// pipeline also without noise-floor removal, to show what that step adds.
void recordTrainedRow(ScoreSheet &sheet, const TrainedMethod &method, const TrainedModel &model,
                      std::optional<std::size_t> onlySet = {});

// --- Repeats -------------------------------------------------------------------------

// The rows of every repeat (same methods in the same order) as one: each score
// the mean with its spread (max - min), times the mean, settings that differ
// joined with " / ".
std::vector<QualityBenchmarkRow> combineRepeats(const std::vector<std::vector<QualityBenchmarkRow>> &repeats);

} // namespace mri::benchmark
