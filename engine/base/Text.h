#pragma once

#include <string>

namespace mri {

// ASCII lower case: names, extensions and choices are compared without case.
std::string lowerCase(std::string text);

} // namespace mri
