#include "FileLock.h"

#include "EngineError.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

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

FileLock::~FileLock()
{
    if (m_fd >= 0)
        ::close(m_fd); // closing releases the lock
}

} // namespace mri
