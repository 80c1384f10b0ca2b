#pragma once

#include <array>
#include <filesystem>
#include <string>
#include <vector>

namespace mri {

// A 3-D scalar volume read from NIfTI-1 (.nii or gzipped .nii.gz), with
// scl_slope/scl_inter applied. Voxels are stored x fastest, then y, then z.
struct NiftiVolume
{
    std::array<int, 3> size{0, 0, 0};
    std::array<float, 3> spacing{1.0f, 1.0f, 1.0f}; // mm
    std::vector<float> voxels;

    float at(int x, int y, int z) const
    {
        return voxels[(static_cast<std::size_t>(z) * size[1] + y) * size[0] + x];
    }
};

// Supports datatypes uint8, int8, int16, uint16, int32, uint32, float32 and
// float64 in either byte order. Throws EngineError naming the file when it is
// not NIfTI-1, is truncated, or is not a 3-D scalar volume.
NiftiVolume readNiftiVolume(const std::filesystem::path &file);
// The same reader on the bytes of a .nii or .nii.gz file already in memory
// (what readNiftiVolume uses); `sourceName` names them in error sentences.
NiftiVolume decodeNiftiVolume(const std::vector<unsigned char> &bytes, const std::string &sourceName);

} // namespace mri
