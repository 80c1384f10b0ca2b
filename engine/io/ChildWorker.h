#pragma once

#include <functional>
#include <string>
#include <sys/types.h>
#include <vector>

namespace mri {

// How one request to a ChildWorker ended.
struct ChildOutcome
{
    enum class Ending {
        Finished, // the handler returned; the answer holds what it wrote
        Failed,   // the handler threw; `sentence` is its what()
        Crashed,  // the child died (a signal, an abort, an exit before answering); `sentence` says how
        TimedOut  // the child was silent for the time allowed and was killed
    };
    Ending ending = Ending::Finished;
    std::string sentence;
};

// A forked copy of this process that runs `handler` on one request at a time
// and sends back what it wrote. For third-party decoders that can crash or
// assert on damaged input (GDCM's pixel reader and codecs): a crash ends the child only,
// the caller turns it into a sentence for its row, and the next request gets a
// fresh child. The child is forked on the first request (so it holds none of
// the work's state from before) and ends when the worker is destroyed; state
// the handler leaves behind (a codec's) never reaches this process. A child
// silent for `silenceLimitSeconds` is killed. With MRI_TEST_CRASH_CHILD set in
// the environment the child aborts on every request, so tests can show that a
// crash is contained. The child's standard error goes to /dev/null unless
// MRI_CHILD_STDERR is set (to see what a crashing library printed).
class ChildWorker
{
public:
    using Handler = std::function<void(const std::vector<char> &request, std::vector<char> &answer)>;

    ChildWorker(Handler handler, int silenceLimitSeconds);
    ~ChildWorker();
    ChildWorker(const ChildWorker &) = delete;
    ChildWorker &operator=(const ChildWorker &) = delete;

    // Runs the handler on `request` in the child; `answer` (resized) receives what it wrote.
    ChildOutcome call(const std::vector<char> &request, std::vector<char> &answer);

private:
    bool start(std::string &problem);
    void stop(bool kill);
    [[noreturn]] void serve(int requests, int answers);

    Handler m_handler;
    int m_silenceLimitSeconds;
    pid_t m_pid = -1;
    int m_toChild = -1;
    int m_fromChild = -1;
};

} // namespace mri
