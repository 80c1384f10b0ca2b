#include "nn/ThreadPolicy.h"
#include "CommandLine.h"

#include <atomic>
#include <csignal>
#include <cstdlib>
#include <string>
#include <vector>

namespace {

std::atomic_bool g_cancel{false};

extern "C" void onInterrupt(int)
{
    // A second Ctrl+C ends at once; the first lets the engine save its work.
    if (g_cancel.exchange(true))
        std::_Exit(mri::cli::kExitInterrupted);
}

} // namespace

int main(int argc, char **argv)
{
    mri::adoptPassiveThreadWaiting(argv); // may re-execute the program, so first
    std::signal(SIGINT, onInterrupt);
    std::signal(SIGTERM, onInterrupt);
    return mri::cli::run(std::vector<std::string>(argv + 1, argv + argc), g_cancel);
}
