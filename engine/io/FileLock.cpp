#include "io/FileLock.h"

#include "base/EngineError.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>

namespace mri {

std::filesystem::path FileLock::lockFileFor(const std::filesystem::path &file)
{
    return file.parent_path() / ("." + file.filename().string() + ".lock");
}

FileLock::FileLock(const std::filesystem::path &file, const std::function<void()> &onWait)
{
    const auto lockFile = lockFileFor(file);
    std::error_code ignored;
    if (!lockFile.parent_path().empty())
        std::filesystem::create_directories(lockFile.parent_path(), ignored);
    m_fd = ::open(lockFile.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0666);
    if (m_fd < 0) {
        throw EngineError("Cannot lock '" + file.string() + "' against concurrent runs: " + std::strerror(errno)
                          + ".");
    }
    if (::flock(m_fd, LOCK_EX | LOCK_NB) == 0)
        return;
    if (onWait)
        onWait();
    while (::flock(m_fd, LOCK_EX) != 0) {
        if (errno != EINTR) {
            ::close(m_fd);
            throw EngineError("Cannot lock '" + file.string() + "' against concurrent runs: " + std::strerror(errno)
                              + ".");
        }
    }
}

FileLock::FileLock(const std::filesystem::path &file, NoWait)
{
    const auto lockFile = lockFileFor(file);
    const auto cannotLock = [&] {
        return EngineError("Cannot lock '" + file.string() + "' against concurrent runs: " + std::strerror(errno) + ".");
    };
    std::error_code ignored;
    if (!lockFile.parent_path().empty())
        std::filesystem::create_directories(lockFile.parent_path(), ignored);
    // A few tries: each holder removes the sidecar when it lets go, so the one
    // opened may be gone from its name by the time it is locked.
    for (int attempt = 0; attempt < 16; ++attempt) {
        const int fd = ::open(lockFile.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0666);
        if (fd < 0)
            throw cannotLock();
        if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
            const int error = errno;
            if (error == EWOULDBLOCK) {
                char text[32] = {};
                if (::pread(fd, text, sizeof text - 1, 0) > 0)
                    m_holder = std::strtol(text, nullptr, 10);
                ::close(fd);
                return;
            }
            ::close(fd);
            if (error == EINTR)
                continue;
            errno = error;
            throw cannotLock();
        }
        struct stat opened = {};
        struct stat named = {};
        if (::fstat(fd, &opened) == 0 && ::stat(lockFile.c_str(), &named) == 0 && opened.st_dev == named.st_dev
            && opened.st_ino == named.st_ino) {
            m_fd = fd;
            m_removeOnRelease = lockFile;
            const std::string id = std::to_string(::getpid()) + "\n";
            // Who holds it, for the sentence of whoever finds it taken; the lock works without it.
            const bool written = ::ftruncate(fd, 0) == 0
                && ::pwrite(fd, id.data(), id.size(), 0) == static_cast<ssize_t>(id.size());
            static_cast<void>(written);
            return;
        }
        ::close(fd);
    }
    errno = EAGAIN;
    throw cannotLock();
}

FileLock::~FileLock()
{
    if (!m_removeOnRelease.empty())
        ::unlink(m_removeOnRelease.c_str()); // while still held: no one can take the removed file
    if (m_fd >= 0)
        ::close(m_fd); // closing releases the lock
}

} // namespace mri
