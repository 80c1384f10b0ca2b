// Fuzz target: the NIfTI-1 reader (mri::decodeNiftiVolume, what
// readNiftiVolume runs on a file's bytes), plain and gzipped.

#include "FuzzSupport.h"

#include "EngineError.h"
#include "NiftiVolume.h"

#include <cmath>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    const std::vector<unsigned char> bytes(data, data + size);
    mri::NiftiVolume volume;
    try {
        volume = mri::decodeNiftiVolume(bytes, "fuzz.nii");
    } catch (const mri::EngineError &) {
        return 0;
    }
    std::size_t voxels = 1;
    for (int axis = 0; axis < 3; ++axis) {
        FUZZ_CHECK(volume.size[axis] > 0);
        FUZZ_CHECK(std::isfinite(volume.spacing[axis]) && volume.spacing[axis] > 0.0f);
        voxels *= static_cast<std::size_t>(volume.size[axis]);
    }
    FUZZ_CHECK(volume.voxels.size() == voxels);
    return 0;
}
