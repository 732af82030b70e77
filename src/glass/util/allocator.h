#pragma once
// Keeping freed tensor memory in the process. glibc hands every block above its mmap threshold
// (128 KiB at start) back to the kernel on free, so a sampler that allocates the same activations
// at every network call maps them afresh and page-faults them in each time: a third of a run in
// the kernel (docs/benchmarks.md). Raising the mmap and trim thresholds keeps such blocks on the
// heap for reuse. Call once at start-up, before the first tensor; the glass command does.
namespace glass {

// Returns false when the C library refused the settings (not glibc, or out of range).
bool keep_freed_memory();

}  // namespace glass
