#include "glass/util/allocator.h"

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace glass {

bool keep_freed_memory() {
#if defined(__GLIBC__)
  // 1 GiB: convolution workspaces above glibc's usual 32 MiB ceiling stay on the heap too (at
  // 32 MiB half the page faults remained), and the heap is trimmed only above 1 GiB free at the top.
  constexpr int kMmapThreshold = 1 << 30;
  constexpr int kTrimThreshold = 1 << 30;
  return mallopt(M_MMAP_THRESHOLD, kMmapThreshold) == 1 && mallopt(M_TRIM_THRESHOLD, kTrimThreshold) == 1;
#else
  return false;
#endif
}

}  // namespace glass
