#pragma once

// Where each slice lies: the slices of a file or a series ordered along the
// slice normal (and into the volumes of a 4-D scan), checked for duplicates
// and gaps; the volume's size, spacing and voxel-to-patient matrix from them.

#include "io/ScanVolume.h"
#include "io/dicom/DicomImageHeader.h"
#include "io/dicom/DicomValues.h"

#include <array>
#include <cstdint>
#include <filesystem>
#include <vector>

namespace mri::dicom {

Vec3 cross(const Vec3 &a, const Vec3 &b);
double dot(const Vec3 &a, const Vec3 &b);
double norm(const Vec3 &a);
// Direction cosines alike within 1e-3.
bool sameOrientation(const std::array<double, 6> &a, const std::array<double, 6> &b);

// One slice of the volume to be: a file (and a frame of it) with its header facts.
struct SliceSource
{
    std::filesystem::path file;
    int frame = 0;
    FrameHeader geometry;
    int instanceNumber = 0;
    // Orders the slices that share a position (the volumes of a 4-D scan):
    // compared in order, then `order` (the frame's or file's place) breaks ties.
    std::vector<std::int64_t> key;
    // Whether equal keys at one position mean the same slice twice (a
    // dimension index, a temporal position, a series' echo and instance
    // numbers), not just an order left open.
    bool keyIdentifies = false;
    int order = 0;
};

// The slices of a 3-D or 4-D scan: positions along the slice normal, each
// taken `volumes` times (echoes, dynamics, diffusion directions).
struct SliceLayout
{
    std::vector<SliceSource> slices; // (t, z) order: slice z of volume t is slices[t * positions + z]
    int positions = 0;
    int volumes = 1;
    double distance = 0.0;           // between positions; 0 when unknown
};

// The slices in position order along the slice normal (instance order without
// positions), checked for duplicates and gaps. Slices that share a position
// make a 4-D scan when every position has the same number K > 1 of them:
// volume t takes each position's t-th slice by key. A position with a
// different count (or, where most positions have one slice, a second one) is
// refused, naming it.
SliceLayout layoutSlices(std::vector<SliceSource> slices, const std::filesystem::path &source, double fallbackSpacing);

// Fills size, spacing, voxelToPatient and orientation from the slices' layout.
void fillGeometry(ScanVolume &volume, const ImageHeader &header, const SliceLayout &layout);

// The slice distance the header gives (SpacingBetweenSlices, else SliceThickness).
double fallbackSliceSpacing(const ImageHeader &header);

// A file's frames as slices, in frame order (`order`), keyed by their Frame
// Content (orderFramesByContent()); one orientation for all of them.
std::vector<SliceSource> frameSlicesOf(const ImageHeader &header, const std::filesystem::path &file);

} // namespace mri::dicom
