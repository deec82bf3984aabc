// A fixed pool of worker threads shared by every kernel.
#pragma once
#include <cstdint>
#include <functional>

namespace irlens {

// Calls fn(begin, end) on disjoint chunks covering [0, n) and returns when all are done.
// Chunks hold at least `grain` items. A kernel stays deterministic by never letting the chunk
// layout change a result: each output element is computed by one fixed sequence of operations.
// Nested calls (from inside fn) run serially on the calling thread.
void ParallelFor(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn);

// Threads kernels use (defaults to the machine's cores; IRLENS_THREADS overrides).
int NumThreads();
void SetNumThreads(int n);

}  // namespace irlens
