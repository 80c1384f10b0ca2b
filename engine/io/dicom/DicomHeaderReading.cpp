#include "io/dicom/DicomHeaderReading.h"

#include "io/ScanVolume.h"
#include "io/dicom/DicomFolderScan.h"
#include "io/dicom/DicomGeometry.h"
#include "io/dicom/DicomImageHeader.h"
#include "io/dicom/DicomPixelDataCheck.h"
#include "io/dicom/DicomTags.h"

#include <gdcmReader.h>

#include <fstream>
#include <set>
#include <string>

namespace fs = std::filesystem;

namespace mri::dicom {

namespace {

// The header decodeFile() would decode `file` with and its refusals that
// need no pixels: the pixel data's length first (checkPixelData();
// `encodingChecked`: findFolderSeries() checked the file's encoding), then
// the data set up to Pixel Data, whose value is not read. `facts`, when
// given, receives the header facts (fillFacts()).
ImageHeader checkedHeaderOf(const fs::path &file, bool encodingChecked, ScanVolume *facts = nullptr)
{
    checkPixelData(file, encodingChecked);
    std::ifstream stream(file, std::ios::binary);
    gdcm::Reader reader;
    reader.SetStream(stream);
    if (!stream || !reader.ReadUpToTag(kPixelData, std::set<gdcm::Tag>{kPixelData}))
        throwUnreadable(file);
    const gdcm::DataSet &dataSet = reader.GetFile().GetDataSet();
    // Pixel Data, being skipped, is not in the data set: the reader stopped
    // on it when the stream is good and nothing past it was read.
    const bool atPixelData = stream.good() && (dataSet.IsEmpty() || dataSet.GetDES().rbegin()->GetTag() < kPixelData);
    if (!atPixelData)
        throwUnreadable(file);
    ImageHeader header = headerOf(dataSet);
    if (header.samplesPerPixel != 1)
        throwColour(header, file);
    if (header.rows <= 0 || header.columns <= 0)
        throwNoPixels(file);
    if (header.bitsStored <= 0 || header.bitsStored > header.bitsAllocated)
        header.bitsStored = header.bitsAllocated;
    if (facts)
        fillFacts(*facts, dataSet, header);
    return header;
}

ScanHeader scanHeaderOf(const ScanVolume &volume, const ImageHeader &header, int fileCount)
{
    ScanHeader result;
    result.format = ScanFormat::Dicom;
    result.source = volume.source;
    result.size = volume.size;
    result.spacing = volume.spacing;
    result.bitsAllocated = header.bitsAllocated;
    result.bitsStored = header.bitsStored;
    result.dataType = (header.isSigned ? "int" : "uint") + std::to_string(header.bitsAllocated);
    result.patientId = volume.patientId;
    result.studyDate = volume.studyDate;
    result.seriesDescription = volume.seriesDescription;
    result.seriesInstanceUid = volume.seriesInstanceUid;
    result.fileCount = fileCount;
    return result;
}

} // namespace

ScanHeader readDicomFileHeader(const fs::path &file)
{
    ScanVolume volume; // geometry and facts; no voxels
    const ImageHeader header = checkedHeaderOf(file, false, &volume);
    const SliceLayout layout = layoutSlices(frameSlicesOf(header, file), file, fallbackSliceSpacing(header));
    volume.source = file;
    fillGeometry(volume, header, layout); // size[3]: a 4-D file's volumes
    return scanHeaderOf(volume, header, 1);
}

ScanHeader readDicomFolderHeader(const fs::path &folder, const std::string &seriesUid)
{
    const FolderSeries series = findFolderSeries(folder, seriesUid);
    const auto &slices = series.layout.slices; // in (t, z) order, as readDicomFolder() decodes them
    if (slices.empty()) {
        ScanHeader header = readDicomFileHeader(series.files.front());
        header.source = folder;
        return header;
    }
    ScanVolume volume;
    ImageHeader first;
    for (std::size_t i = 0; i < slices.size(); ++i) {
        const ImageHeader header = checkedHeaderOf(slices[i].file, true, i == 0 ? &volume : nullptr);
        if (i == 0)
            first = header;
        else
            checkSameFormat(first, header, folder, slices[i].file, slices[0].file);
    }
    volume.source = folder;
    fillGeometry(volume, first, series.layout); // size[3]: a 4-D series' volumes
    return scanHeaderOf(volume, first, static_cast<int>(slices.size()));
}

} // namespace mri::dicom
