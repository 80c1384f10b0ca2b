// Fuzz target: the DICOM reader (mri::readDicom on GDCM), its header-only
// twin (mri::readDicomHeader: what the reader reads, it reads with the same
// size; what it refuses, the reader refuses in the same sentence) and the
// derived series writer, which reads its source files again. An input holding the
// separator below is cut into two or three files of one folder, read as a
// series; any other input is one file (single-frame or multi-frame). GDCM
// reads files, so the input is written to them first. Debian builds GDCM with
// its assertions on: an input that makes it abort is a finding, to be refused
// before the GDCM call.

#include "FuzzSupport.h"

#include "base/EngineError.h"
#include "io/DicomSeries.h"
#include "io/ScanHeader.h"

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace fs = std::filesystem;

namespace {

// Between the files of a folder input (tests/fuzz/make_corpus.cpp writes the same).
constexpr std::string_view kNextFile = "\nMRI-FUZZ-NEXT-FILE\n";

fs::path scratch()
{
    static const fs::path folder = [] {
        std::error_code error;
        auto base = fs::temp_directory_path(error);
        if (error)
            base = "/tmp";
        const auto path = base / ("fuzz_dicom-" + std::to_string(::getpid()));
        fs::create_directories(path);
        // The folder goes when the run ends (libFuzzer exits through exit()).
        static const struct Remover {
            fs::path folder;
            ~Remover()
            {
                std::error_code ignored;
                fs::remove_all(folder, ignored);
            }
        } remover{path};
        return path;
    }();
    return folder;
}

void writeFile(const fs::path &file, std::string_view bytes)
{
    FILE *out = std::fopen(file.c_str(), "wb");
    FUZZ_CHECK(out != nullptr);
    FUZZ_CHECK(bytes.empty() || std::fwrite(bytes.data(), 1, bytes.size(), out) == bytes.size());
    FUZZ_CHECK(std::fclose(out) == 0);
}

void checkVolume(const mri::ScanVolume &volume)
{
    std::size_t voxels = 1;
    for (int axis = 0; axis < 4; ++axis) {
        FUZZ_CHECK(volume.size[axis] > 0);
        voxels *= static_cast<std::size_t>(volume.size[axis]);
    }
    for (int axis = 0; axis < 3; ++axis) {
        FUZZ_CHECK(std::isfinite(volume.spacing[axis]) && volume.spacing[axis] > 0.0);
        FUZZ_CHECK(volume.orientation[axis].patientAxis >= 0 && volume.orientation[axis].patientAxis <= 2);
        FUZZ_CHECK(volume.orientation[axis].sign == 1 || volume.orientation[axis].sign == -1);
    }
    FUZZ_CHECK(volume.voxels.size() == voxels);
    FUZZ_CHECK(std::isfinite(volume.dataRange) && volume.dataRange > 0.0);
    FUZZ_CHECK(std::isfinite(volume.rescaleSlope) && volume.rescaleSlope != 0.0);
    FUZZ_CHECK(!volume.sliceFiles.empty());
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    const std::string_view input(reinterpret_cast<const char *>(data), size);
    std::vector<std::string_view> parts;
    for (std::size_t start = 0;;) {
        const std::size_t next = input.find(kNextFile, start);
        if (next == std::string_view::npos || parts.size() == 2) {
            parts.push_back(input.substr(start));
            break;
        }
        parts.push_back(input.substr(start, next - start));
        start = next + kNextFile.size();
    }
    const fs::path root = scratch();
    std::error_code error;
    fs::remove_all(root / "in", error);
    fs::remove_all(root / "out", error);
    fs::create_directories(root / "in");
    fs::path path = root / "in" / "input.dcm";
    if (parts.size() == 1) {
        writeFile(path, input);
    } else {
        for (std::size_t i = 0; i < parts.size(); ++i)
            writeFile(root / "in" / ("IM000" + std::to_string(i + 1) + ".dcm"), parts[i]);
        path = root / "in";
    }

    // Opening a dataset reads the headers only.
    std::string headerProblem;
    mri::ScanHeader header;
    try {
        header = mri::readDicomHeader(path);
    } catch (const mri::EngineError &error) {
        headerProblem = error.what();
    }

    mri::ScanVolume volume;
    try {
        volume = mri::readDicom(path);
        checkVolume(volume);
        FUZZ_CHECK(headerProblem.empty());
        FUZZ_CHECK(header.size == volume.size);
        if (parts.size() > 1)
            mri::findDicomSeries(path);
        // The writer reads the source files again, with other GDCM code (explicit VR conversion).
        mri::checkDerivedDicomWritable(volume);
        mri::writeDerivedDicomSeries(volume, volume, root / "out", "fuzz");
        const mri::ScanVolume written = mri::readDicom(root / "out");
        FUZZ_CHECK(written.size == volume.size);
    } catch (const mri::EngineError &error) {
        // One sentence naming the file or folder (a file of the folder names it too).
        const std::string message = error.what();
        // What the header read refused, the reader refused too (above: a read that succeeds
        // needs headerProblem empty). Their words may differ: in a folder each may name another
        // damaged file first (the header read walks every file's pixel data in name order, the
        // reader decodes in slice order), and a file damaged beyond its header ("an image of no
        // pixels") can make GDCM's full parse give up first ("not a DICOM file"). Both fuzz
        // findings are kept as regression-*.
        FUZZ_CHECK(message.find((root / "in").string()) != std::string::npos
                   || message.find((root / "out").string()) != std::string::npos);
    }
    return 0;
}
