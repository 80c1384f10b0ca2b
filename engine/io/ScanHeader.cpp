#include "io/ScanHeader.h"

#include "io/DicomSeries.h"
#include "io/ImageIO.h"
#include "io/NiftiFile.h"

#include <opencv2/core.hpp>

namespace mri {

ScanHeader readScanHeader(const std::filesystem::path &path, const std::string &seriesUid)
{
    const ScanFormat format = scanFormatOf(path);
    if (format == ScanFormat::Dicom)
        return readDicomHeader(path, seriesUid);
    if (format == ScanFormat::Nifti)
        return readNiftiHeader(path);
    // OpenCV reads no picture header on its own; a decode also finds a cut file.
    const cv::Mat slice = loadGrayscaleImage(path);
    ScanHeader header;
    header.format = ScanFormat::Picture;
    header.source = path;
    header.size = {slice.cols, slice.rows, 1, 1};
    header.bitsAllocated = header.bitsStored = slice.depth() == CV_16U ? 16 : 8;
    header.dataType = slice.depth() == CV_16U ? "uint16" : "uint8";
    return header;
}

} // namespace mri
