#include "nn/ThreadPolicy.h"

#include <torch/torch.h>

#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <thread>

namespace mri {

namespace {

// Set in the re-executed program's environment: never re-execute twice.
constexpr const char *kReexecutedMarker = "MRI_THREAD_POLICY_APPLIED";

} // namespace

void adoptPassiveThreadWaiting(char **argv)
{
    if (std::getenv("OMP_WAIT_POLICY") || std::getenv(kReexecutedMarker) || !argv || !argv[0])
        return;
    setenv("OMP_WAIT_POLICY", "passive", 1);
    setenv(kReexecutedMarker, "1", 1);
    execv("/proc/self/exe", argv);
    // No re-execution (no /proc): the program runs on with libgomp's default.
}

int availableCpuCount()
{
    cpu_set_t allowed;
    CPU_ZERO(&allowed);
    if (sched_getaffinity(0, sizeof allowed, &allowed) == 0)
        return std::max(1, CPU_COUNT(&allowed));
    return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

int resolveThreadCount(int requested)
{
    return requested > 0 ? requested : availableCpuCount();
}

int useThreads(int requested)
{
    const int threads = resolveThreadCount(requested);
    if (torch::get_num_threads() != threads)
        torch::set_num_threads(threads);
    return threads;
}

} // namespace mri
