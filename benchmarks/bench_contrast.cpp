// Issue 13 (contrast): what the contrast step does to grey/white contrast and
// what it costs in fidelity, on real MRI with ground truth.
//
//   bench_contrast [--volume /usr/share/mricron/templates/ch2.nii.gz] [--sigma 0.05] [--bias 0.2]
//                  [--slab 24] [--epochs 3] [--threads 2] [--step none --step clahe ...]
//                  [--markdown FILE]
//
// Colin27 (ch2.nii.gz, 181x217x181, 1 mm), a slab of `slab` central axial
// slices scaled to the network's unit by the volume's min..max. Rician noise
// (engine/quality/Noise.h) of sigma as a fraction of that range, its own seed per
// slice. --bias B: before the noise, a smooth multiplicative field (a bias
// field, as in scans without inhomogeneity correction) from 1 - B at the
// left to 1 + B at the right; the scores stay against the unbiased clean slices. Denoiser: trained here as a user would (Noise2Void, default
// settings, 2.5-D neighbour_slices=1) on the even slices of the noisy slab;
// the odd (held-out) slices are scored. For the clean, the noisy and the
// denoised slices, each contrast step is applied slice by slice (as
// `enhance --contrast` does) and scored:
//   - grey/white CNR (TissueContrast.h) pooled over the scored slices, classes
//     from the CLEAN slices (three-class k-means of the foreground);
//   - "CNR (CSV)": the same with the classes of the slices before the step,
//     which is what the metrics CSV of `enhance` reports (no ground truth there);
//   - PSNR (one MSE over all scored pixels) and mean SSIM against the clean
//     slices, data range 1.
#include "BenchmarkSupport.h"

#include "enhance/Enhancer.h"
#include "image/ContrastStep.h"
#include "io/ScanVolume.h"
#include "quality/Metrics.h"
#include "quality/Noise.h"
#include "quality/TissueContrast.h"
#include "training/Trainer.h"

#include <CLI/CLI.hpp>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;
using bench::format;
using bench::scoreSlices;

} // namespace

int main(int argc, char **argv)
{
    CLI::App app{"Contrast steps on clean, noisy and denoised Colin27 slices: grey/white CNR and PSNR/SSIM (issue 13)"};
    std::string volumePath = "/usr/share/mricron/templates/ch2.nii.gz";
    double sigma = 0.05;
    double bias = 0.0;
    int slab = 24;
    int epochs = 3;
    int patchesPerImage = 64;
    int threads = 2;
    int seed = 1;
    std::vector<std::string> steps{"none", "clahe", "clahe:1,8", "clahe:4,8", "gamma:0.8", "gamma:1.25"};
    std::string markdown;
    std::string work = (fs::temp_directory_path() / "bench_contrast").string();
    app.add_option("--volume", volumePath, "Clean NIfTI volume");
    app.add_option("--sigma", sigma, "Rician sigma as a fraction of the range");
    app.add_option("--bias", bias, "Multiplicative bias field from 1 - B to 1 + B across the slice (0: none)");
    app.add_option("--slab", slab, "Central axial slices: even ones train, odd ones are scored");
    app.add_option("--epochs", epochs, "Epochs of the denoiser's training (0: no denoiser)");
    app.add_option("--patches-per-image", patchesPerImage, "Patches per training slice per epoch");
    app.add_option("--threads", threads, "CPU threads");
    app.add_option("--seed", seed, "Seed of the noise and the training");
    app.add_option("--step", steps, "Contrast steps to compare")->take_all();
    app.add_option("--markdown", markdown, "Write the table to this file");
    app.add_option("--work", work, "Folder for the model file");
    CLI11_PARSE(app, argc, argv);
    fs::create_directories(work);

    const auto volume = mri::readScan(volumePath);
    const auto range = mri::networkRangeOf(volume);
    const int slices = mri::sliceCountOf(volume, mri::SlicePlane::Axial);
    const bench::Slab bounds = bench::centralSlab(slices, slab);
    const int first = bounds.first;
    const int last = bounds.last;
    std::vector<cv::Mat> clean(static_cast<std::size_t>(slices));
    std::vector<cv::Mat> noisy(static_cast<std::size_t>(slices));
    std::vector<cv::Mat> biasedClean; // from slice first - 1
    for (int z = first - 1; z <= last + 1; ++z) {
        clean[z] = mri::toNetworkUnit(mri::extractSlice(volume, mri::SlicePlane::Axial, z), range);
        cv::Mat biased = clean[z].clone();
        for (int y = 0; y < biased.rows; ++y)
            for (int x = 0; x < biased.cols; ++x)
                biased.at<float>(y, x) *= static_cast<float>(1.0 + bias * (2.0 * x / std::max(1, biased.cols - 1) - 1.0));
        biasedClean.push_back(biased);
        noisy[z] = mri::addNoise(biased, mri::NoiseModel::Rician, sigma,
                                 static_cast<std::uint64_t>(seed) * 100003u + static_cast<std::uint64_t>(z));
    }
    const std::vector<int> scored = bench::scoredSlices(bounds);
    const std::string name = fs::path(volumePath).filename().string();
    std::printf("%s: %dx%d, axial slices %d..%d of %d, %zu scored\n", name.c_str(), clean[first].cols, clean[first].rows,
                first, last, slices, scored.size());

    std::vector<std::pair<std::string, std::vector<cv::Mat>>> sources;
    std::vector<cv::Mat> scoredClean;
    std::vector<cv::Mat> scoredNoisy;
    for (const int z : scored) {
        scoredClean.push_back(clean[z]);
        scoredNoisy.push_back(noisy[z]);
    }
    sources.emplace_back("clean", scoredClean);
    if (bias > 0.0) {
        std::vector<cv::Mat> scoredBiased;
        for (const int z : scored)
            scoredBiased.push_back(biasedClean[static_cast<std::size_t>(z - (first - 1))]);
        sources.emplace_back("clean with bias field", scoredBiased);
    }
    sources.emplace_back("noisy (Rician " + format("%.0f", sigma * 100) + " %" + (bias > 0.0 ? ", bias field" : "") + ")",
                         scoredNoisy);
    std::string trainingNote = "no denoiser (--epochs 0)";
    if (epochs > 0) {
        auto denoiser = bench::trainDenoiser(name, noisy, bounds,
                                             {epochs, patchesPerImage, threads, static_cast<std::uint64_t>(seed), 1,
                                              fs::path(work) / "model.mri"});
        const auto denoised = bench::enhanceSlices(denoiser.enhancer, noisy, scored);
        sources.emplace_back(bias > 0.0 ? "denoised (bias field)" : "denoised", denoised);
        trainingNote = "denoiser: Noise2Void, default settings, neighbour_slices=1, "
            + std::to_string(denoiser.trainingSlices) + " noisy slices x " + std::to_string(epochs) + " epochs x "
            + std::to_string(patchesPerImage) + " patches = " + std::to_string(denoiser.steps) + " steps in "
            + format("%.0f", denoiser.seconds) + " s";
        std::printf("%s\n", trainingNote.c_str());
    }

    std::ostringstream table;
    table << "| slices | contrast step | grey/white CNR (clean classes) | CNR (CSV: classes before the step) | PSNR dB | SSIM | ms per slice |\n"
          << "|---|---|---|---|---|---|---|\n";
    for (const auto &[label, images] : sources) {
        for (const auto &text : steps) {
            const auto step = mri::parseContrastStep(text);
            std::vector<cv::Mat> stepped;
            const auto start = std::chrono::steady_clock::now();
            for (const auto &image : images)
                stepped.push_back(mri::applyContrast(cv::Mat(cv::min(cv::max(image, 0.0), 1.0)), step));
            const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count()
                / static_cast<double>(images.size());
            const double cnr = mri::greyWhiteCnr(stepped, scoredClean);
            const double csvCnr = mri::greyWhiteCnr(stepped, images);
            const auto score = scoreSlices(scoredClean, stepped);
            table << "| " << label << " | " << mri::contrastStepText(step) << " | " << format("%.2f", cnr) << " | "
                  << format("%.2f", csvCnr) << " | " << (label == "clean" && text == "none" ? std::string("inf")
                                                                                           : format("%.2f", score.psnr))
                  << " | " << format("%.4f", score.ssim) << " | " << format("%.2f", ms) << " |\n";
        }
    }
    // What the studio's live preview costs per change (ContrastPanel: the step,
    // the clustering, two CNRs) on a slice brought to 256, 512 and 1024 pixels.
    std::string previewCost;
    for (const int side : {256, 512, 1024}) {
        cv::Mat slice;
        cv::resize(scoredClean[scoredClean.size() / 2], slice, cv::Size(side, side), 0, 0, cv::INTER_LINEAR);
        double best = 1e9;
        for (int repeat = 0; repeat < 5; ++repeat) {
            const auto start = std::chrono::steady_clock::now();
            const cv::Mat stepped = mri::applyContrast(slice, mri::parseContrastStep("clahe"));
            const auto masks = mri::classifyTissue(slice);
            mri::contrastToNoiseRatio(slice, masks.grey, masks.white);
            mri::contrastToNoiseRatio(stepped, masks.grey, masks.white);
            best = std::min(best, std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
        }
        previewCost += (previewCost.empty() ? "" : ", ") + std::to_string(side) + "x" + std::to_string(side) + ": "
            + format("%.1f ms", best);
    }
    std::string command;
    for (int i = 0; i < argc; ++i)
        command += (i ? " " : "") + std::string(i ? argv[i] : "bench_contrast");
    std::ostringstream out;
    out << "Volume " << name << ", axial slices " << first << ".." << last << " (" << scored.size()
        << " odd ones scored), Rician sigma " << format("%.0f", sigma * 100) << " % of the range, seed " << seed << "; "
        << (bias > 0.0 ? "bias field x" + format("%.2f", 1 - bias) + " to x" + format("%.2f", 1 + bias) + " across; " : std::string())
        << trainingNote << ".\n\nCommand: `" << command << "`\n\n"
        << table.str() << "\nLive preview in the studio (CLAHE, clustering, two CNRs; min of 5): " << previewCost << ".\n";
    std::printf("\n%s", out.str().c_str());
    if (!markdown.empty()) {
        std::ofstream file(markdown);
        file << out.str();
    }
    return 0;
}
