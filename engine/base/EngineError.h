#pragma once

#include <stdexcept>
#include <string>

namespace mri {

// Every failure the engine reports to a user: what() is one complete sentence
// that names the file or row concerned.
class EngineError final : public std::runtime_error
{
public:
    explicit EngineError(const std::string &sentence) : std::runtime_error(sentence) {}
};

} // namespace mri
