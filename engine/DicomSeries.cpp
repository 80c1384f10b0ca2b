#include "DicomSeries.h"

#include "EngineError.h"

namespace mri {

// Transitional: the GDCM reader and writer replace this.
std::vector<DicomSeriesEntry> findDicomSeries(const std::filesystem::path &)
{
    return {};
}

ScanVolume readDicom(const std::filesystem::path &fileOrFolder, const std::string &)
{
    throw EngineError("Reading DICOM ('" + fileOrFolder.string() + "') is not available yet.");
}

void writeDerivedDicomSeries(const ScanVolume &, const ScanVolume &, const std::filesystem::path &targetFolder,
                             const std::string &)
{
    throw EngineError("Writing DICOM ('" + targetFolder.string() + "') is not available yet.");
}

} // namespace mri
