// Fuzz target: the NIfTI reader (mri::readNiftiFile on nifti_clib), plain and
// gzipped, and its header-only twin (mri::readNiftiHeader: what the reader
// reads, it reads with the same size; what it refuses, the reader refuses in
// the same sentence). nifti_clib reads files, so the input is written to one
// first, named .nii.gz when it starts with the gzip magic and .nii otherwise.

#include "FuzzSupport.h"

#include "base/EngineError.h"
#include "io/NiftiFile.h"
#include "io/ScanHeader.h"

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <string>

namespace {

std::filesystem::path inputFile(bool gzipped)
{
    static const std::filesystem::path folder = [] {
        std::error_code error;
        auto base = std::filesystem::temp_directory_path(error);
        if (error)
            base = "/tmp";
        const auto path = base / ("fuzz_nifti-" + std::to_string(::getpid()));
        std::filesystem::create_directories(path);
        // The folder goes when the run ends (libFuzzer exits through exit()).
        static const struct Remover {
            std::filesystem::path folder;
            ~Remover()
            {
                std::error_code ignored;
                std::filesystem::remove_all(folder, ignored);
            }
        } remover{path};
        return path;
    }();
    return folder / (gzipped ? "input.nii.gz" : "input.nii");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    const bool gzipped = size >= 2 && data[0] == 0x1F && data[1] == 0x8B;
    const std::filesystem::path file = inputFile(gzipped);
    {
        FILE *out = std::fopen(file.c_str(), "wb");
        FUZZ_CHECK(out != nullptr);
        FUZZ_CHECK(size == 0 || std::fwrite(data, 1, size, out) == size);
        FUZZ_CHECK(std::fclose(out) == 0);
    }
    std::string headerProblem;
    mri::ScanHeader header;
    try {
        header = mri::readNiftiHeader(file);
    } catch (const mri::EngineError &error) {
        headerProblem = error.what();
    }
    mri::ScanVolume volume;
    try {
        volume = mri::readNiftiFile(file);
    } catch (const mri::EngineError &error) {
        // One sentence naming the file.
        FUZZ_CHECK(std::string(error.what()).find(file.string()) != std::string::npos);
        FUZZ_CHECK(headerProblem.empty() || headerProblem == error.what());
        return 0;
    }
    FUZZ_CHECK(headerProblem.empty());
    FUZZ_CHECK(header.size == volume.size && header.spacing == volume.spacing);
    std::size_t voxels = 1;
    for (int axis = 0; axis < 4; ++axis) {
        FUZZ_CHECK(volume.size[axis] > 0);
        voxels *= static_cast<std::size_t>(volume.size[axis]);
    }
    FUZZ_CHECK(volume.size[2] > 1 || volume.size[3] > 1);
    for (int axis = 0; axis < 3; ++axis) {
        FUZZ_CHECK(std::isfinite(volume.spacing[axis]) && volume.spacing[axis] > 0.0);
        FUZZ_CHECK(volume.orientation[axis].patientAxis >= 0 && volume.orientation[axis].patientAxis <= 2);
        FUZZ_CHECK(volume.orientation[axis].sign == 1 || volume.orientation[axis].sign == -1);
    }
    FUZZ_CHECK(volume.voxels.size() == voxels);
    FUZZ_CHECK(std::isfinite(volume.dataRange) && volume.dataRange > 0.0);
    return 0;
}
