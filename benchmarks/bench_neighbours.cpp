// Issue 11: do neighbouring slices as extra input channels (2.5-D) denoise
// volumes better than single slices? Trains as a user would, self-supervised
// (Noise2Void, the default settings) on a noisy volume's axial slices, once
// with neighbour_slices=0 and once with 1, the same settings and step budget,
// and scores PSNR/SSIM against the clean volume on held-out slices.
//
//   bench_neighbours [--volume FILE]... [--sigma 0.05] [--sigma 0.10] [--seeds 3]
//                    [--slab 24] [--epochs 4] [--patches-per-image 64] [--threads 2]
//                    [--without-floor] [--markdown FILE]
//
// Held-out: within a slab of `slab` central axial slices, the even slices
// train and the odd ones are scored. Scored slices were never a training
// centre (input and target); their neighbours are noisy training slices, as
// for a user who enhances the volume the network was trained on. The 2.5-D
// network sees the odd slices' noisy pixels as neighbour channels of the
// training slices, never as what it predicts.
//
// Noise: Rician (engine/quality/Noise.h) of sigma as a fraction of the clean volume's
// range, added to every slice in the network's unit (clean min..max -> 0..1),
// its own seed per slice. Metrics: PSNR of the held-out slices together (one
// MSE over all their pixels) and the mean of their SSIMs, data range 1.
#include "BenchmarkSupport.h"

#include "enhance/Enhancer.h"
#include "io/ScanVolume.h"
#include "model/TrainingSettings.h"
#include "quality/Metrics.h"
#include "quality/Noise.h"
#include "training/Trainer.h"

#include <CLI/CLI.hpp>
#include <opencv2/core.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;
using bench::format;
using bench::scoreSlices;

struct Stats
{
    double mean = 0.0;
    double sd = 0.0;
};

Stats statsOf(const std::vector<double> &values)
{
    Stats stats;
    for (const double v : values)
        stats.mean += v;
    stats.mean /= static_cast<double>(values.size());
    for (const double v : values)
        stats.sd += (v - stats.mean) * (v - stats.mean);
    stats.sd = values.size() > 1 ? std::sqrt(stats.sd / static_cast<double>(values.size() - 1)) : 0.0;
    return stats;
}

} // namespace

int main(int argc, char **argv)
{
    CLI::App app{"2.5-D (neighbour slices) against single slices on noisy volumes (issue 11)"};
    std::vector<std::string> volumes{"/usr/share/mricron/templates/inia19-t1-brain.nii.gz",
                                     "/usr/share/mricron/templates/ch2better.nii.gz"};
    std::vector<double> sigmas{0.05, 0.10};
    int seeds = 3;
    int slab = 24;
    int epochs = 4;
    int patchesPerImage = 64;
    int threads = 2;
    std::string markdown;
    bool withoutFloor = false;
    std::string work = (fs::temp_directory_path() / "bench_neighbours").string();
    app.add_option("--volume", volumes, "Clean NIfTI volumes")->take_all();
    app.add_option("--sigma", sigmas, "Rician sigma as a fraction of the range")->take_all();
    app.add_option("--seeds", seeds, "Seeds per volume and sigma");
    app.add_option("--slab", slab, "Central axial slices used: even ones train, odd ones are scored");
    app.add_option("--epochs", epochs, "Epochs of each training");
    app.add_option("--patches-per-image", patchesPerImage, "Patches per training slice per epoch");
    app.add_option("--threads", threads, "CPU threads");
    app.add_option("--markdown", markdown, "Append the table to this file");
    app.add_flag("--without-floor", withoutFloor, "Also score the network's output without noise-floor removal");
    app.add_option("--work", work, "Folder for the model files");
    CLI11_PARSE(app, argc, argv);
    fs::create_directories(work);

    std::ostringstream table;
    table << "| volume | sigma | noisy PSNR | single PSNR | 2.5-D PSNR | diff dB | single SSIM | 2.5-D SSIM | train s (single / 2.5-D) |\n"
          << "|---|---|---|---|---|---|---|---|---|\n";
    std::vector<double> allDifferences;
    std::vector<double> allDifferencesWithoutFloor;
    for (const auto &volumePath : volumes) {
        const auto volume = mri::readScan(volumePath);
        const auto range = mri::networkRangeOf(volume);
        const int slices = mri::sliceCountOf(volume, mri::SlicePlane::Axial);
        const bench::Slab bounds = bench::centralSlab(slices, slab);
        const int first = bounds.first;
        const int last = bounds.last;
        std::vector<cv::Mat> cleanUnit(slices);
        for (int z = first - 1; z <= last + 1; ++z)
            cleanUnit[z] = mri::toNetworkUnit(mri::extractSlice(volume, mri::SlicePlane::Axial, z), range);
        const std::string name = fs::path(volumePath).filename().string();
        std::printf("%s: %dx%d, axial slices %d..%d of %d\n", name.c_str(), cleanUnit[first].cols, cleanUnit[first].rows,
                    first, last, slices);

        for (const double sigma : sigmas) {
            std::map<int, std::vector<double>> psnr;
            std::map<int, std::vector<double>> ssim;
            std::map<int, std::vector<double>> trainSeconds;
            std::vector<double> noisyPsnr;
            std::vector<double> differences;
            std::vector<double> differencesWithoutFloor;
            for (int seed = 1; seed <= seeds; ++seed) {
                std::vector<cv::Mat> noisy(slices);
                for (int z = first - 1; z <= last + 1; ++z)
                    noisy[z] = mri::addNoise(cleanUnit[z], mri::NoiseModel::Rician, sigma,
                                             static_cast<std::uint64_t>(seed) * 100003u + static_cast<std::uint64_t>(z));
                const std::vector<int> scored = bench::scoredSlices(bounds);
                std::vector<cv::Mat> scoredClean;
                std::vector<cv::Mat> scoredNoisy;
                for (const int z : scored) {
                    scoredClean.push_back(cleanUnit[z]);
                    scoredNoisy.push_back(noisy[z]);
                }
                noisyPsnr.push_back(scoreSlices(scoredClean, scoredNoisy).psnr);
                for (const int neighbours : {0, 1}) {
                    auto denoiser = bench::trainDenoiser(
                        name, noisy, bounds,
                        {epochs, patchesPerImage, threads, static_cast<std::uint64_t>(seed), neighbours,
                         fs::path(work) / ("model-" + std::to_string(neighbours) + ".mri")});
                    auto &enhancer = denoiser.enhancer;
                    const auto steps = denoiser.steps;
                    const double seconds = denoiser.seconds;
                    trainSeconds[neighbours].push_back(seconds);
                    // As a user enhances (noise-floor removal, the model's default), and the network alone.
                    for (const bool floor : {true, false}) {
                        if (!floor && !withoutFloor)
                            continue;
                        enhancer.setRicianCorrection(floor);
                        const auto score = scoreSlices(scoredClean, bench::enhanceSlices(enhancer, noisy, scored));
                        const int key = neighbours + (floor ? 0 : 2);
                        psnr[key].push_back(score.psnr);
                        ssim[key].push_back(score.ssim);
                        std::printf("  sigma %.2f seed %d neighbour_slices %d%s: %lld steps in %.0f s, PSNR %.2f dB, SSIM %.4f\n",
                                    sigma, seed, neighbours, floor ? "" : " (no floor removal)", steps, seconds,
                                    score.psnr, score.ssim);
                    }
                    std::fflush(stdout);
                }
                differences.push_back(psnr[1].back() - psnr[0].back());
                allDifferences.push_back(differences.back());
                if (withoutFloor) {
                    differencesWithoutFloor.push_back(psnr[3].back() - psnr[2].back());
                    allDifferencesWithoutFloor.push_back(differencesWithoutFloor.back());
                }
            }
            const auto noisyStats = statsOf(noisyPsnr);
            for (const bool floor : {true, false}) {
            if (!floor && !withoutFloor)
                continue;
            const int offset = floor ? 0 : 2;
            const auto p0 = statsOf(psnr[offset]);
            const auto p1 = statsOf(psnr[offset + 1]);
            const auto d = statsOf(floor ? differences : differencesWithoutFloor);
            const auto s0 = statsOf(ssim[offset]);
            const auto s1 = statsOf(ssim[offset + 1]);
            table << "| " << name << (floor ? "" : " (no floor removal)") << " | " << format("%.0f %%", sigma * 100.0, 0.0)
                  << " | " << format("%.2f ± %.2f", noisyStats.mean, noisyStats.sd)
                  << " | " << format("%.2f ± %.2f", p0.mean, p0.sd) << " | " << format("%.2f ± %.2f", p1.mean, p1.sd)
                  << " | " << format("%+.2f ± %.2f", d.mean, d.sd)
                  << " | " << format("%.4f ± %.4f", s0.mean, s0.sd) << " | " << format("%.4f ± %.4f", s1.mean, s1.sd)
                  << " | " << format("%.0f / %.0f", statsOf(trainSeconds[0]).mean, statsOf(trainSeconds[1]).mean) << " |\n";
            }
            std::printf("%s", table.str().c_str());
            std::fflush(stdout);
        }
    }
    const auto overall = statsOf(allDifferences);
    table << "\nMean difference over all runs (2.5-D minus single): " << format("%+.2f dB (sd %.2f)", overall.mean, overall.sd);
    if (withoutFloor) {
        const auto network = statsOf(allDifferencesWithoutFloor);
        table << "; without floor removal " << format("%+.2f dB (sd %.2f)", network.mean, network.sd);
    }
    table << ".\n";
    std::printf("\n%s", table.str().c_str());
    if (!markdown.empty()) {
        std::ofstream out(markdown, std::ios::app);
        out << table.str();
    }
    return 0;
}
