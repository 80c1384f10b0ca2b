#pragma once

namespace mri {

// The CPU thread count of training and enhancement: `requested` > 0 as given,
// 0 for every core of the machine.
int resolveThreadCount(int requested);

// Sets LibTorch's intra-op thread count for the calling thread's work to
// resolveThreadCount(requested) and returns it. Training and enhancement call
// it on the thread that runs them, at the start of each run, so that neither
// depends on what another thread set before.
int useThreads(int requested);

} // namespace mri
