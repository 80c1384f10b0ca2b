// Issue 20: what reading DICOM pixels in a child process costs.
//
//   bench_dicom_read [--size 256] [--slices 120] [--repeats 3]
//
// Writes one series of `slices` files (a smooth phantom with noise, 16-bit) per
// transfer syntax, then times, best of `repeats`:
//   - readDicom(): the program's reader (GDCM's pixel reading in one child
//     process per call, every syntax; the values sent back through a socket);
//   - GDCM alone: gdcm::PixmapReader + GetBuffer on every file in this
//     process, no checks and no sorting (what a reader without isolation costs).
#include "io/DicomSeries.h"
#include "io/ScanVolume.h"

#include <CLI/CLI.hpp>
#include <gdcmImage.h>
#include <gdcmPixmapReader.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <functional>
#include <filesystem>
#include <random>
#include <vector>

#include <unistd.h>

namespace fs = std::filesystem;
using namespace mri;

namespace {

double secondsOf(const std::function<void()> &work, int repeats)
{
    double best = 1e30;
    for (int i = 0; i < repeats; ++i) {
        const auto start = std::chrono::steady_clock::now();
        work();
        best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    }
    return best;
}

} // namespace

int main(int argc, char **argv)
{
    CLI::App app{"Time the DICOM reader on compressed series"};
    int size = 256, slices = 120, repeats = 3;
    app.add_option("--size", size, "columns and rows")->check(CLI::Range(16, 2048));
    app.add_option("--slices", slices, "files in each series")->check(CLI::Range(1, 2000));
    app.add_option("--repeats", repeats, "timings per case (the best is shown)")->check(CLI::Range(1, 20));
    CLI11_PARSE(app, argc, argv);

    ScanVolume volume;
    volume.format = ScanFormat::Dicom;
    volume.size = {size, size, slices, 1};
    volume.spacing = {1.0, 1.0, 1.0};
    volume.voxelToPatient = {{{1, 0, 0, 0}, {0, 1, 0, 0}, {0, 0, 1, 0}}};
    volume.voxels.resize(volume.voxelsPerVolume());
    std::mt19937 random(1);
    std::normal_distribution<float> noise(0.0f, 40.0f);
    for (int z = 0; z < slices; ++z)
        for (int y = 0; y < size; ++y)
            for (int x = 0; x < size; ++x) {
                const double r = std::hypot(x - size / 2.0, y - size / 2.0) / size;
                const float value = static_cast<float>(r < 0.4 ? 1500 + 800 * std::cos(12 * r + 0.05 * z) : 0) + noise(random);
                volume.voxels[(static_cast<std::size_t>(z) * size + y) * size + x] = std::clamp(value, 0.0f, 4095.0f);
            }

    const fs::path root = fs::temp_directory_path() / ("bench_dicom_read-" + std::to_string(::getpid()));
    fs::create_directories(root);
    struct Case { const char *name; DicomWriteOptions::Compression compression; };
    const Case cases[] = {{"uncompressed", DicomWriteOptions::Compression::None},
                          {"RLE", DicomWriteOptions::Compression::Rle},
                          {"JPEG lossless", DicomWriteOptions::Compression::JpegLossless},
                          {"JPEG-LS", DicomWriteOptions::Compression::JpegLs},
                          {"JPEG 2000", DicomWriteOptions::Compression::Jpeg2000Lossless}};
    std::printf("%d files of %dx%d, 16-bit, best of %d\n\n", slices, size, size, repeats);
    std::printf("| syntax | readDicom() s | GDCM alone s | ms per file more |\n|---|---:|---:|---:|\n");
    for (const auto &test : cases) {
        DicomWriteOptions options;
        options.compression = test.compression;
        const fs::path folder = root / test.name;
        writeDicomSeries(volume, folder, options);
        std::vector<fs::path> files;
        for (const auto &entry : fs::directory_iterator(folder))
            files.push_back(entry.path());
        const double ours = secondsOf([&] { readDicom(folder); }, repeats);
        std::vector<char> buffer;
        const double gdcmAlone = secondsOf(
            [&] {
                for (const auto &file : files) {
                    gdcm::PixmapReader reader;
                    reader.SetFileName(file.c_str());
                    if (!reader.Read())
                        throw std::runtime_error("GDCM could not read " + file.string());
                    buffer.resize(reader.GetPixmap().GetBufferLength());
                    reader.GetPixmap().GetBuffer(buffer.data());
                }
            },
            repeats);
        std::printf("| %s | %.3f | %.3f | %.2f |\n", test.name, ours, gdcmAlone,
                    1000.0 * (ours - gdcmAlone) / slices);
    }
    fs::remove_all(root);
    return 0;
}
