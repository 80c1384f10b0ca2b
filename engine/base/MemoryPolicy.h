#pragma once

namespace mri {

// Lets the C allocator keep freed tensor memory for the next allocation of
// the same size instead of returning it to the kernel. glibc serves blocks
// above its mmap threshold (dynamic, at most 32 MB by default) with fresh
// mmap()s and trims the heap when 2x that is free; every activation of the
// U-Net then comes back as zero-filled pages, one page fault per 4 KB. Measured
// (perf, default network at 256x256 on 2 cores): a quarter of the time was in
// the kernel's page-fault handler, and a forward pass took 1000 ms per
// megapixel instead of 220. This sets the mmap threshold to 256 MB (blocks
// larger than that, such as a huge slice's output, are still mapped and
// unmapped) and the trim threshold to 512 MB: the heap stays at the peak of
// one tile's working memory. Process-wide, idempotent; training and
// enhancement call it when they start. A no-op outside glibc.
void keepTensorMemoryForReuse();

} // namespace mri
