#pragma once

// Helpers of the tests that make and break DICOM files with GDCM directly.

#include <gdcmDataSet.h>
#include <gdcmVR.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <utility>
#include <vector>

// Reads `file`, lets `edit` change its data set, writes it back (a QVERIFY failure when it cannot).
void editFile(const std::filesystem::path &file, const std::function<void(gdcm::DataSet &)> &edit);
// Replaces an element with a string value, padded to an even length as DICOM wants.
void setString(gdcm::DataSet &dataSet, uint16_t group, uint16_t element, const gdcm::VR &vr, std::string value);
void setUnsignedShort(gdcm::DataSet &dataSet, uint16_t group, uint16_t element, uint16_t value);
// Rewrites `file` in the retired explicit VR big-endian transfer syntax (QVERIFY failures when it cannot).
void convertToBigEndian(const std::filesystem::path &file);
// Rewrites `file` in the deflated explicit VR little-endian transfer syntax (QVERIFY failures when it cannot).
void convertToDeflated(const std::filesystem::path &file);
// The entries of `folder`, sorted.
std::vector<std::filesystem::path> filesIn(const std::filesystem::path &folder);

// A 4-D scan (positions x volumes frames: echoes, dynamics) written as DICOM
// for the tests, with stored values, a rescale of each frame's own and the
// frames (or files) in `frameOrder`.
struct FourDimensionalDicom
{
    int columns = 9;
    int rows = 8;
    int positions = 4;
    int volumes = 3;
    // (z, t) of each frame of the file, or of each file of the series (their names sort in this order).
    std::vector<std::pair<int, int>> frameOrder;
    // What tells the frames at one position apart, besides the
    // InStackPositionNumber z + 1 every enhanced frame has. A multi-frame
    // file: DimensionIndexValues {z + 1, t + 1}, TemporalPositionIndex t + 1
    // (TemporalPosition), or nothing (InStackOnly: frame order decides). A
    // series: EchoNumbers, AcquisitionNumber or TemporalPositionIdentifier
    // (TemporalPosition) t + 1, or only InstanceNumber t * positions + z + 1
    // (InstanceOnly; otherwise the instance numbers follow the files' order).
    enum class Key { DimensionIndex, TemporalPosition, InStackOnly, EchoNumber, AcquisitionNumber, InstanceOnly } key =
        Key::DimensionIndex;
    std::function<std::uint16_t(int x, int y, int z, int t)> stored;
    std::function<double(int z, int t)> slope;
    std::function<double(int z, int t)> intercept;

    // Frames written volume by volume (all positions of t = 0, then t = 1, ...), or position by position.
    static std::vector<std::pair<int, int>> volumeMajor(int positions, int volumes);
    static std::vector<std::pair<int, int>> positionMajor(int positions, int volumes);
    // slope * stored + intercept of (x, y, z, t).
    double physical(int x, int y, int z, int t) const { return slope(z, t) * stored(x, y, z, t) + intercept(z, t); }
};

// One Enhanced MR file `folder`/IM0001.dcm: 12-bit unsigned, axial slices 2.5 mm apart, per-frame
// Plane Position, Frame Content, Pixel Value Transformation and MR Image Frame Type.
std::filesystem::path writeFourDimensionalMultiFrame(const FourDimensionalDicom &scan, const std::filesystem::path &folder);
// One MR file a frame in `folder` (F001.dcm, ... in frameOrder), one series.
void writeFourDimensionalSeries(const FourDimensionalDicom &scan, const std::filesystem::path &folder);
// The values of a binary UL attribute (little-endian in GDCM's memory).
std::vector<std::uint32_t> unsignedLongsOf(const gdcm::DataSet &dataSet, const gdcm::Tag &tag);
