#include "ThreadPolicy.h"

#include <torch/torch.h>

#include <sched.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

namespace mri {

namespace {

// Set in the re-executed program's environment: never re-execute twice.
constexpr const char *kReexecutedMarker = "MRI_THREAD_POLICY_APPLIED";

// How long resolveThreadCount(0) watches the other processes.
constexpr int kLoadSampleMilliseconds = 100;

struct CpuTimes
{
    double busySeconds = 0.0; // of the CPUs in the affinity mask
    bool valid = false;
};

CpuTimes readCpuTimes(const cpu_set_t &allowed)
{
    CpuTimes times;
    std::ifstream stat("/proc/stat");
    if (!stat)
        return times;
    const double ticksPerSecond = static_cast<double>(std::max(1L, sysconf(_SC_CLK_TCK)));
    std::string line;
    while (std::getline(stat, line)) {
        // Per-CPU lines only: "cpuN user nice system idle iowait irq softirq steal ...".
        if (line.size() < 4 || line.compare(0, 3, "cpu") != 0 || line[3] == ' ')
            continue;
        std::istringstream fields(line.substr(3));
        int cpu = -1;
        fields >> cpu;
        if (cpu < 0 || cpu >= CPU_SETSIZE || !CPU_ISSET(cpu, &allowed))
            continue;
        unsigned long long value = 0;
        unsigned long long busy = 0;
        for (int field = 0; field < 8 && fields >> value; ++field) {
            if (field != 3 && field != 4) // idle and iowait
                busy += value;
        }
        times.busySeconds += static_cast<double>(busy) / ticksPerSecond;
        times.valid = true;
    }
    return times;
}

double ownCpuSeconds()
{
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    const auto seconds = [](const timeval &t) { return static_cast<double>(t.tv_sec) + t.tv_usec * 1e-6; };
    return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

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

double cpusBusyElsewhere(int milliseconds)
{
    cpu_set_t allowed;
    CPU_ZERO(&allowed);
    if (sched_getaffinity(0, sizeof allowed, &allowed) != 0)
        return 0.0;
    using Clock = std::chrono::steady_clock;
    const auto before = readCpuTimes(allowed);
    const double ownBefore = ownCpuSeconds();
    const auto start = Clock::now();
    std::this_thread::sleep_for(std::chrono::milliseconds(milliseconds));
    const auto after = readCpuTimes(allowed);
    const double ownAfter = ownCpuSeconds();
    const double wall = std::chrono::duration<double>(Clock::now() - start).count();
    if (!before.valid || !after.valid || wall <= 0.0)
        return 0.0;
    const double others = (after.busySeconds - before.busySeconds) - (ownAfter - ownBefore);
    return std::max(0.0, others / wall);
}

int resolveThreadCount(int requested)
{
    if (requested > 0)
        return requested;
    const int cpus = availableCpuCount();
    if (cpus == 1)
        return 1;
    // A CPU counts as taken when others keep it busy more than half the time.
    const int taken = static_cast<int>(cpusBusyElsewhere(kLoadSampleMilliseconds) + 0.5);
    return std::clamp(cpus - taken, 1, cpus);
}

int useThreads(int requested)
{
    const int threads = resolveThreadCount(requested);
    if (torch::get_num_threads() != threads)
        torch::set_num_threads(threads);
    return threads;
}

} // namespace mri
