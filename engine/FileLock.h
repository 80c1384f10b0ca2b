#pragma once

#include <filesystem>
#include <functional>

namespace mri {

// An exclusive advisory lock (flock) on a hidden sidecar file beside `file`
// (".<name>.lock"), held for the object's lifetime, so that processes that
// read, merge and replace `file` take turns. The sidecar stays: removing it
// while another process waits would let two processes hold "the" lock.
class FileLock final
{
public:
    // Blocks until the lock is free; calls `onWait` once first when another
    // process holds it. Throws EngineError when the sidecar cannot be created.
    explicit FileLock(const std::filesystem::path &file, const std::function<void()> &onWait = {});
    ~FileLock();
    FileLock(const FileLock &) = delete;
    FileLock &operator=(const FileLock &) = delete;

    static std::filesystem::path lockFileFor(const std::filesystem::path &file);

private:
    int m_fd = -1;
};

} // namespace mri
