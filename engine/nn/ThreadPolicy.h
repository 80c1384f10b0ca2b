#pragma once

namespace mri {

// Makes the program's OpenMP threads (LibTorch's) sleep rather than spin while
// they wait for work, unless the user chose otherwise with OMP_WAIT_POLICY.
// Spinning threads take their whole time slice from any other busy process on
// the machine, and barriers then wait for the descheduled thread: a training
// run beside one busy process took about 4x as long. libgomp reads the policy
// once, when it is loaded (LibTorch loads it before main), so this sets
// OMP_WAIT_POLICY=passive and re-executes the program (/proc/self/exe, same
// arguments) once; a marker in the environment makes sure it is only once.
// Call it first thing in main(), before any thread starts. Returns only when
// the policy is already set or the re-execution failed (the program then
// runs as before).
void adoptPassiveThreadWaiting(char **argv);

// The CPU thread count of training and enhancement: `requested` > 0 as given;
// 0 for the CPUs this process may run on (its affinity mask: taskset, cgroup
// cpusets), not every core of the machine. Not fewer when other processes keep
// CPUs busy: with passive waiting (above) a thread that waits gives its CPU
// away, and the scheduler shares busy CPUs by thread, so fewer threads only
// get a smaller share. Measured on 2 cores beside `yes > /dev/null` (and other
// users' work): 2 threads 21-26 s, 1 thread 33 s for the same training run.
int resolveThreadCount(int requested);

// The CPUs in this process's affinity mask (at least 1).
int availableCpuCount();

// Sets LibTorch's intra-op thread count for the calling thread's work to
// resolveThreadCount(requested) and returns it. Training and enhancement call
// it on the thread that runs them, at the start of each run, so that neither
// depends on what another thread set before.
int useThreads(int requested);

} // namespace mri
