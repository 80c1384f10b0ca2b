#pragma once

#include <optional>
#include <string>

namespace mri {

// The anatomical planes a volume is cut into for the network.
enum class SlicePlane { Axial, Coronal, Sagittal };

std::string slicePlaneName(SlicePlane plane);                       // "axial", ...
std::optional<SlicePlane> parseSlicePlane(const std::string &name); // case-insensitive

} // namespace mri
