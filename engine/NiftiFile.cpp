#include "NiftiFile.h"

#include "EngineError.h"
#include "NiftiVolume.h"

namespace mri {

// Transitional: the nifti_clib reader and writer replace this.
ScanVolume readNiftiFile(const std::filesystem::path &file)
{
    const NiftiVolume nifti = readNiftiVolume(file);
    ScanVolume volume;
    volume.format = ScanFormat::Nifti;
    volume.source = file;
    volume.size = {nifti.size[0], nifti.size[1], nifti.size[2], 1};
    volume.spacing = {nifti.spacing[0], nifti.spacing[1], nifti.spacing[2]};
    volume.voxels = nifti.voxels;
    const auto range = networkRangeOf(volume);
    volume.dataRange = range.high - range.low;
    return volume;
}

void writeNiftiLike(const std::filesystem::path &, const ScanVolume &, const std::filesystem::path &target,
                    const std::string &)
{
    throw EngineError("Writing NIfTI ('" + target.string() + "') is not available yet.");
}

} // namespace mri
