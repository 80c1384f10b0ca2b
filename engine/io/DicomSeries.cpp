#include "io/DicomSeries.h"

#include "base/EngineError.h"
#include "io/dicom/DicomFolderScan.h"
#include "io/dicom/DicomGeometry.h"
#include "io/dicom/DicomHeaderReading.h"
#include "io/dicom/DicomImageHeader.h"
#include "io/dicom/DicomPixelDecoding.h"
#include "io/dicom/DicomValues.h"

#include <algorithm>
#include <cstddef>

// A DICOM file or series read (readDicom()) and its headers read
// (readDicomHeader()). The parts, private to io/, are in io/dicom/:
//   DicomTags.h          the attributes' tags, named once
//   DicomValues          values read from a data set (text, numbers, sequences)
//   DicomImageHeader     an image's header, and the refusals that need no pixels
//   DicomEncodingCheck   the file's encoding, walked before GDCM parses it
//   DicomPixelDataCheck  the pixel data against the header, before GDCM reads it
//   DicomBytes           a file's raw bytes, read beside GDCM
//   DicomRle             DICOM RLE, decoded and encoded
//   DicomPixelDecoding   pixels decoded in a child process
//   DicomGeometry        slices ordered along the normal; the volume's geometry
//   DicomFolderScan      a folder's series found (and findDicomSeries())
//   DicomHeaderReading   headers only (readDicomHeader())
//   DicomWriting.cpp     writeDicomSeries(), writeDerivedDicomSeries(),
//                        checkDerivedDicomWritable()

namespace fs = std::filesystem;

namespace mri {

using namespace dicom; // the private units of io/dicom/

namespace {

// A single DICOM file: one slice, or every frame of a multi-frame file.
ScanVolume readDicomFile(const fs::path &file)
{
    ScanVolume volume; // decodeFile() checks the header first (checkPixelData())
    DecodedFile decoded;
    decodeFile(file, decoded, &volume);
    const auto &header = decoded.header;
    const SliceLayout layout = layoutSlices(frameSlicesOf(header, file), file, fallbackSliceSpacing(header));
    const std::size_t pixels = static_cast<std::size_t>(header.rows) * header.columns;
    for (int frame = 0; frame < header.frames; ++frame) {
        const auto &geometry = header.frameHeaders[static_cast<std::size_t>(frame)];
        toVolumeScale(decoded.values.data() + pixels * static_cast<std::size_t>(frame), pixels, geometry.rescaleSlope,
                      geometry.rescaleIntercept, header.rescaleSlope, header.rescaleIntercept);
    }

    volume.source = file;
    fillGeometry(volume, header, layout);
    volume.voxels.resize(pixels * layout.slices.size());
    for (std::size_t i = 0; i < layout.slices.size(); ++i) {
        const int frame = layout.slices[i].frame;
        std::copy_n(decoded.values.begin() + static_cast<std::ptrdiff_t>(pixels * static_cast<std::size_t>(frame)), pixels,
                    volume.voxels.begin() + static_cast<std::ptrdiff_t>(pixels * i));
        volume.frameSources.push_back({0, frame});
    }
    volume.sliceFiles = {file};
    return volume;
}

ScanVolume readDicomFolder(const fs::path &folder, const std::string &seriesUid)
{
    const FolderSeries series = findFolderSeries(folder, seriesUid);
    if (series.layout.slices.empty()) {
        ScanVolume volume = readDicomFile(series.files.front());
        volume.source = folder;
        return volume;
    }

    // Pixels, in (t, z) order.
    const SliceLayout &layout = series.layout;
    const auto &slices = layout.slices;
    ScanVolume volume;
    volume.source = folder;
    ImageHeader firstHeader;
    std::size_t frameSize = 0;
    DecodedFile decoded;
    for (std::size_t i = 0; i < slices.size(); ++i) {
        decodeFile(slices[i].file, decoded, i == 0 ? &volume : nullptr);
        if (i == 0) {
            firstHeader = decoded.header;
            frameSize = static_cast<std::size_t>(firstHeader.rows) * firstHeader.columns;
            volume.voxels.resize(frameSize * slices.size());
        } else {
            checkSameFormat(firstHeader, decoded.header, folder, slices[i].file, slices[0].file);
        }
        if (decoded.values.size() != frameSize)
            throw EngineError("The DICOM series in " + named(folder) + " has slices of different sizes: "
                              + named(slices[i].file) + ".");
        toVolumeScale(decoded.values.data(), frameSize, decoded.header.rescaleSlope, decoded.header.rescaleIntercept,
                      firstHeader.rescaleSlope, firstHeader.rescaleIntercept);
        std::copy(decoded.values.begin(), decoded.values.end(),
                  volume.voxels.begin() + static_cast<std::ptrdiff_t>(frameSize * i));
    }
    fillGeometry(volume, firstHeader, layout);
    for (const auto &slice : slices) {
        volume.frameSources.push_back({static_cast<int>(volume.sliceFiles.size()), 0});
        volume.sliceFiles.push_back(slice.file);
    }
    return volume;
}

// True for a folder; the sentence for a path that does not exist.
bool isExistingFolder(const fs::path &fileOrFolder)
{
    std::error_code error;
    if (fs::is_directory(fileOrFolder, error))
        return true;
    if (!fs::exists(fileOrFolder, error))
        throw EngineError("The DICOM file " + named(fileOrFolder) + " does not exist.");
    return false;
}

} // namespace

ScanVolume readDicom(const fs::path &fileOrFolder, const std::string &seriesUid)
{
    DecoderSession decoderSession; // the files' pixels are decoded in one child for the call
    quietGdcm();
    if (isExistingFolder(fileOrFolder))
        return readDicomFolder(fileOrFolder, seriesUid);
    return readDicomFile(fileOrFolder);
}

ScanHeader readDicomHeader(const fs::path &fileOrFolder, const std::string &seriesUid)
{
    quietGdcm();
    if (isExistingFolder(fileOrFolder))
        return readDicomFolderHeader(fileOrFolder, seriesUid);
    return readDicomFileHeader(fileOrFolder);
}

} // namespace mri
