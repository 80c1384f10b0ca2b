#include "io/AtomicFile.h"

#include "base/EngineError.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <system_error>

namespace fs = std::filesystem;

namespace mri {

namespace {

std::string sentenceFragment(std::string reason)
{
    // strerror() and std::error_code capitalise and exception texts may end with
    // a full stop; the reason sits mid-sentence.
    while (!reason.empty() && (reason.back() == '.' || std::isspace(static_cast<unsigned char>(reason.back()))))
        reason.pop_back();
    if (!reason.empty())
        reason[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(reason[0])));
    return reason;
}

[[noreturn]] void failWrite(const fs::path &target, const std::string &reason)
{
    throw EngineError("Cannot write '" + target.string() + "': " + sentenceFragment(reason) + ".");
}

// Removes the temporary file unless the rename succeeded.
class TemporaryGuard final
{
public:
    explicit TemporaryGuard(fs::path path) : m_path(std::move(path)) {}
    ~TemporaryGuard()
    {
        if (!m_committed) {
            std::error_code ignored;
            fs::remove(m_path, ignored);
        }
    }
    TemporaryGuard(const TemporaryGuard &) = delete;
    TemporaryGuard &operator=(const TemporaryGuard &) = delete;

    void commit() { m_committed = true; }

private:
    fs::path m_path;
    bool m_committed = false;
};

fs::path prepareFolder(const fs::path &target)
{
    if (target.filename().empty())
        failWrite(target, "the path names no file");
    fs::path folder = target.parent_path();
    if (folder.empty())
        return fs::path(".");
    std::error_code ec;
    fs::create_directories(folder, ec);
    if (ec)
        failWrite(target, "cannot create folder '" + folder.string() + "': " + sentenceFragment(ec.message()));
    return folder;
}

constexpr std::size_t kLongestFileName = 255; // NAME_MAX of Linux file systems
constexpr const char *kTemporaryMarker = ".tmp-";

// The ending a temporary name keeps: the extension, and for a compressed file
// the one before it too (.nii.gz), because nifti_clib decides from the whole
// ending whether to compress.
std::string keptEnding(const fs::path &target)
{
    std::string ending = target.extension().string();
    if (ending.size() == 3 && std::tolower(static_cast<unsigned char>(ending[1])) == 'g'
        && std::tolower(static_cast<unsigned char>(ending[2])) == 'z')
        ending = target.stem().extension().string() + ending;
    return ending;
}

// Eight hex digits of this machine's host name. Temporary names carry it: on a
// file system that several machines share (a cluster's), a process id says
// nothing about another machine's processes, so only this machine's leftovers
// are removed (containers of one machine have host names of their own too).
std::string hostTag()
{
    static const std::string tag = [] {
        char name[256] = {};
        ::gethostname(name, sizeof name - 1);
        std::uint32_t hash = 2166136261u; // FNV-1a
        for (const char *c = name; *c; ++c)
            hash = (hash ^ static_cast<unsigned char>(*c)) * 16777619u;
        char text[9];
        std::snprintf(text, sizeof text, "%08x", hash);
        return std::string(text);
    }();
    return tag;
}

// ".<stem>.tmp-<pid>-<random>@<host><ext>": hidden, unique across processes,
// threads and machines, and it keeps the extension because OpenCV chooses the encoder from it. A long
// stem is shortened so that the temporary name is never longer than the target
// may be.
fs::path temporaryPathFor(const fs::path &folder, const fs::path &target)
{
    static std::atomic<unsigned long long> counter{0};
    thread_local std::mt19937_64 generator{std::random_device{}()};
    const unsigned long long token = generator() ^ (counter.fetch_add(1) * 0x9E3779B97F4A7C15ULL);
    char hex[17];
    std::snprintf(hex, sizeof hex, "%016llx", token);
    const std::string ending = keptEnding(target);
    const std::string suffix = kTemporaryMarker + std::to_string(::getpid()) + "-" + hex + "@" + hostTag() + ending;
    std::string name = target.filename().string();
    std::string stem = name.substr(0, name.size() - ending.size());
    const std::size_t room = kLongestFileName > suffix.size() + 1 ? kLongestFileName - suffix.size() - 1 : 0;
    if (stem.size() > room)
        stem.resize(room);
    return folder / ("." + stem + suffix);
}

// The process id in one of our temporary names, or 0 when the name is not one
// or another machine's (names without a host tag are of releases before it: this machine's).
long temporaryOwner(const std::string &name)
{
    if (name.empty() || name[0] != '.')
        return 0;
    const auto marker = name.rfind(kTemporaryMarker);
    if (marker == std::string::npos)
        return 0;
    const char *digits = name.c_str() + marker + std::char_traits<char>::length(kTemporaryMarker);
    char *end = nullptr;
    const long pid = std::strtol(digits, &end, 10);
    if (end == digits || *end != '-' || std::strlen(end + 1) < 16)
        return 0;
    for (int i = 1; i <= 16; ++i) {
        if (!std::isxdigit(static_cast<unsigned char>(end[i])))
            return 0;
    }
    if (end[17] == '@' && std::string(end + 18, std::min<std::size_t>(8, std::strlen(end + 18))) != hostTag())
        return 0;
    return pid;
}

void moveIntoPlace(const fs::path &temporary, const fs::path &target, TemporaryGuard &guard)
{
    std::error_code ec;
    fs::rename(temporary, target, ec);
    if (ec)
        failWrite(target, ec.message());
    guard.commit();
}

void writeAll(int fd, std::string_view bytes, const fs::path &target, bool durable = true)
{
    const char *data = bytes.data();
    std::size_t left = bytes.size();
    while (left > 0) {
        const ssize_t written = ::write(fd, data, left);
        if (written < 0) {
            if (errno == EINTR)
                continue;
            failWrite(target, std::strerror(errno));
        }
        data += written;
        left -= static_cast<std::size_t>(written);
    }
    // fsync reports write-back errors (disk full on some file systems) that
    // write() did not, and makes the rename durable.
    if (durable && ::fsync(fd) != 0 && errno != EINVAL)
        failWrite(target, std::strerror(errno));
}

// Where a write goes. A stream (/dev/stdout) or a device node or FIFO is
// written where it is: renaming onto it would replace the node. A symbolic
// link is followed, so the link stays and its target gets the new file.
struct WriteTarget
{
    fs::path path;
    bool inPlace = false;
    int descriptor = -1; // >= 0: a stream of this process, written through it
};

WriteTarget resolveWriteTarget(const fs::path &target)
{
    WriteTarget resolved{target};
    for (int hop = 0; hop < 40; ++hop) {
        resolved.descriptor = streamDescriptorOf(resolved.path);
        if (resolved.descriptor >= 0) {
            resolved.inPlace = true;
            return resolved;
        }
        struct stat status{};
        if (::lstat(resolved.path.c_str(), &status) != 0)
            return resolved; // a new file
        if (!S_ISLNK(status.st_mode)) {
            resolved.inPlace = !S_ISREG(status.st_mode) && !S_ISDIR(status.st_mode);
            return resolved;
        }
        std::error_code error;
        const auto link = fs::read_symlink(resolved.path, error);
        if (error)
            failWrite(target, error.message());
        resolved.path = link.is_absolute() ? link : resolved.path.parent_path() / link;
    }
    failWrite(target, "too many levels of symbolic links");
}

void writeInPlace(const WriteTarget &where, std::string_view bytes, const fs::path &target)
{
    if (where.descriptor >= 0) {
        writeAll(where.descriptor, bytes, target, false);
        return;
    }
    const int fd = ::open(where.path.c_str(), O_WRONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        failWrite(target, std::strerror(errno));
    try {
        writeAll(fd, bytes, target, false);
    } catch (...) {
        ::close(fd);
        throw;
    }
    if (::close(fd) != 0)
        failWrite(target, std::strerror(errno));
}

// A writer's own exceptions become the one sentence of a failed write.
void runWriter(const std::function<void(const fs::path &)> &writeTo, const fs::path &temporary, const fs::path &target)
{
    try {
        writeTo(temporary);
    } catch (const EngineError &) {
        throw;
    } catch (const std::exception &error) {
        failWrite(target, error.what());
    }
}

std::string readWholeFile(const fs::path &file, const fs::path &target)
{
    std::ifstream in(file, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (in.bad())
        failWrite(target, "the writer's temporary file could not be read back");
    return bytes;
}

} // namespace

int removeStaleTemporaryFiles(const fs::path &folder, bool recursive)
{
    int removed = 0;
    const auto removeIfStale = [&](const fs::directory_entry &entry) {
        std::error_code error;
        if (!entry.is_regular_file(error))
            return;
        const long owner = temporaryOwner(entry.path().filename().string());
        // Only files of processes that no longer run: a live one may still rename its file.
        if (owner > 0 && ::kill(static_cast<pid_t>(owner), 0) != 0 && errno == ESRCH) {
            std::error_code ignored;
            if (fs::remove(entry.path(), ignored))
                ++removed;
        }
    };
    std::error_code error;
    if (recursive) {
        for (fs::recursive_directory_iterator it(folder, fs::directory_options::skip_permission_denied, error), end;
             !error && it != end; it.increment(error))
            removeIfStale(*it);
    } else {
        for (fs::directory_iterator it(folder, fs::directory_options::skip_permission_denied, error), end;
             !error && it != end; it.increment(error))
            removeIfStale(*it);
    }
    return removed;
}

void ensureWritableFolder(const fs::path &folder, const std::string &what)
{
    const fs::path where = folder.empty() ? fs::path(".") : folder;
    std::error_code error;
    fs::create_directories(where, error);
    if (error)
        throw EngineError("Cannot create the " + what + " '" + where.string() + "': " + sentenceFragment(error.message()) + ".");
    if (::access(where.c_str(), W_OK | X_OK) != 0)
        throw EngineError("The " + what + " '" + where.string() + "' is not writable: " + sentenceFragment(std::strerror(errno)) + ".");
}

void writeFileAtomically(const fs::path &given, std::string_view bytes)
{
    const auto where = resolveWriteTarget(given);
    if (where.inPlace) {
        writeInPlace(where, bytes, given);
        return;
    }
    const fs::path &target = where.path;
    const fs::path folder = prepareFolder(target);
    fs::path temporary;
    int fd = -1;
    for (int attempt = 0; attempt < 8 && fd < 0; ++attempt) {
        temporary = temporaryPathFor(folder, target);
        fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd < 0 && errno != EEXIST)
            failWrite(target, std::strerror(errno));
    }
    if (fd < 0)
        failWrite(target, "no unique temporary name could be created");

    TemporaryGuard guard(temporary);
    try {
        writeAll(fd, bytes, target);
    } catch (...) {
        ::close(fd);
        throw;
    }
    if (::close(fd) != 0)
        failWrite(target, std::strerror(errno));
    moveIntoPlace(temporary, target, guard);
}

void writeFileAtomically(const fs::path &given, const std::function<void(const fs::path &temporary)> &writeTo)
{
    const auto where = resolveWriteTarget(given);
    if (where.inPlace) {
        // The writer needs a file: it writes one in the temporary folder, which is then copied in.
        std::error_code error;
        const fs::path temporary = temporaryPathFor(fs::temp_directory_path(error), given);
        TemporaryGuard guard(temporary);
        runWriter(writeTo, temporary, given);
        writeInPlace(where, readWholeFile(temporary, given), given);
        return;
    }
    const fs::path &target = where.path;
    const fs::path folder = prepareFolder(target);
    const fs::path temporary = temporaryPathFor(folder, target);
    TemporaryGuard guard(temporary);
    runWriter(writeTo, temporary, target);
    std::error_code ec;
    if (!fs::is_regular_file(temporary, ec))
        failWrite(target, "the writer produced no file");
    moveIntoPlace(temporary, target, guard);
}

int streamDescriptorOf(const std::filesystem::path &path)
{
    const std::string text = path.lexically_normal().string();
    if (text == "/dev/stdin")
        return 0;
    if (text == "/dev/stdout")
        return 1;
    if (text == "/dev/stderr")
        return 2;
    for (const std::string prefix : {"/dev/fd/", "/proc/self/fd/"}) {
        if (text.rfind(prefix, 0) != 0 || text.size() == prefix.size())
            continue;
        char *end = nullptr;
        const long descriptor = std::strtol(text.c_str() + prefix.size(), &end, 10);
        if (*end == '\0' && descriptor >= 0 && descriptor < 65536)
            return static_cast<int>(descriptor);
    }
    return -1;
}

bool isStreamOrNode(const std::filesystem::path &path)
{
    struct stat status{};
    return streamDescriptorOf(path) >= 0
        || (::stat(path.c_str(), &status) == 0 && !S_ISREG(status.st_mode) && !S_ISDIR(status.st_mode));
}

} // namespace mri
