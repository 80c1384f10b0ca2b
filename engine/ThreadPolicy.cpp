#include "ThreadPolicy.h"

#include <torch/torch.h>

#include <algorithm>
#include <thread>

namespace mri {

int resolveThreadCount(int requested)
{
    if (requested > 0)
        return requested;
    return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

int useThreads(int requested)
{
    const int threads = resolveThreadCount(requested);
    if (torch::get_num_threads() != threads)
        torch::set_num_threads(threads);
    return threads;
}

} // namespace mri
