#pragma once

#include "io/SlicePlane.h"

#include <opencv2/core/mat.hpp>

#include <array>
#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace mri {

// What a dataset row's image_path holds.
enum class ScanFormat { Picture, Nifti, Dicom };

// "picture", "nifti", "dicom": the metrics CSV's format column.
const char *scanFormatName(ScanFormat format);

// By name and, for files without a telling extension, by content: .nii and
// .nii.gz are NIfTI; a folder, .dcm, or a file with the DICOM preamble ("DICM"
// at byte 128) is DICOM; everything else is a picture (ImageIO.h).
ScanFormat scanFormatOf(const std::filesystem::path &path);

// Patient axes in NIfTI's RAS+ convention: 0 = towards the patient's right,
// 1 = anterior, 2 = superior (DICOM's LPS+ is converted on reading).
struct AxisOrientation
{
    int patientAxis = 0; // 0, 1, 2 as above
    int sign = 1;        // +1: a growing index moves towards R/A/S; -1: away
};

// A volume as numbers: a NIfTI file (3-D, or 4-D: several volumes) or a DICOM
// series or multi-frame file. The voxels are the values that PSNR and SSIM
// compare, the arrays a user's Python would load: NIfTI's scaled values
// (nibabel's get_fdata()), DICOM's stored values before the rescale (pydicom's
// pixel_array; slices with a RescaleSlope/Intercept of their own are brought to
// the first slice's, and written back on their own). x (columns) fastest, then
// y (rows), z (slices), t (volumes). Voxels may be NaN or Inf (float NIfTI):
// they take no part in the network's scale or the scores and are written back.
struct ScanVolume
{
    ScanFormat format = ScanFormat::Nifti;
    std::filesystem::path source;                 // the file or folder read
    std::array<int, 4> size{0, 0, 0, 1};          // x, y, z, t
    std::array<double, 3> spacing{1.0, 1.0, 1.0}; // mm along x, y, z
    // For each array axis (x, y, z): the patient axis it runs along most
    // closely, from the sform/qform or ImageOrientationPatient (array order
    // when the file declares none).
    std::array<AxisOrientation, 3> orientation{AxisOrientation{0, 1}, AxisOrientation{1, 1}, AxisOrientation{2, 1}};
    // Voxel index (x, y, z, 1) -> patient position in mm, RAS+ (NIfTI's sform
    // or qform; DICOM's position and orientation converted from LPS+).
    std::array<std::array<double, 4>, 3> voxelToPatient{{{1, 0, 0, 0}, {0, 1, 0, 0}, {0, 0, 1, 0}}};
    std::vector<float> voxels;

    // The range the format declares for the voxels, used as data_range by the
    // metrics: DICOM 2^BitsStored - 1; NIfTI integers without scaling the
    // datatype's range (as scikit-image's default); float or scaled NIfTI the
    // reference's max - min.
    double dataRange = 1.0;
    // Stored value -> the scanner's units (DICOM's Modality LUT); 1 and 0 for NIfTI.
    double rescaleSlope = 1.0;
    double rescaleIntercept = 0.0;
    // DICOM WindowCenter/WindowWidth in the scanner's units; width 0: none given.
    double windowCenter = 0.0;
    double windowWidth = 0.0;
    // A picture: its bits per pixel (8 or 16), the depth it is written back
    // in; 0 for NIfTI and DICOM.
    int pictureBits = 0;
    // DICOM MONOCHROME1: a high value is dark. The network and the display
    // see it inverted, the metrics and the written files do not.
    bool monochrome1 = false;

    // Header facts for the dataset table (DICOM; empty for NIfTI).
    std::string patientId;
    std::string studyDate;
    std::string seriesDescription;
    std::string seriesInstanceUid;
    // DICOM: the files of the series, one per slice in (t, z) order (file
    // t * size[2] + z holds slice z of volume t); a multi-frame file is listed once.
    std::vector<std::filesystem::path> sliceFiles;
    // DICOM: where slice z of volume t (entry t * size[2] + z) was read from,
    // so that a derived series puts every frame back where it came from.
    struct FrameSource
    {
        int file = 0;  // index into sliceFiles
        int frame = 0; // frame of that file (0 for a single-frame file)
    };
    std::vector<FrameSource> frameSources;

    std::size_t voxelsPerVolume() const
    {
        return static_cast<std::size_t>(size[0]) * size[1] * size[2];
    }
    float at(int x, int y, int z, int t = 0) const
    {
        return voxels[((static_cast<std::size_t>(t) * size[2] + z) * size[1] + y) * size[0] + x];
    }
};

// Slices along `plane` in one volume of the scan: the array axis that runs
// closest to the plane's normal, whatever the array order.
int sliceCountOf(const ScanVolume &volume, SlicePlane plane);

// One slice (CV_32FC1, the voxels' values) of volume `frame`, shown as viewers
// show it: axial with anterior up, coronal and sagittal with superior up, the
// patient's right on the image's right (neurological), whatever the array order.
// Slice 0 is the most inferior (axial), posterior (coronal) or left (sagittal).
cv::Mat extractSlice(const ScanVolume &volume, SlicePlane plane, int slice, int frame = 0);
// Puts a slice of extractSlice()'s size and layout back (CV_32FC1).
void insertSlice(ScanVolume &volume, SlicePlane plane, int slice, int frame, const cv::Mat &values);

// The values that map to 0 and 1 for the network: the volume's minimum and
// maximum (over all frames, NaN left out), so that a 12-bit scan using a tenth of its range
// reaches the network as bright as a picture; swapped for MONOCHROME1, so that
// tissue is bright for the network as in every other scan. A picture's levels
// map by its bit depth (0 to 255 or 65535), as the network was trained on pictures.
struct ValueRange
{
    double low = 0.0;
    double high = 1.0;
};
ValueRange networkRangeOf(const ScanVolume &volume);

// A slice's values scaled by `range` to [0, 1] (CV_32FC1; NaN, a voxel
// without a value, becomes 0), and back.
cv::Mat toNetworkUnit(const cv::Mat &values, const ValueRange &range);
cv::Mat fromNetworkUnit(const cv::Mat &unit, const ValueRange &range);

// Slices [first, first + count) of array axis `axis` (0 = x, 1 = y, 2 = z)
// of every volume, with the geometry moved along: the slab overlays the
// original where it was cut from.
ScanVolume slabOf(const ScanVolume &volume, int axis, int first, int count);
// The plane a scan is cut along: `requested`, unless the scan is one slice
// thick along another plane (a picture, a 2-D NIfTI): then that one, whatever
// was asked, so that a one-slice scan is always its one slice.
SlicePlane slicePlaneFor(const ScanVolume &scan, SlicePlane requested);
// The array axis that runs closest to `plane`'s normal.
int sliceAxisOf(const ScanVolume &volume, SlicePlane plane);

// Reads a NIfTI file, a DICOM file/series folder (`seriesUid` picks one
// series in a folder that holds several) or a picture (PNG, JPEG, BMP, TIFF:
// a one-slice scan, W x H x 1, its grey levels as voxels, row 0 at the top of
// the axial slice as the picture shows it, data range 255 or 65535). Throws
// EngineError naming the path.
ScanVolume readScan(const std::filesystem::path &path, const std::string &seriesUid = {});

// The one-slice scan of an 8- or 16-bit picture (readScan()'s for a picture file).
ScanVolume pictureScanOf(const cv::Mat &levels, const std::filesystem::path &source);

// A picture scan's slice in its own depth (8 or 16 bits, values rounded and
// saturated), as written back. Throws EngineError for a scan that is not a
// one-slice picture.
cv::Mat pictureOf(const ScanVolume &picture);

// Writes `result` (read as `input`, or derived from it on its grid or a finer
// one) in `input`'s format: a picture as PNG of its depth, NIfTI with the
// input's header and data type, DICOM as a derived series beside the input's
// (DicomSeries.h). `description` goes into NIfTI's descrip or the derived
// series' SeriesDescription. Atomic: a temporary name renamed into place.
void writeScan(const ScanVolume &input, const ScanVolume &result, const std::filesystem::path &target,
               const std::string &description);

} // namespace mri
