#include "image/SliceProfile.h"

#include "base/Text.h"

#include <cctype>

namespace mri {

std::string sliceProfileName(SliceProfile profile)
{
    return profile == SliceProfile::Area ? "area" : "gaussian";
}

std::optional<SliceProfile> parseSliceProfile(const std::string &name)
{
    const std::string lower = lowerCase(name);
    for (const auto profile : {SliceProfile::Area, SliceProfile::Gaussian}) {
        if (sliceProfileName(profile) == lower)
            return profile;
    }
    return std::nullopt;
}

} // namespace mri
