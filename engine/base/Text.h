#pragma once

#include <string>

namespace mri {

// ASCII lower case: names, extensions and choices are compared without case.
std::string lowerCase(std::string text);

// A sentence to go inside another: its final full stop dropped.
std::string withoutFullStop(std::string text);

// Up to the first line break: the sentence of a library's multi-line message.
std::string firstLine(const std::string &text);

} // namespace mri
