#pragma once

// What an image's header says (size, pixel format, each frame's position,
// orientation and rescale), read from its data set; and the refusals that
// need no pixels, which decoding and header-only reading share.

#include "io/ScanVolume.h"
#include "io/dicom/DicomValues.h"

#include <gdcmDataSet.h>

#include <array>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace mri::dicom {

// The header facts an image needs, from its data set (a single-frame file, or
// a multi-frame file's functional groups), per frame where they differ.
struct FrameHeader
{
    std::optional<Vec3> position;
    std::optional<std::array<double, 6>> orientation;
    // The frame's own Modality LUT (an enhanced file's per-frame Pixel Value
    // Transformation), else the file's.
    double rescaleSlope = 1.0;
    double rescaleIntercept = 0.0;
    // An enhanced file's per-frame Frame Content: what orders the frames
    // that share a position (echoes, dynamics, diffusion directions).
    std::vector<std::uint32_t> dimensionIndex;
    std::optional<std::uint32_t> temporalPositionIndex;
    std::optional<std::uint32_t> inStackPosition;
};

struct ImageHeader
{
    int rows = 0;
    int columns = 0;
    int frames = 1;
    int samplesPerPixel = 1;
    int bitsAllocated = 16;
    int bitsStored = 16;
    bool isSigned = false;
    std::string photometric;
    std::vector<FrameHeader> frameHeaders; // one per frame
    std::vector<double> pixelSpacing;      // row spacing, column spacing
    double sliceThickness = 0.0;
    double spacingBetweenSlices = 0.0;
    double rescaleSlope = 1.0;
    double rescaleIntercept = 0.0;
    double windowCenter = 0.0;
    double windowWidth = 0.0;
    int instanceNumber = 0;
    bool hasInstanceNumber = false;
};

// The header of a single-frame file's data set, or of a multi-frame file
// (its functional groups: each frame's own where it has them, else shared).
ImageHeader headerOf(const gdcm::DataSet &dataSet);

// A scan's facts from its (first) file's header: the format, rescale,
// window, MONOCHROME1, data range, patient, study and series.
void fillFacts(ScanVolume &volume, const gdcm::DataSet &dataSet, const ImageHeader &header);

// Why GDCM's PixmapReader refused `file`, as one sentence.
[[noreturn]] void throwUnreadable(const std::filesystem::path &file);

// Refusals of decodeFile() and readDicomFolder() that readDicomHeader() makes too, from the headers.
[[noreturn]] void throwColour(const ImageHeader &header, const std::filesystem::path &file);
[[noreturn]] void throwNoPixels(const std::filesystem::path &file);
void checkSameFormat(const ImageHeader &first, const ImageHeader &slice, const std::filesystem::path &folder,
                     const std::filesystem::path &sliceFile, const std::filesystem::path &firstFile);

} // namespace mri::dicom
