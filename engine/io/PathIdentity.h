#pragma once

#include <filesystem>

namespace mri {

// A path for comparisons: absolute, normal, symbolic links resolved where
// they exist (the parts that do not exist yet kept as written).
std::filesystem::path resolvedPath(const std::filesystem::path &path);

// Both non-empty and the same place once resolved.
bool samePath(const std::filesystem::path &a, const std::filesystem::path &b);

// "DICM" at byte 128, as every DICOM file (Part 10) has; false for a file
// that cannot be read.
bool hasDicomPreamble(const std::filesystem::path &file);

} // namespace mri
