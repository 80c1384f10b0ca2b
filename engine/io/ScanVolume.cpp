#include "io/ScanVolume.h"

#include "base/EngineError.h"
#include "base/Text.h"
#include "io/DicomSeries.h"
#include "io/ImageIO.h"
#include "io/NiftiFile.h"
#include "io/PathIdentity.h"

#include <opencv2/core.hpp>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <limits>

namespace fs = std::filesystem;

namespace mri {

namespace {

bool endsWith(const std::string &text, const std::string &suffix)
{
    return text.size() >= suffix.size() && text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Which array axes make up a slice of `plane` and which way each runs (see extractSlice()).
struct SliceGeometry
{
    int sliceAxis = 2;
    int rowAxis = 1;
    int columnAxis = 0;
    bool slicesReversed = false;
    bool rowsReversed = false;
    bool columnsReversed = false;
};

int arrayAxisAlong(const ScanVolume &volume, int patientAxis)
{
    for (int axis = 0; axis < 3; ++axis) {
        if (volume.orientation[static_cast<std::size_t>(axis)].patientAxis == patientAxis)
            return axis;
    }
    return patientAxis; // a degenerate orientation: array order
}

SliceGeometry geometryOf(const ScanVolume &volume, SlicePlane plane)
{
    // Patient axes (RAS) of the slice normal, the rows and the columns.
    int normal = 2, rows = 1, columns = 0;
    switch (plane) {
    case SlicePlane::Axial: normal = 2; rows = 1; columns = 0; break;
    case SlicePlane::Coronal: normal = 1; rows = 2; columns = 0; break;
    case SlicePlane::Sagittal: normal = 0; rows = 2; columns = 1; break;
    }
    SliceGeometry geometry;
    geometry.sliceAxis = arrayAxisAlong(volume, normal);
    geometry.rowAxis = arrayAxisAlong(volume, rows);
    geometry.columnAxis = arrayAxisAlong(volume, columns);
    if (geometry.sliceAxis == geometry.rowAxis || geometry.sliceAxis == geometry.columnAxis
        || geometry.rowAxis == geometry.columnAxis) {
        geometry = SliceGeometry();
        geometry.sliceAxis = normal;
        geometry.rowAxis = rows;
        geometry.columnAxis = columns;
    }
    const auto sign = [&](int axis) { return volume.orientation[static_cast<std::size_t>(axis)].sign; };
    geometry.slicesReversed = sign(geometry.sliceAxis) < 0;
    geometry.rowsReversed = sign(geometry.rowAxis) > 0;       // row 0: anterior or superior
    geometry.columnsReversed = sign(geometry.columnAxis) < 0; // the patient's right on the right
    return geometry;
}

// Offsets in the voxel array of slice `slice` of volume `frame`: base + row * rowStep + column * columnStep.
struct SliceWalk
{
    int rows = 0;
    int columns = 0;
    std::ptrdiff_t base = 0;
    std::ptrdiff_t rowStep = 0;
    std::ptrdiff_t columnStep = 0;
};

SliceWalk walkOf(const ScanVolume &volume, SlicePlane plane, int slice, int frame)
{
    const auto geometry = geometryOf(volume, plane);
    const std::array<std::ptrdiff_t, 3> stride{1, volume.size[0],
                                               static_cast<std::ptrdiff_t>(volume.size[0]) * volume.size[1]};
    const auto extent = [&](int axis) { return volume.size[static_cast<std::size_t>(axis)]; };
    if (slice < 0 || slice >= extent(geometry.sliceAxis) || frame < 0 || frame >= volume.size[3])
        throw EngineError("Slice " + std::to_string(slice + 1) + " of volume " + std::to_string(frame + 1)
                          + " does not exist in '" + volume.source.string() + "'.");
    SliceWalk walk;
    walk.rows = extent(geometry.rowAxis);
    walk.columns = extent(geometry.columnAxis);
    const int sliceIndex = geometry.slicesReversed ? extent(geometry.sliceAxis) - 1 - slice : slice;
    walk.base = static_cast<std::ptrdiff_t>(frame) * static_cast<std::ptrdiff_t>(volume.voxelsPerVolume())
        + sliceIndex * stride[static_cast<std::size_t>(geometry.sliceAxis)];
    walk.rowStep = stride[static_cast<std::size_t>(geometry.rowAxis)];
    walk.columnStep = stride[static_cast<std::size_t>(geometry.columnAxis)];
    if (geometry.rowsReversed) {
        walk.base += (walk.rows - 1) * walk.rowStep;
        walk.rowStep = -walk.rowStep;
    }
    if (geometry.columnsReversed) {
        walk.base += (walk.columns - 1) * walk.columnStep;
        walk.columnStep = -walk.columnStep;
    }
    return walk;
}

} // namespace

const char *scanFormatName(ScanFormat format)
{
    switch (format) {
    case ScanFormat::Picture: return "picture";
    case ScanFormat::Nifti: return "nifti";
    case ScanFormat::Dicom: return "dicom";
    }
    return "picture";
}

ScanFormat scanFormatOf(const fs::path &path)
{
    const std::string name = lowerCase(path.filename().string());
    if (endsWith(name, ".nii") || endsWith(name, ".nii.gz"))
        return ScanFormat::Nifti;
    std::error_code error;
    if (fs::is_directory(path, error) || endsWith(name, ".dcm") || endsWith(name, ".dicom"))
        return ScanFormat::Dicom;
    static const char *const pictures[] = {".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff"};
    const std::string extension = lowerCase(path.extension().string());
    if (std::find(std::begin(pictures), std::end(pictures), extension) != std::end(pictures))
        return ScanFormat::Picture;
    // DICOM files often have no extension at all (IM0001, 1.2.840...).
    if (fs::is_regular_file(path, error) && hasDicomPreamble(path))
        return ScanFormat::Dicom;
    return ScanFormat::Picture;
}

int sliceCountOf(const ScanVolume &volume, SlicePlane plane)
{
    return volume.size[static_cast<std::size_t>(geometryOf(volume, plane).sliceAxis)];
}

cv::Mat extractSlice(const ScanVolume &volume, SlicePlane plane, int slice, int frame)
{
    const auto walk = walkOf(volume, plane, slice, frame);
    cv::Mat values(walk.rows, walk.columns, CV_32FC1);
    const float *voxels = volume.voxels.data();
    for (int row = 0; row < walk.rows; ++row) {
        auto *out = values.ptr<float>(row);
        const float *in = voxels + walk.base + row * walk.rowStep;
        if (walk.columnStep == 1) {
            std::copy_n(in, walk.columns, out);
            continue;
        }
        for (int column = 0; column < walk.columns; ++column)
            out[column] = in[column * walk.columnStep];
    }
    return values;
}

void insertSlice(ScanVolume &volume, SlicePlane plane, int slice, int frame, const cv::Mat &values)
{
    const auto walk = walkOf(volume, plane, slice, frame);
    if (values.type() != CV_32FC1 || values.rows != walk.rows || values.cols != walk.columns)
        throw EngineError("A " + std::to_string(values.cols) + "x" + std::to_string(values.rows)
                          + " slice does not fit '" + volume.source.string() + "'.");
    float *voxels = volume.voxels.data();
    for (int row = 0; row < walk.rows; ++row) {
        const auto *in = values.ptr<float>(row);
        float *out = voxels + walk.base + row * walk.rowStep;
        for (int column = 0; column < walk.columns; ++column)
            out[column * walk.columnStep] = in[column];
    }
}

SlicePlane slicePlaneFor(const ScanVolume &scan, SlicePlane requested)
{
    if (sliceCountOf(scan, requested) == 1)
        return requested;
    for (const auto plane : {SlicePlane::Axial, SlicePlane::Coronal, SlicePlane::Sagittal}) {
        if (sliceCountOf(scan, plane) == 1)
            return plane;
    }
    return requested;
}

int sliceAxisOf(const ScanVolume &volume, SlicePlane plane)
{
    return geometryOf(volume, plane).sliceAxis;
}

ScanVolume slabOf(const ScanVolume &volume, int axis, int first, int count)
{
    if (axis < 0 || axis > 2 || first < 0 || count < 1 || first + count > volume.size[static_cast<std::size_t>(axis)])
        throw EngineError("Slices " + std::to_string(first + 1) + " to " + std::to_string(first + count)
                          + " do not exist in '" + volume.source.string() + "'.");
    ScanVolume slab = volume;
    slab.size[static_cast<std::size_t>(axis)] = count;
    slab.sliceFiles.clear();
    slab.frameSources.clear();
    slab.voxels.resize(static_cast<std::size_t>(slab.voxelsPerVolume()) * slab.size[3]);
    std::size_t out = 0;
    for (int t = 0; t < volume.size[3]; ++t)
        for (int z = 0; z < slab.size[2]; ++z)
            for (int y = 0; y < slab.size[1]; ++y)
                for (int x = 0; x < slab.size[0]; ++x) {
                    std::array<int, 3> at{x, y, z};
                    at[static_cast<std::size_t>(axis)] += first;
                    slab.voxels[out++] = volume.at(at[0], at[1], at[2], t);
                }
    // The slab's first voxel sits where voxel `first` along `axis` was.
    for (auto &row : slab.voxelToPatient)
        row[3] += row[static_cast<std::size_t>(axis)] * first;
    return slab;
}

ValueRange networkRangeOf(const ScanVolume &volume)
{
    if (volume.voxels.empty())
        return {};
    if (volume.format == ScanFormat::Picture)
        return ValueRange{0.0, volume.dataRange};
    // Non-finite voxels (NaN outside a resampled field of view, an Inf) take no part in the scale.
    float lowest = std::numeric_limits<float>::infinity();
    float highest = -std::numeric_limits<float>::infinity();
    for (const float value : volume.voxels) {
        if (!std::isfinite(value))
            continue;
        if (value < lowest)
            lowest = value;
        if (value > highest)
            highest = value;
    }
    if (!(lowest <= highest))
        return {};
    ValueRange range{lowest, highest};
    if (!(range.high > range.low))
        range.high = range.low + 1.0; // a constant volume: any scale will do
    if (volume.monochrome1)
        std::swap(range.low, range.high);
    return range;
}

cv::Mat toNetworkUnit(const cv::Mat &values, const ValueRange &range)
{
    cv::Mat unit;
    const double scale = 1.0 / (range.high - range.low);
    values.convertTo(unit, CV_32F, scale, -range.low * scale);
    // No value (NaN, Inf): the network sees background; the caller puts the value back.
    unit.forEach<float>([](float &value, const int *) {
        if (!std::isfinite(value))
            value = 0.0f;
    });
    return unit;
}

cv::Mat fromNetworkUnit(const cv::Mat &unit, const ValueRange &range)
{
    cv::Mat values;
    unit.convertTo(values, CV_32F, range.high - range.low, range.low);
    return values;
}

namespace {

ScanVolume readPicture(const fs::path &path)
{
    return pictureScanOf(loadGrayscaleImage(path), path);
}

} // namespace

ScanVolume readScan(const fs::path &path, const std::string &seriesUid)
{
    switch (scanFormatOf(path)) {
    case ScanFormat::Nifti: return readNiftiFile(path);
    case ScanFormat::Dicom: return readDicom(path, seriesUid);
    case ScanFormat::Picture: return readPicture(path);
    }
    return readPicture(path);
}

ScanVolume pictureScanOf(const cv::Mat &levels, const fs::path &source)
{
    if (levels.channels() != 1 || (levels.depth() != CV_8U && levels.depth() != CV_16U))
        throw EngineError("'" + source.string() + "' is not an 8- or 16-bit grey picture.");
    ScanVolume scan;
    scan.format = ScanFormat::Picture;
    scan.source = source;
    scan.size = {levels.cols, levels.rows, 1, 1};
    // Row 0 is the top of the picture: index y grows towards posterior, so the
    // axial slice (anterior up) shows the picture as it is.
    scan.orientation[1].sign = -1;
    scan.voxelToPatient[1][1] = -1.0;
    scan.dataRange = dataRangeOf(levels);
    scan.pictureBits = levels.depth() == CV_16U ? 16 : 8;
    cv::Mat values;
    levels.convertTo(values, CV_32F);
    scan.voxels.assign(values.ptr<float>(), values.ptr<float>() + values.total());
    return scan;
}

cv::Mat pictureOf(const ScanVolume &picture)
{
    if (picture.format != ScanFormat::Picture || picture.size[2] != 1 || picture.size[3] != 1)
        throw EngineError("'" + picture.source.string() + "' is not a picture.");
    cv::Mat levels;
    extractSlice(picture, SlicePlane::Axial, 0).convertTo(levels, picture.pictureBits == 16 ? CV_16U : CV_8U);
    return levels;
}

void writeScan(const ScanVolume &input, const ScanVolume &result, const fs::path &target,
               const std::string &description)
{
    switch (input.format) {
    case ScanFormat::Picture:
        saveImageAtomically(target, pictureOf(result));
        return;
    case ScanFormat::Nifti:
        writeNiftiLike(input.source, result, target, description);
        return;
    case ScanFormat::Dicom:
        writeDerivedDicomSeries(input, result, target, description);
        return;
    }
}

} // namespace mri
