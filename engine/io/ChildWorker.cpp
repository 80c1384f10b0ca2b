#include "io/ChildWorker.h"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <fcntl.h>

#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

namespace mri {

namespace {

// Every message: one kind byte, an 8-byte length, then that many bytes.
constexpr char kRequest = 'R';
constexpr char kValue = 'V';
constexpr char kError = 'E';
constexpr std::size_t kHeaderSize = 9;

bool sendAll(int fd, const char *data, std::size_t count)
{
    while (count > 0) {
        // MSG_NOSIGNAL: a peer gone is an error here, not a SIGPIPE for the whole process.
        const ssize_t sent = ::send(fd, data, count, MSG_NOSIGNAL);
        if (sent < 0 && errno == EINTR)
            continue;
        if (sent <= 0)
            return false;
        data += sent;
        count -= static_cast<std::size_t>(sent);
    }
    return true;
}

bool sendMessage(int fd, char kind, const char *data, std::uint64_t count)
{
    char header[kHeaderSize];
    header[0] = kind;
    std::memcpy(header + 1, &count, sizeof count);
    return sendAll(fd, header, sizeof header) && sendAll(fd, data, static_cast<std::size_t>(count));
}

// Blocking read of exactly `count` bytes; false at the end of the stream or on an error.
bool receiveAll(int fd, char *data, std::size_t count)
{
    while (count > 0) {
        const ssize_t got = ::read(fd, data, count);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            return false;
        data += got;
        count -= static_cast<std::size_t>(got);
    }
    return true;
}

std::string endingOf(int status)
{
    if (WIFSIGNALED(status)) {
        const int signal = WTERMSIG(status);
        const char *name = ::strsignal(signal);
        return "crashed (signal " + std::to_string(signal) + (name ? std::string(", ") + name : std::string()) + ")";
    }
    if (WIFEXITED(status))
        return "ended with status " + std::to_string(WEXITSTATUS(status)) + " before it answered";
    return "ended before it answered";
}

int waitFor(pid_t pid)
{
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR)
            return 0;
    }
    return status;
}

} // namespace

ChildWorker::ChildWorker(Handler handler, int silenceLimitSeconds)
    : m_handler(std::move(handler)), m_silenceLimitSeconds(silenceLimitSeconds)
{
}

ChildWorker::~ChildWorker()
{
    stop(true);
}

bool ChildWorker::start(std::string &problem)
{
    int ends[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ends) != 0) {
        problem = std::string("could not be started (") + std::strerror(errno) + ")";
        return false;
    }
    const pid_t pid = ::fork();
    if (pid < 0) {
        problem = std::string("could not be started (") + std::strerror(errno) + ")";
        ::close(ends[0]);
        ::close(ends[1]);
        return false;
    }
    if (pid == 0) {
        ::close(ends[0]);
        serve(ends[1], ends[1]);
    }
    ::close(ends[1]);
    m_pid = pid;
    m_toChild = m_fromChild = ends[0];
    return true;
}

void ChildWorker::stop(bool kill)
{
    if (m_pid < 0)
        return;
    // Killed rather than told: an idle child holds nothing, and another
    // worker's child may hold a copy of this socket, so an end-of-stream
    // might never reach it.
    if (kill)
        ::kill(m_pid, SIGKILL);
    ::close(m_toChild);
    waitFor(m_pid);
    m_pid = -1;
    m_toChild = m_fromChild = -1;
}

void ChildWorker::serve(int requests, int answers)
{
    // A crash ends the child quietly: not the parent's crash handlers (Qt
    // Test's, a crash reporter's), and no core file of the whole process.
    for (const int fatal : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT})
        std::signal(fatal, SIG_DFL);
    const rlimit noCore{0, 0};
    ::setrlimit(RLIMIT_CORE, &noCore);
    // What a crashing library prints (an assertion's source line) is not for
    // the user, whose sentence comes from the parent; MRI_CHILD_STDERR keeps it.
    if (!std::getenv("MRI_CHILD_STDERR")) {
        const int null = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
        if (null >= 0) {
            ::dup2(null, STDERR_FILENO);
            ::close(null);
        }
    }
    const bool crashOnRequest = std::getenv("MRI_TEST_CRASH_CHILD") != nullptr;
    std::vector<char> request, answer;
    for (;;) {
        char header[kHeaderSize];
        std::uint64_t length = 0;
        if (!receiveAll(requests, header, sizeof header) || header[0] != kRequest)
            ::_exit(0); // the parent is done (_exit: none of its atexit handlers or destructors)
        std::memcpy(&length, header + 1, sizeof length);
        request.resize(static_cast<std::size_t>(length));
        if (!receiveAll(requests, request.data(), request.size()))
            ::_exit(0);
        if (crashOnRequest)
            std::abort();
        bool sent = false;
        try {
            answer.clear();
            m_handler(request, answer);
            sent = sendMessage(answers, kValue, answer.data(), answer.size());
        } catch (const std::exception &problem) {
            const std::string sentence = problem.what();
            sent = sendMessage(answers, kError, sentence.data(), sentence.size());
        } catch (...) {
            const std::string sentence = "The work ended with an unexpected error.";
            sent = sendMessage(answers, kError, sentence.data(), sentence.size());
        }
        if (!sent)
            ::_exit(1);
    }
}

ChildOutcome ChildWorker::call(const std::vector<char> &request, std::vector<char> &answer)
{
    ChildOutcome outcome;
    std::string problem;
    if (m_pid < 0 && !start(problem)) {
        outcome.ending = ChildOutcome::Ending::Crashed;
        outcome.sentence = problem;
        return outcome;
    }
    // The answer: its header, then its body, each read as it arrives so that
    // silence (not the answer's size) is what the time limit measures.
    char header[kHeaderSize];
    std::size_t headerRead = 0;
    std::uint64_t length = 0, bodyRead = 0;
    std::string errorText;
    bool timedOut = false;
    bool complete = false;
    if (sendMessage(m_toChild, kRequest, request.data(), request.size())) {
        while (!complete) {
            pollfd waiting{m_fromChild, POLLIN, 0};
            const int ready = ::poll(&waiting, 1, m_silenceLimitSeconds * 1000);
            if (ready < 0 && errno == EINTR)
                continue;
            if (ready == 0) {
                timedOut = true;
                break;
            }
            char *into = headerRead < sizeof header ? header + headerRead
                : header[0] == kValue                ? answer.data() + bodyRead
                                                     : errorText.data() + bodyRead;
            const std::size_t wanted = headerRead < sizeof header
                ? sizeof header - headerRead
                : static_cast<std::size_t>(std::min<std::uint64_t>(length - bodyRead, 1 << 20));
            const ssize_t got = ::read(m_fromChild, into, wanted);
            if (got < 0 && errno == EINTR)
                continue;
            if (got <= 0)
                break; // the child is gone
            if (headerRead < sizeof header) {
                headerRead += static_cast<std::size_t>(got);
                if (headerRead < sizeof header)
                    continue;
                std::memcpy(&length, header + 1, sizeof length);
                if (header[0] == kValue)
                    answer.resize(static_cast<std::size_t>(length));
                else if (header[0] == kError && length < (1u << 20))
                    errorText.resize(static_cast<std::size_t>(length));
                else
                    break; // not an answer of ours: reported as a crash
            } else {
                bodyRead += static_cast<std::uint64_t>(got);
            }
            complete = headerRead == sizeof header && bodyRead == length;
        }
    }
    if (complete && header[0] == kValue)
        return outcome;
    if (complete) {
        outcome.ending = ChildOutcome::Ending::Failed;
        outcome.sentence = errorText;
        answer.clear();
        return outcome;
    }
    // Silent, crashed, or answered with garbage: this child is done; the next call starts another.
    if (timedOut) {
        outcome.ending = ChildOutcome::Ending::TimedOut;
        outcome.sentence = "gave no answer in " + std::to_string(m_silenceLimitSeconds) + " s and was stopped";
        stop(true);
    } else {
        const pid_t pid = m_pid;
        ::kill(pid, SIGKILL); // no effect on a child already dead; ends one that answered with garbage
        ::close(m_toChild);
        const int status = waitFor(pid);
        m_pid = -1;
        m_toChild = m_fromChild = -1;
        outcome.ending = ChildOutcome::Ending::Crashed;
        outcome.sentence = endingOf(status);
    }
    answer.clear();
    return outcome;
}

} // namespace mri
