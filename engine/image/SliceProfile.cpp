#include "image/SliceProfile.h"

#include <cctype>

namespace mri {

std::string sliceProfileName(SliceProfile profile)
{
    return profile == SliceProfile::Area ? "area" : "gaussian";
}

std::optional<SliceProfile> parseSliceProfile(const std::string &name)
{
    std::string lower;
    for (const char c : name)
        lower.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    for (const auto profile : {SliceProfile::Area, SliceProfile::Gaussian}) {
        if (sliceProfileName(profile) == lower)
            return profile;
    }
    return std::nullopt;
}

} // namespace mri
