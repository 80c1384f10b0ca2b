// Speed and memory of the engine on this machine.
//   bench_speed [--quick] [--threads N]            enhancement in ms per megapixel for several
//                                                   slice sizes (whole and tiled), training s per step
//   bench_speed --compare [--quick] [--threads N]  the engine against the same U-Net written plainly
//                                                   in PyTorch (benchmarks/python_twin.py), one table
//   bench_speed --large [SIDE] [--threads N]       one SIDE x SIDE slice (default 16000), ours only,
//                                                   with the process's peak resident memory
// --large runs in a process of its own so that its peak memory is not hidden
// by the other sizes.
#include "enhance/Enhancer.h"
#include "io/ImageIO.h"
#include "nn/ThreadPolicy.h"
#include "quality/Noise.h"
#include "training/Trainer.h"
#include "NetworkCost.h"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <opencv2/imgproc.hpp>

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <string>
#include <thread>
#include <vector>

#ifndef MRI_PYTHON_TWIN
#define MRI_PYTHON_TWIN "benchmarks/python_twin.py"
#endif

namespace {

using Clock = std::chrono::steady_clock;

constexpr const char *kPython = "/usr/bin/python3";
// Slices larger than this are not run whole by the Python twin: one forward
// pass needs about 400 bytes per pixel (measured: 1.9 GB peak at 2048^2).
constexpr int kPythonMaxSize = 4096;

double seconds(Clock::time_point since)
{
    return std::chrono::duration<double>(Clock::now() - since).count();
}

double peakMemoryMiB()
{
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return usage.ru_maxrss / 1024.0;
}

double median(std::vector<double> values)
{
    if (values.empty())
        return std::nan("");
    std::sort(values.begin(), values.end());
    const auto middle = values.size() / 2;
    return values.size() % 2 ? values[middle] : (values[middle - 1] + values[middle]) / 2;
}

std::string cpuModel()
{
    std::ifstream cpuinfo("/proc/cpuinfo");
    for (std::string line; std::getline(cpuinfo, line);) {
        if (line.rfind("model name", 0) == 0) {
            const auto colon = line.find(':');
            return colon == std::string::npos ? line : line.substr(line.find_first_not_of(' ', colon + 1));
        }
    }
    return "unknown CPU";
}

// More repeats of small sizes; the minimum is reported. python_twin.py uses the same rule.
int repeatsFor(int size)
{
    return size <= 512 ? 5 : size <= 1024 ? 3 : 2;
}

cv::Mat syntheticSlice(int width, int height)
{
    cv::Mat slice(height, width, CV_32FC1, cv::Scalar(0));
    cv::ellipse(slice, {width / 2, height / 2}, {width * 2 / 5, height * 9 / 20}, 0, 0, 360, cv::Scalar(0.6), cv::FILLED);
    cv::circle(slice, {width / 3, height / 2}, std::max(1, width / 10), cv::Scalar(0.9), cv::FILLED);
    return mri::fromUnitFloat(mri::addNoise(slice, mri::NoiseModel::Rician, 0.08, 1), CV_8U);
}

struct TrainedModel
{
    mri::TrainingOptions options;
    double totalSeconds = 0.0;
    long long steps = 0;
    std::vector<double> stepSeconds; // between consecutive steps, the first two left out (warm-up)
};

// Trains the default network for one short epoch on 256 x 256 synthetic
// slices: the benchmark's model, with realistic batch-norm statistics.
TrainedModel trainModel(const std::filesystem::path &folder, int patchesPerImage, int threads)
{
    std::vector<mri::TrainingSlice> slices;
    for (int i = 0; i < 8; ++i)
        slices.push_back({"s" + std::to_string(i), syntheticSlice(256, 256), {}, {}});
    TrainedModel model;
    auto &options = model.options;
    options.modelFile = folder / "bench.pt";
    options.epochs = 1;
    options.patchesPerImage = patchesPerImage;
    options.validationFraction = 0.0;
    options.seed = 1;
    options.threads = threads;
    std::vector<Clock::time_point> stamps;
    mri::TrainingCallbacks callbacks;
    callbacks.onStep = [&](const mri::TrainingStep &) { stamps.push_back(Clock::now()); };
    std::atomic_bool cancel{false};
    const auto start = Clock::now();
    mri::trainOnSlices(slices, options, callbacks, cancel);
    model.totalSeconds = seconds(start);
    model.steps = static_cast<long long>(stamps.size());
    for (std::size_t i = 3; i < stamps.size(); ++i)
        model.stepSeconds.push_back(std::chrono::duration<double>(stamps[i] - stamps[i - 1]).count());
    if (model.stepSeconds.empty() && stamps.size() >= 2)
        model.stepSeconds.push_back(std::chrono::duration<double>(stamps.back() - stamps.front()).count()
                                    / double(stamps.size() - 1));
    return model;
}

mri::Enhancer loadEnhancer(const std::filesystem::path &modelFile, int threads)
{
    auto enhancer = mri::Enhancer::load(modelFile);
    mri::useThreads(threads); // load() asks for every core
    return enhancer;
}

// Min over repeatsFor(size) runs of Enhancer::enhance on a size x size slice, in seconds.
double timeEnhance(const mri::Enhancer &enhancer, int size)
{
    const cv::Mat slice = syntheticSlice(size, size);
    double best = std::numeric_limits<double>::infinity();
    for (int r = 0; r < repeatsFor(size); ++r) {
        const auto start = Clock::now();
        enhancer.enhance(slice);
        best = std::min(best, seconds(start));
    }
    return best;
}

void printMachine(int threads)
{
    std::printf("machine: %s, %u cores (%d in this process's affinity mask), %d threads used\n", cpuModel().c_str(),
                std::thread::hardware_concurrency(), mri::availableCpuCount(), threads);
}

// The original report: whole and tiled enhancement, training per step.
void runPlain(const std::filesystem::path &folder, bool quick, int threads)
{
    const auto model = trainModel(folder, quick ? 4 : 16, threads);
    const auto &options = model.options;
    const long long steps = std::max(1LL, model.steps);
    std::printf("training (default network %dx%d, batch %d of %dx%d patches): %.3f s per step, %.1f s per epoch of %lld steps\n",
                options.network.depth, options.network.baseChannels, options.batchSize, options.patchSize,
                options.patchSize, model.totalSeconds / steps, model.totalSeconds, steps);

    auto enhancer = loadEnhancer(options.modelFile, threads);
    std::vector<int> sizes = {256, 512, 1024};
    if (!quick)
        sizes.push_back(2048);
    for (const int size : sizes) {
        for (const int tile : {4096, 512}) {
            enhancer.setTiling(tile);
            enhancer.enhance(syntheticSlice(size, size)); // warm-up
            const double each = timeEnhance(enhancer, size);
            std::printf("enhance %4dx%-4d tile %4d: %7.1f ms per slice, %7.1f ms per megapixel, %6.2f slices/s\n", size,
                        size, tile, each * 1000, each * 1000 / (size * size / 1e6), 1.0 / each);
        }
    }
}

void runLarge(const std::filesystem::path &folder, int side, int threads)
{
    // A short training (2 steps): its memory stays well below the large slice's.
    const auto model = trainModel(folder, 4, threads);
    const auto enhancer = loadEnhancer(model.options.modelFile, threads);
    const cv::Mat large = syntheticSlice(side, side);
    const double before = peakMemoryMiB();
    const auto start = Clock::now();
    const cv::Mat output = enhancer.enhance(large);
    const double elapsed = seconds(start);
    const double megapixels = double(side) * side / 1e6;
    const double gflops = 2.0 * mri::bench::unetMultiplyAccumulates(model.options.network, side, side) / elapsed / 1e9;
    std::printf("enhance %dx%d (ours, tiles of %d): %.1f s, %.1f ms per megapixel, %.1f GFLOP/s, peak resident memory "
                "%.0f MiB (%.0f MiB before; the 8-bit slice itself is %.1f MiB)\n",
                side, side, enhancer.tileSize(), elapsed, elapsed * 1000 / megapixels, gflops, peakMemoryMiB(), before,
                megapixels / 1.048576);
}

struct PythonResults
{
    bool ran = false;
    std::string version;
    long long parameters = -1;
    double stepMin = std::nan("");
    double stepMedian = std::nan("");
    std::map<int, double> inferenceMs; // per size, one whole-slice forward pass
    std::map<int, std::string> skipped;
    double checkDifference = std::nan(""); // max |twin - ours| with our weights on the same input
    double checkScale = std::nan("");      // max |ours| there
};

// Our network's output on one float slice, written with the input as raw
// float32 for the Python twin to run with our model's weights: both networks
// must give the same numbers, not only the same parameter count.
std::string writeEquivalenceCheck(mri::Enhancer &enhancer, const std::filesystem::path &modelFile,
                                  const std::filesystem::path &folder, int size)
{
    const cv::Mat input = mri::toUnitFloat(syntheticSlice(size, size));
    const bool correction = enhancer.ricianCorrection();
    enhancer.setRicianCorrection(false); // the network alone
    const cv::Mat output = enhancer.enhanceUnit(input);
    enhancer.setRicianCorrection(correction);
    const auto write = [](const std::filesystem::path &file, const cv::Mat &image) {
        std::ofstream out(file, std::ios::binary);
        out.write(reinterpret_cast<const char *>(image.ptr<float>()), std::streamsize(image.total() * sizeof(float)));
    };
    write(folder / "check-input.raw", input);
    write(folder / "check-output.raw", output);
    return " --check-model '" + modelFile.string() + "' --check-input '" + (folder / "check-input.raw").string()
        + "' --check-output '" + (folder / "check-output.raw").string() + "' --check-size " + std::to_string(size);
}

PythonResults runPythonTwin(const std::vector<int> &sizes, int threads, const mri::TrainingOptions &options,
                            int trainSteps, const std::string &checkArguments)
{
    PythonResults results;
    const std::filesystem::path script = MRI_PYTHON_TWIN;
    if (!std::filesystem::exists(script)) {
        std::printf("The Python twin was not run: %s is missing.\n", script.c_str());
        return results;
    }
    const std::string check = std::string(kPython) + " -c 'import torch' >/dev/null 2>&1";
    if (std::system(check.c_str()) != 0) {
        std::printf("The Python twin was not run: %s with PyTorch (Debian python3-torch) is not installed.\n", kPython);
        return results;
    }
    std::string sizeList;
    for (const int size : sizes)
        sizeList += (sizeList.empty() ? "" : ",") + std::to_string(size);
    const std::string command = std::string(kPython) + " '" + script.string() + "' --threads " + std::to_string(threads)
        + " --sizes " + sizeList + " --max-size " + std::to_string(kPythonMaxSize) + " --batch "
        + std::to_string(options.batchSize) + " --patch " + std::to_string(options.patchSize) + " --train-steps "
        + std::to_string(trainSteps) + " --depth " + std::to_string(options.network.depth) + " --base-channels "
        + std::to_string(options.network.baseChannels) + checkArguments;
    std::printf("running: %s\n", command.c_str());
    std::fflush(stdout);
    FILE *pipe = popen(command.c_str(), "r");
    if (!pipe) {
        std::printf("The Python twin was not run: %s could not be started.\n", kPython);
        return results;
    }
    std::string line;
    for (int c; (c = std::fgetc(pipe)) != EOF;) {
        if (c != '\n') {
            line += char(c);
            continue;
        }
        const auto record = nlohmann::json::parse(line, nullptr, false);
        line.clear();
        if (record.is_discarded() || !record.is_object())
            continue;
        const std::string kind = record.value("kind", "");
        if (kind == "info") {
            results.version = record.value("torch", "");
            results.parameters = record.value("parameters", -1LL);
        } else if (kind == "training") {
            results.stepMin = record.value("seconds_per_step_min", std::nan(""));
            results.stepMedian = record.value("seconds_per_step_median", std::nan(""));
        } else if (kind == "check") {
            results.checkDifference = record.value("max_abs_difference", std::nan(""));
            results.checkScale = record.value("max_abs_output", std::nan(""));
        } else if (kind == "inference") {
            const int size = record.value("size", 0);
            if (record.contains("skipped"))
                results.skipped[size] = record.value("skipped", "");
            else
                results.inferenceMs[size] = record.value("ms", std::nan(""));
        }
    }
    const int status = pclose(pipe);
    results.ran = results.parameters >= 0;
    if (status != 0)
        std::printf("The Python twin stopped with status %d; its results so far are shown.\n", status);
    return results;
}

void runCompare(const std::filesystem::path &folder, bool quick, int threads)
{
    std::vector<int> sizes = {256, 512, 1024};
    if (!quick)
        sizes.insert(sizes.end(), {2048, 4096});
    const int trainSteps = quick ? 6 : 12;

    // Ours: trained first (the model for the enhancement), then every size.
    const auto model = trainModel(folder, quick ? 16 : 32, threads);
    const auto &options = model.options;
    const auto &network = options.network;
    auto enhancer = loadEnhancer(options.modelFile, threads);
    const std::string checkArguments = writeEquivalenceCheck(enhancer, options.modelFile, folder, 256);
    enhancer.enhance(syntheticSlice(256, 256)); // warm-up
    std::map<int, double> oursMs;
    for (const int size : sizes) {
        oursMs[size] = timeEnhance(enhancer, size) * 1000;
        std::printf("ours %dx%d: %.1f ms\n", size, size, oursMs[size]);
        std::fflush(stdout);
    }

    const auto python = runPythonTwin(sizes, threads, options, trainSteps, checkArguments);

    const long long ourParameters = mri::bench::unetParameterCount(network);
    std::printf("\nnetwork: U-Net depth %d, %d base channels, %.1f kMAC per pixel (1 MAC = 2 FLOP); parameters: "
                "ours %lld, Python twin %s%s\n",
                network.depth, network.baseChannels, mri::bench::unetMultiplyAccumulates(network, 1024, 1024) / (1 << 20) / 1e3,
                ourParameters, python.ran ? std::to_string(python.parameters).c_str() : "not run",
                python.ran ? (python.parameters == ourParameters ? " (equal)" : " (DIFFERENT)") : "");
    if (!std::isnan(python.checkDifference))
        std::printf("same weights (our model loaded into the twin), same 256x256 input: max |Python - ours| = %.2g "
                    "(outputs up to %.2g)\n",
                    python.checkDifference, python.checkScale);
    std::printf("ours: mri::Enhancer::enhance of an 8-bit slice as the app runs it (tiles of %d, noise-floor removal "
                "%s); Python: one forward pass of the whole float slice, eval() + inference_mode()%s%s\n",
                enhancer.tileSize(), enhancer.ricianCorrection() ? "on" : "off",
                python.version.empty() ? "" : ", torch ", python.version.c_str());
    std::printf("inference, min of repeats; GFLOP/s = network FLOP of the slice / time\n");
    std::printf("%-11s %12s %14s %14s %16s %14s\n", "size", "ours ms/MP", "ours GFLOP/s", "Python ms/MP",
                "Python GFLOP/s", "Python/ours");
    for (const int size : sizes) {
        const double megapixels = double(size) * size / 1e6;
        const double flop = 2.0 * mri::bench::unetMultiplyAccumulates(network, size, size);
        const double ours = oursMs[size];
        const std::string label = std::to_string(size) + "x" + std::to_string(size);
        std::printf("%-11s %12.1f %14.2f", label.c_str(), ours / megapixels, flop / (ours / 1000) / 1e9);
        if (python.inferenceMs.count(size)) {
            const double theirs = python.inferenceMs.at(size);
            std::printf(" %14.1f %16.2f %14.2f\n", theirs / megapixels, flop / (theirs / 1000) / 1e9, theirs / ours);
        } else {
            std::printf(" %14s %16s %14s\n", python.skipped.count(size) ? "not run" : "-", "-", "-");
        }
    }
    for (const auto &[size, reason] : python.skipped)
        std::printf("  Python %dx%d: %s\n", size, size, reason.c_str());

    const double stepFlop = mri::bench::unetTrainingStepFlop(network, options.batchSize, options.patchSize);
    const double oursMin = model.stepSeconds.empty() ? std::nan("") : *std::min_element(model.stepSeconds.begin(), model.stepSeconds.end());
    std::printf("\ntraining step, batch %d of %dx%d patches, Adam; GFLOP/s from the min, the backward counted as 2x "
                "the forward (%.2f GFLOP per step)\n",
                options.batchSize, options.patchSize, options.patchSize, stepFlop / 1e9);
    std::printf("%-11s %12s %14s %14s %16s %14s\n", "", "s/step min", "median", "GFLOP/s", "steps timed", "");
    std::printf("%-11s %12.3f %14.3f %14.2f %16zu\n", "ours", oursMin, median(model.stepSeconds), stepFlop / oursMin / 1e9,
                model.stepSeconds.size());
    if (python.ran && !std::isnan(python.stepMin)) {
        std::printf("%-11s %12.3f %14.3f %14.2f %16d\n", "Python", python.stepMin, python.stepMedian,
                    stepFlop / python.stepMin / 1e9, trainSteps);
        std::printf("%-11s %12.2f %14.2f\n", "Python/ours", python.stepMin / oursMin, python.stepMedian / median(model.stepSeconds));
    }
    std::printf("ours: a Noise2Void step as the app trains (patches drawn and masked each step, masked MSE); Python: "
                "MSE on fixed random tensors, zero_grad + backward + Adam step\n");
}

} // namespace

int main(int argc, char **argv)
{
    mri::adoptPassiveThreadWaiting(argv); // may re-execute the program, so first
    CLI::App app{"bench_speed: speed and memory of the engine on this machine"};
    bool quick = false;
    bool compare = false;
    int threads = 0;
    int largeSide = 0;
    app.add_flag("--quick", quick, "fewer sizes and steps");
    app.add_flag("--compare", compare, "the engine against the same U-Net in plain PyTorch (" MRI_PYTHON_TWIN ")");
    auto *large = app.add_option("--large", largeSide, "one SIDE x SIDE slice, ours only, with peak memory (default 16000)")
                      ->expected(0, 1)
                      ->default_str("16000")
                      ->check(CLI::Range(64, 65536));
    app.add_option("--threads", threads, "threads for both engines; 0: every core (default)")->check(CLI::NonNegativeNumber);
    CLI11_PARSE(app, argc, argv);

    threads = mri::resolveThreadCount(threads);
    printMachine(threads);
    const auto folder = std::filesystem::temp_directory_path() / ("mri-bench-speed-" + std::to_string(::getpid()));
    std::filesystem::create_directories(folder);
    if (large->count() > 0)
        runLarge(folder, largeSide, threads);
    else if (compare)
        runCompare(folder, quick, threads);
    else
        runPlain(folder, quick, threads);
    std::filesystem::remove_all(folder);
    return 0;
}
