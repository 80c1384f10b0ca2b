// Issue 13: super-resolution learnt from the scan itself against
// interpolation, on ground truth. Three experiments, each trained as a user
// would, self-supervised, on the coarse data alone:
//
//   through-plane  A volume with thick slices (the original's axial slices
//                  averaged in groups of F: area profile) is trained on its own
//                  axial slices (SMORE) and super-resolved along z; scored
//                  against the original volume, over all of it and over the
//                  upper 40 % of z, whose axial slices were never trained on,
//                  and on unseen volumes (the macaque template, the same
//                  Colin27 with thick coronal slices) with the same model.
//   in-plane       Pictures: the original axial slices area-down-sampled x2
//                  are what the user has; x2 learnt from them (each degraded
//                  x2 again) is scored on held-out slices against the
//                  originals, beside bicubic and cubic B-spline.
//   chained        The same pictures with Rician noise (sigma 5 % of the
//                  range): a Noise2Void denoiser trained on them, then x2
//                  (trained on the same noisy pictures, or on the denoiser's
//                  results), against the denoiser followed by bicubic.
//
//   bench_superres [--volume ch2better.nii.gz] [--unseen inia19-t1-brain.nii.gz]
//                  [--factor 4] [--minutes 9] [--picture-minutes 3] [--seeds 1]
//                  [--threads 2] [--only through|inplane|chained] [--markdown FILE]
//
// Metrics: PSNR over every voxel (data range: the original's range, 255 for
// Colin27's 8 bits) and 3-D SSIM as scikit-image computes it (VolumeMetrics.h);
// pictures: PSNR over the held-out slices' pixels together, mean 2-D SSIM, in
// unit range.
#include "BenchmarkSupport.h"

#include "enhance/Enhancer.h"
#include "enhance/SuperResolution.h"
#include "image/Resampling.h"
#include "io/ScanVolume.h"
#include "model/TrainingSettings.h"
#include "quality/Metrics.h"
#include "quality/Noise.h"
#include "quality/VolumeMetrics.h"
#include "training/Trainer.h"

#include <CLI/CLI.hpp>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point start)
{
    return std::chrono::duration<double>(Clock::now() - start).count();
}

using bench::format;

struct Settings
{
    std::vector<std::string> overrides; // key=value training settings of the super-resolution models
    bool quick = false;
    int factor = 4;
    double minutes = 9.0;
    double pictureMinutes = 3.0;
    int threads = 2;
    std::string work;
};

mri::TrainingOptions superResolutionOptions(const Settings &settings, int factor, double minutes, std::uint64_t seed,
                                            const fs::path &model)
{
    mri::TrainingOptions options;
    options.objective = mri::TrainingObjective::SuperResolution;
    options.superresScale = factor;
    options.modelFile = model;
    options.epochs = 1000; // the time budget ends the run
    options.maxTrainingSeconds = minutes * 60.0;
    options.patchesPerImage = 16;
    options.validationFraction = 0.05;
    options.validationInterval = 5;
    options.seed = seed;
    options.threads = settings.threads;
    for (const auto &pair : settings.overrides) {
        const auto equals = pair.find('=');
        const auto &setting = mri::trainingSetting(pair.substr(0, equals));
        setting.set(options, mri::parseSettingValue(setting, equals == std::string::npos ? "" : pair.substr(equals + 1)));
    }
    return options;
}

// The voxels scaled to the network's unit by `range`, one axial slice (across z) at a time.
std::vector<mri::TrainingSlice> axialSlices(const mri::ScanVolume &volume, int first, int last)
{
    const auto range = mri::networkRangeOf(volume);
    std::vector<mri::TrainingSlice> slices;
    for (int z = first; z < last; ++z) {
        const cv::Mat unit = mri::toNetworkUnit(mri::arraySlice(volume, 2, z), range);
        double low = 0.0, high = 0.0;
        cv::minMaxLoc(unit, &low, &high);
        if (high - low > 0.05) // leave out the empty slices beyond the head
            slices.push_back({"z " + std::to_string(z), unit, {}, {}});
    }
    return slices;
}

mri::ScanVolume cropToMultiple(const mri::ScanVolume &volume, int axis, int factor)
{
    const int length = volume.size[static_cast<std::size_t>(axis)] / factor * factor;
    return mri::slabOf(volume, axis, 0, length);
}

struct Row
{
    std::string experiment;
    std::string data;
    std::string method;
    mri::QualityMetrics metrics;
    double seconds = 0.0;
};

void print(const Row &row)
{
    std::printf("%-14s %-44s %-34s PSNR %7.2f dB  SSIM %.4f  %6.0f s\n", row.experiment.c_str(), row.data.c_str(),
                row.method.c_str(), row.metrics.psnr, row.metrics.ssim, row.seconds);
    std::fflush(stdout);
}

mri::QualityMetrics compareSlab(const mri::ScanVolume &truth, const mri::ScanVolume &result, int axis, int first,
                                int count)
{
    return mri::compareVolumes(mri::slabOf(truth, axis, first, count), mri::slabOf(result, axis, first, count));
}

// Thick slices along `axis`, then interpolation and the model, scored on the whole volume and (axis z) the held-out part.
void scoreVolume(const std::string &name, const mri::ScanVolume &original, int axis, const mri::Enhancer &model,
                 int factor, int heldOutFrom, std::vector<Row> &rows)
{
    const auto truth = cropToMultiple(original, axis, factor);
    const auto thick = mri::degradeVolumeAlongAxis(truth, axis, factor, mri::SliceProfile::Area);
    const int length = truth.size[static_cast<std::size_t>(axis)];
    auto start = Clock::now();
    const auto bspline = mri::bsplineUpsampleVolumeAlongAxis(thick, axis, factor, length);
    const double bsplineSeconds = secondsSince(start);
    start = Clock::now();
    const auto learnt = mri::superResolveVolume(model, thick, axis, mri::networkRangeOf(thick));
    const double learntSeconds = secondsSince(start);
    const std::string data = name + " x" + std::to_string(factor) + " along " + "xyz"[axis];
    rows.push_back({"through-plane", data + ", all", "cubic B-spline", mri::compareVolumes(truth, bspline), bsplineSeconds});
    print(rows.back());
    rows.push_back({"through-plane", data + ", all", "learnt (SMORE)", mri::compareVolumes(truth, *learnt), learntSeconds});
    print(rows.back());
    if (heldOutFrom >= 0) {
        const int count = length - heldOutFrom;
        rows.push_back({"through-plane", data + ", held-out z", "cubic B-spline",
                        compareSlab(truth, bspline, axis, heldOutFrom, count), 0.0});
        print(rows.back());
        rows.push_back({"through-plane", data + ", held-out z", "learnt (SMORE)",
                        compareSlab(truth, *learnt, axis, heldOutFrom, count), 0.0});
        print(rows.back());
    }
}

void throughPlane(const Settings &settings, const std::string &volumePath, const std::vector<std::string> &unseen,
                  std::uint64_t seed, std::vector<Row> &rows)
{
    const int factor = settings.factor;
    const auto original = mri::readScan(volumePath);
    const auto truth = cropToMultiple(original, 2, factor);
    const auto thick = mri::degradeVolumeAlongAxis(truth, 2, factor, mri::SliceProfile::Area);
    // Trained on the thick volume's axial slices below 60 % of z: the rest is held out.
    const int trainedThick = thick.size[2] * 6 / 10;
    const fs::path model = fs::path(settings.work) / ("through-x" + std::to_string(factor) + "-" + std::to_string(seed) + ".pt");
    fs::remove(model);
    const auto options = superResolutionOptions(settings, factor, settings.minutes, seed, model);
    auto start = Clock::now();
    const std::atomic_bool cancel{false};
    auto slices = axialSlices(thick, 0, trainedThick);
    // Through-plane: each patch degraded along x or y, as the slice axis is in the reformats.
    auto trainOptions = options;
    trainOptions.superresAxes = 1;
    const auto result = mri::trainOnSlices(slices, trainOptions, {}, cancel);
    const double trainSeconds = secondsSince(start);
    std::printf("through-plane: trained on %zu thick-volume axial slices for %.0f s (%d epochs, seed %llu)\n",
                slices.size(), trainSeconds, result.epochsCompleted, static_cast<unsigned long long>(seed));
    rows.push_back({"through-plane", "training on " + std::to_string(slices.size()) + " axial slices", "seed "
                    + std::to_string(seed), {}, trainSeconds});
    const auto enhancer = mri::Enhancer::load(model);
    scoreVolume(fs::path(volumePath).stem().stem().string(), original, 2, enhancer, factor, trainedThick * factor, rows);
    if (settings.quick)
        return;
    // Another orientation of the same head: thick coronal slices.
    scoreVolume(fs::path(volumePath).stem().stem().string(), original, 1, enhancer, factor, -1, rows);
    for (const auto &other : unseen)
        scoreVolume(fs::path(other).stem().stem().string(), mri::readScan(other), 2, enhancer, factor, -1, rows);
}

struct PictureSet
{
    std::vector<cv::Mat> truth;  // unit float originals
    std::vector<cv::Mat> coarse; // what the user has: area x2
};

// Axial slices of the volume as pictures (unit, the volume's range), even ones for training, odd ones held out.
PictureSet pictures(const mri::ScanVolume &volume, int factor, int parity)
{
    PictureSet set;
    const auto range = mri::networkRangeOf(volume);
    const int slices = volume.size[2];
    for (int z = slices / 5 + parity; z < slices * 4 / 5; z += 6) {
        cv::Mat unit = mri::toNetworkUnit(mri::arraySlice(volume, 2, z), range);
        unit = unit(cv::Rect(0, 0, unit.cols / factor * factor, unit.rows / factor * factor)).clone();
        set.truth.push_back(unit);
        set.coarse.push_back(mri::degradeInPlane(unit, factor, mri::SliceProfile::Area));
    }
    return set;
}

mri::QualityMetrics scorePictures(const std::vector<cv::Mat> &truth, const std::vector<cv::Mat> &result)
{
    const bench::PooledError error = bench::pooledError(truth, result);
    return {10.0 * std::log10(error.pixels / error.squared), error.ssim / static_cast<double>(truth.size())};
}

std::vector<cv::Mat> interpolate(const std::vector<cv::Mat> &coarse, int factor, bool bicubic)
{
    std::vector<cv::Mat> result;
    for (const auto &image : coarse) {
        const cv::Size size(image.cols * factor, image.rows * factor);
        if (bicubic) {
            cv::Mat fine;
            cv::resize(image, fine, size, 0, 0, cv::INTER_CUBIC);
            result.push_back(fine);
        } else {
            result.push_back(mri::bsplineUpsampleInPlane(image, factor, size));
        }
    }
    return result;
}

std::vector<cv::Mat> superResolveAll(const mri::Enhancer &model, const std::vector<cv::Mat> &coarse)
{
    std::vector<cv::Mat> result;
    for (const auto &image : coarse)
        result.push_back(mri::superResolveUnit(model, image));
    return result;
}

std::vector<mri::TrainingSlice> asTrainingSlices(const std::vector<cv::Mat> &images)
{
    std::vector<mri::TrainingSlice> slices;
    for (std::size_t i = 0; i < images.size(); ++i)
        slices.push_back({"slice " + std::to_string(i), images[i], {}, {}});
    return slices;
}

void inPlane(const Settings &settings, const std::string &volumePath, std::uint64_t seed, std::vector<Row> &rows)
{
    const auto volume = mri::readScan(volumePath);
    const auto training = pictures(volume, 2, 0);
    const auto heldOut = pictures(volume, 2, 3);
    const fs::path model = fs::path(settings.work) / ("inplane-x2-" + std::to_string(seed) + ".pt");
    fs::remove(model);
    const std::atomic_bool cancel{false};
    auto start = Clock::now();
    const auto result = mri::trainOnSlices(asTrainingSlices(training.coarse),
                                           superResolutionOptions(settings, 2, settings.pictureMinutes, seed, model), {},
                                           cancel);
    const double trainSeconds = secondsSince(start);
    const std::string data = fs::path(volumePath).stem().stem().string() + " axial pictures x2, " + std::to_string(heldOut.truth.size()) + " held out";
    std::printf("in-plane: trained on %zu coarse pictures for %.0f s (%d epochs)\n", training.coarse.size(), trainSeconds,
                result.epochsCompleted);
    rows.push_back({"in-plane", data, "bicubic", scorePictures(heldOut.truth, interpolate(heldOut.coarse, 2, true)), 0.0});
    print(rows.back());
    rows.push_back({"in-plane", data, "cubic B-spline", scorePictures(heldOut.truth, interpolate(heldOut.coarse, 2, false)), 0.0});
    print(rows.back());
    const auto enhancer = mri::Enhancer::load(model);
    start = Clock::now();
    rows.push_back({"in-plane", data, "learnt x2 (seed " + std::to_string(seed) + ")",
                    scorePictures(heldOut.truth, superResolveAll(enhancer, heldOut.coarse)), secondsSince(start)});
    print(rows.back());
}

std::vector<cv::Mat> withRicianNoise(const std::vector<cv::Mat> &images, double sigma, std::uint64_t seed)
{
    std::vector<cv::Mat> noisy;
    for (std::size_t i = 0; i < images.size(); ++i)
        noisy.push_back(mri::addNoise(images[i], mri::NoiseModel::Rician, sigma, seed * 1000 + i));
    return noisy;
}

void chained(const Settings &settings, const std::string &volumePath, std::uint64_t seed, std::vector<Row> &rows)
{
    constexpr double kSigma = 0.05;
    const auto volume = mri::readScan(volumePath);
    const auto training = pictures(volume, 2, 0);
    const auto heldOut = pictures(volume, 2, 3);
    const auto noisyTraining = withRicianNoise(training.coarse, kSigma, seed);
    const auto noisyHeldOut = withRicianNoise(heldOut.coarse, kSigma, seed + 7);
    const std::atomic_bool cancel{false};
    // The denoiser: Noise2Void with the defaults, on the noisy coarse pictures.
    const fs::path denoiserFile = fs::path(settings.work) / ("denoise-" + std::to_string(seed) + ".pt");
    fs::remove(denoiserFile);
    mri::TrainingOptions denoise;
    denoise.modelFile = denoiserFile;
    denoise.epochs = 1000;
    denoise.maxTrainingSeconds = settings.pictureMinutes * 60.0;
    denoise.seed = seed;
    denoise.threads = settings.threads;
    denoise.validationFraction = 0.05;
    denoise.validationInterval = 5;
    mri::trainOnSlices(asTrainingSlices(noisyTraining), denoise, {}, cancel);
    // x2 learnt from the same noisy pictures: the noise of the targets is not
    // predictable from the coarser input, so the network learns their mean.
    const fs::path upscalerFile = fs::path(settings.work) / ("chained-x2-" + std::to_string(seed) + ".pt");
    fs::remove(upscalerFile);
    mri::trainOnSlices(asTrainingSlices(noisyTraining),
                       superResolutionOptions(settings, 2, settings.pictureMinutes, seed, upscalerFile), {}, cancel);
    const auto denoiser = mri::Enhancer::load(denoiserFile);
    const auto upscaler = mri::Enhancer::load(upscalerFile);
    std::vector<cv::Mat> denoised;
    for (const auto &image : noisyHeldOut)
        denoised.push_back(denoiser.enhanceUnit(image));
    // x2 learnt from the denoised training pictures: what a user gets who
    // enhances with the denoiser first and trains super-resolution on the results.
    std::vector<cv::Mat> denoisedTraining;
    for (const auto &image : noisyTraining)
        denoisedTraining.push_back(denoiser.enhanceUnit(image));
    const fs::path cleanUpscalerFile = fs::path(settings.work) / ("chained-denoised-x2-" + std::to_string(seed) + ".pt");
    fs::remove(cleanUpscalerFile);
    mri::trainOnSlices(asTrainingSlices(denoisedTraining),
                       superResolutionOptions(settings, 2, settings.pictureMinutes, seed, cleanUpscalerFile), {}, cancel);
    const auto cleanUpscaler = mri::Enhancer::load(cleanUpscalerFile);
    const std::string data = fs::path(volumePath).stem().stem().string() + " pictures x2, Rician 5 %";
    rows.push_back({"chained", data, "bicubic (no denoising)", scorePictures(heldOut.truth, interpolate(noisyHeldOut, 2, true)), 0.0});
    print(rows.back());
    rows.push_back({"chained", data, "denoise, then bicubic", scorePictures(heldOut.truth, interpolate(denoised, 2, true)), 0.0});
    print(rows.back());
    rows.push_back({"chained", data, "denoise, then cubic B-spline", scorePictures(heldOut.truth, interpolate(denoised, 2, false)), 0.0});
    print(rows.back());
    rows.push_back({"chained", data, "denoise, then learnt x2 trained on the noisy pictures (seed " + std::to_string(seed) + ")",
                    scorePictures(heldOut.truth, superResolveAll(upscaler, denoised)), 0.0});
    print(rows.back());
    rows.push_back({"chained", data, "denoise, then learnt x2 trained on the denoised pictures (seed " + std::to_string(seed) + ")",
                    scorePictures(heldOut.truth, superResolveAll(cleanUpscaler, denoised)), 0.0});
    print(rows.back());
}

} // namespace

int main(int argc, char **argv)
{
    CLI::App app{"Super-resolution learnt from the scan against interpolation, on ground truth (issue 13)"};
    Settings settings;
    std::string volume = "/usr/share/mricron/templates/ch2better.nii.gz";
    std::vector<std::string> unseen{"/usr/share/mricron/templates/inia19-t1-brain.nii.gz"};
    std::vector<std::uint64_t> seeds{1};
    std::vector<std::string> only;
    std::string markdown;
    settings.work = (fs::temp_directory_path() / "bench_superres").string();
    app.add_option("--volume", volume, "The high-resolution volume thick slices are made from");
    app.add_option("--unseen", unseen, "Volumes the through-plane model never saw")->take_all();
    app.add_option("--factor", settings.factor, "Through-plane factor")->check(CLI::Range(2, 4));
    app.add_option("--minutes", settings.minutes, "Training time of the through-plane model");
    app.add_option("--picture-minutes", settings.pictureMinutes, "Training time of each picture model");
    app.add_option("--seeds", seeds, "Training seeds")->take_all();
    app.add_option("--threads", settings.threads, "CPU threads");
    app.add_option("--only", only, "through, inplane, chained (default: all)")->take_all();
    app.add_option("--markdown", markdown, "Write the table to this file");
    app.add_option("--set", settings.overrides, "KEY=VALUE training setting of the super-resolution models")->take_all();
    app.add_flag("--quick", settings.quick, "Through-plane: score only the trained volume along z");
    app.add_option("--work", settings.work, "Folder for the model files");
    CLI11_PARSE(app, argc, argv);
    fs::create_directories(settings.work);
    const auto wanted = [&](const std::string &name) {
        return only.empty() || std::find(only.begin(), only.end(), name) != only.end();
    };
    std::vector<Row> rows;
    try {
        for (const auto seed : seeds) {
            if (wanted("through"))
                throughPlane(settings, volume, unseen, seed, rows);
            if (wanted("inplane"))
                inPlane(settings, volume, seed, rows);
            if (wanted("chained"))
                chained(settings, volume, seed, rows);
        }
    } catch (const std::exception &error) {
        std::cerr << error.what() << '\n';
        return 1;
    }
    if (!markdown.empty()) {
        std::ostringstream table;
        table << "| experiment | data | method | PSNR dB | SSIM | seconds |\n|---|---|---|---|---|---|\n";
        for (const auto &row : rows) {
            table << "| " << row.experiment << " | " << row.data << " | " << row.method << " | "
                  << (row.metrics.psnr == 0.0 ? std::string() : format("%.2f", row.metrics.psnr)) << " | "
                  << (row.metrics.ssim == 0.0 ? std::string() : format("%.4f", row.metrics.ssim)) << " | "
                  << format("%.0f", row.seconds) << " |\n";
        }
        std::ofstream(markdown) << table.str();
    }
    return 0;
}
