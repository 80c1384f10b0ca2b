#include "io/SlicePlane.h"

#include "base/Text.h"

#include <cctype>

namespace mri {

std::string slicePlaneName(SlicePlane plane)
{
    switch (plane) {
    case SlicePlane::Axial: return "axial";
    case SlicePlane::Coronal: return "coronal";
    case SlicePlane::Sagittal: return "sagittal";
    }
    return "axial";
}

std::optional<SlicePlane> parseSlicePlane(const std::string &name)
{
    const std::string wanted = lowerCase(name);
    for (const auto plane : {SlicePlane::Axial, SlicePlane::Coronal, SlicePlane::Sagittal}) {
        if (wanted == slicePlaneName(plane))
            return plane;
    }
    return std::nullopt;
}

} // namespace mri
