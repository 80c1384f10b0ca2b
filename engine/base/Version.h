#pragma once

namespace mri {

// The version of MRI Enhance Studio, from CMake's project(VERSION).
const char *programVersion();

} // namespace mri
