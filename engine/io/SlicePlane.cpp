#include "io/SlicePlane.h"

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
    std::string wanted = name;
    for (char &c : wanted)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    for (const auto plane : {SlicePlane::Axial, SlicePlane::Coronal, SlicePlane::Sagittal}) {
        if (wanted == slicePlaneName(plane))
            return plane;
    }
    return std::nullopt;
}

} // namespace mri
