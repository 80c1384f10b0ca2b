#pragma once

#include <optional>
#include <string>

namespace mri {

// How a thick slice (or a coarse pixel) averages the fine ones: the
// degradation model that super-resolution learns to undo (Resampling.h).
enum class SliceProfile
{
    Area,     // "area": the mean of F fine samples (a box profile; what averaging F slices makes)
    Gaussian, // "gaussian": a Gaussian of full width at half maximum F, centred on the thick sample
};

std::string sliceProfileName(SliceProfile profile);
std::optional<SliceProfile> parseSliceProfile(const std::string &name); // case-insensitive

} // namespace mri
