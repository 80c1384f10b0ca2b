#pragma once

#include "io/ScanHeader.h"
#include "io/ScanVolume.h"

#include <filesystem>
#include <string>

namespace mri {

// NIfTI datatype codes (NIFTI_TYPE_* of nifti1.h) for writeNiftiVolume(), so
// that callers need not include nifti_clib's headers.
inline constexpr int kNiftiUInt8 = 2;
inline constexpr int kNiftiInt16 = 4;
inline constexpr int kNiftiInt32 = 8;
inline constexpr int kNiftiFloat32 = 16;
inline constexpr int kNiftiFloat64 = 64;
inline constexpr int kNiftiInt8 = 256;
inline constexpr int kNiftiUInt16 = 512;
inline constexpr int kNiftiUInt32 = 768;

// Reads a NIfTI-1 or NIfTI-2 file (.nii or .nii.gz) with nifti_clib: a 3-D
// volume, or a 4-D one (several volumes; dimensions 5 to 7 must be 1). Any
// datatype of one channel; voxels are the scaled values (scl_slope and
// scl_inter applied when the slope is not 0). Orientation from the sform, else
// the qform, else array order. Throws EngineError naming the file for a file
// that is missing, not NIfTI, truncated, whose header disagrees with its size,
// that is 2-D, RGB or complex, or larger than 2^31 voxels.
ScanVolume readNiftiFile(const std::filesystem::path &file);

// What readNiftiFile() would report of `file` but its voxels and data range,
// from the header, with its checks of the header and of the file's size
// (same sentences). A .nii.gz is read through only when its gzip trailer does
// not give the length the header needs (cut, or written in several members).
ScanHeader readNiftiHeader(const std::filesystem::path &file);

// Writes `enhanced` (the voxels of a volume read from `sourceFile`, same size)
// with the source's header: dimensions, voxel sizes, qform and sform,
// datatype, scaling and units, so that it overlays the original exactly.
// Values are converted back through the scaling, rounded and clamped for
// integer datatypes. `description` goes into the header's descrip field.
// Written to a temporary name and renamed into place (.nii.gz: compressed).
void writeNiftiLike(const std::filesystem::path &sourceFile, const ScanVolume &enhanced,
                    const std::filesystem::path &target, const std::string &description);

// Writes `volume` as a new NIfTI-1 file (.nii, or .nii.gz compressed) in
// `datatype` (kNifti*): sform and qform from voxelToPatient (code 1, scanner
// anatomical), pixdim from spacing, millimetres; 4-D when size[3] > 1. Values
// are rounded and clamped for integer datatypes, without scaling. Written to a
// temporary name and renamed into place. Throws EngineError naming the target.
void writeNiftiVolume(const ScanVolume &volume, const std::filesystem::path &target, const std::string &description,
                      int datatype);

} // namespace mri
