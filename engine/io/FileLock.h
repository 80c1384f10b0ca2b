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

    // Does not wait. owns() tells whether the lock was taken; when another
    // holder has it, holderProcess() is the process id that holder wrote into
    // the sidecar (0 when unknown). The owner writes its own id there and
    // removes the sidecar when it lets go, so that nothing is left beside
    // `file`: never take the blocking lock above on the same file, whose
    // waiters would wait on the removed sidecar. Throws EngineError when the
    // sidecar cannot be created.
    struct NoWait
    {
    };
    FileLock(const std::filesystem::path &file, NoWait);

    ~FileLock();
    FileLock(const FileLock &) = delete;
    FileLock &operator=(const FileLock &) = delete;

    bool owns() const { return m_fd >= 0; }
    long holderProcess() const { return m_holder; }

    static std::filesystem::path lockFileFor(const std::filesystem::path &file);

private:
    int m_fd = -1;
    long m_holder = 0;
    std::filesystem::path m_removeOnRelease;
};

} // namespace mri
