#pragma once

namespace mri::cli {

// The program's name as it prints it and as its --json reports name it.
inline constexpr const char *kProgram = "mri-enhance";

} // namespace mri::cli
