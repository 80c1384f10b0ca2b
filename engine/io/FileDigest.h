#pragma once

#include <filesystem>
#include <string>

namespace mri {

// The SHA-256 of a file's bytes as 64 lowercase hex digits (OpenSSL), so that
// a report or a metrics row names the exact model that made it. Throws
// EngineError naming the file when it cannot be read.
std::string sha256OfFile(const std::filesystem::path &file);

} // namespace mri
