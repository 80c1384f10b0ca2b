#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <string_view>

namespace mri {

// Writes a file under a temporary name in the same folder and renames it into
// place, so a reader never sees a half-written file. Throws EngineError.
void writeFileAtomically(const std::filesystem::path &target, std::string_view bytes);

// Same, for writers that need a path (OpenCV, LibTorch): `writeTo` receives the
// temporary path and must create the file there.
void writeFileAtomically(const std::filesystem::path &target,
                         const std::function<void(const std::filesystem::path &temporary)> &writeTo);

// Removes, in `folder` (and below it when `recursive`), the temporary files of
// writeFileAtomically() that processes no longer running left behind (killed,
// or out of disk space). Returns how many were removed; a missing folder is
// not an error.
int removeStaleTemporaryFiles(const std::filesystem::path &folder, bool recursive = false);

// Creates `folder` and proves that it can be written, so that long work does
// not end in a failed write. Throws EngineError naming the folder as `what`.
void ensureWritableFolder(const std::filesystem::path &folder, const std::string &what);

// The file descriptor that a path names when it is a stream of this process
// rather than a file (/dev/stdout, /dev/stderr, /dev/fd/N, /proc/self/fd/N),
// else -1. Writing such a path by renaming onto it would replace the node.
int streamDescriptorOf(const std::filesystem::path &path);

// True when `path` is a stream or names (through links) a device node, FIFO
// or socket: written where it is, with nothing to read back, merge or lock beside it.
bool isStreamOrNode(const std::filesystem::path &path);

} // namespace mri
