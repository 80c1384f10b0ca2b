// Issue 20: peak resident memory of a whole `mri-enhance enhance` job (read,
// enhance, noise floor, PSNR and SSIM, write) on real, noisy content.
//
//   bench_memory [--side 8000] [--volume FILE ...] [--sigma 0.1] [--model M.pt] [--tile 768]
//                [--work DIR] [--make-only]
//
// For each volume (default: the INIA19 macaque and Colin27 templates of
// Debian's mricron-data), RealContentSlice.h makes a side x side 8-bit slice
// with Rician noise and writes a one-slice dataset under the work folder;
// then `mri-enhance enhance --dataset ... --model M --quiet` runs as a child
// and its own peak resident memory (wait4, as `/usr/bin/time -v` reports it)
// and wall time are printed. Without --model a model of the default network
// is trained first (one short epoch on a demo dataset: the weights do not
// change the memory, the network's shape does). --make-only writes the
// datasets and prints their folders, for measuring by hand.
#include "RealContentSlice.h"

#include <CLI/CLI.hpp>

#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

namespace fs = std::filesystem;

int main(int argc, char **argv)
{
    CLI::App app("Peak memory of mri-enhance enhance on large real-content slices");
    int side = 8000;
    std::vector<std::string> volumes{mri::kMacaqueVolume, mri::kColinVolume};
    double sigma = 0.1;
    std::string model;
    int tile = 0;
    std::string work = (fs::temp_directory_path() / "bench_memory").string();
    bool makeOnly = false;
    app.add_option("--side", side, "Slice side in pixels")->check(CLI::Range(64, 46000));
    app.add_option("--volume", volumes, "NIfTI volume(s) to take the middle axial slice of");
    app.add_option("--sigma", sigma, "Rician noise, fraction of the range");
    app.add_option("--model", model, "Model file (default: a default network trained briefly here)");
    app.add_option("--tile", tile, "Tile size passed to enhance (default: the program's)");
    app.add_option("--work", work, "Folder for the datasets and the model");
    app.add_flag("--make-only", makeOnly, "Only write the datasets");
    CLI11_PARSE(app, argc, argv);

    const std::string program = MRI_ENHANCE_EXECUTABLE;
    fs::create_directories(work);
    if (model.empty() && !makeOnly) {
        model = (fs::path(work) / "default-network.pt").string();
        if (!fs::exists(model)) {
            const std::string demo = (fs::path(work) / "demo").string();
            const auto made = mri::runMeasured({program, "demo-dataset", "--out", demo, "--slices", "4", "--quiet"});
            const auto trained = mri::runMeasured({program, "train", "--dataset", demo, "--model", model, "--quiet",
                                                   "--set", "epochs=1", "--set", "patches_per_image=2",
                                                   "--set", "batch_size=2"});
            if (made.exitCode != 0 || trained.exitCode != 0) {
                std::fprintf(stderr, "could not make a model in %s\n", work.c_str());
                return 1;
            }
        }
    }
    std::printf("slice side %d, Rician sigma %.2f, model %s%s\n", side, sigma, model.c_str(),
                tile > 0 ? (", tiles of " + std::to_string(tile)).c_str() : "");
    std::printf("%-40s %12s %10s\n", "volume", "peak MiB", "wall s");
    int status = 0;
    for (const auto &volume : volumes) {
        const fs::path folder = fs::path(work) / (fs::path(volume).stem().stem().string() + "-" + std::to_string(side));
        mri::writeOneSliceDataset(folder, mri::realContentSlice(volume, side, sigma));
        if (makeOnly) {
            std::printf("%-40s %s\n", fs::path(volume).filename().c_str(), folder.c_str());
            continue;
        }
        std::vector<std::string> command{program, "enhance", "--dataset", folder.string(), "--model", model, "--quiet"};
        if (tile > 0) {
            command.push_back("--tile");
            command.push_back(std::to_string(tile));
        }
        const auto run = mri::runMeasured(command);
        if (run.exitCode != 0) {
            std::printf("%-40s failed (exit %d)\n", fs::path(volume).filename().c_str(), run.exitCode);
            status = 1;
            continue;
        }
        std::printf("%-40s %12.0f %10.1f\n", fs::path(volume).filename().c_str(), run.peakMiB, run.seconds);
        std::fflush(stdout);
    }
    return status;
}
