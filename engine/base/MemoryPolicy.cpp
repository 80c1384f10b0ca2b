#include "base/MemoryPolicy.h"

#if __has_include(<malloc.h>)
#include <malloc.h>
#endif

#include <mutex>

namespace mri {

void keepTensorMemoryForReuse()
{
#if defined(M_MMAP_THRESHOLD) && defined(M_TRIM_THRESHOLD)
    static std::once_flag once;
    std::call_once(once, [] {
        constexpr int kMmapThreshold = 64 << 20;
        constexpr int kTrimThreshold = 256 << 20;
        mallopt(M_MMAP_THRESHOLD, kMmapThreshold);
        mallopt(M_TRIM_THRESHOLD, kTrimThreshold);
    });
#endif
}

} // namespace mri
