// The irlens native addon: C++ kernels that work in place on TypeScript-owned typed arrays.
#include <cstdlib>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include "kernels.h"

namespace irlens {

// Tensors are large, short-lived buffers. glibc's defaults hand each one over 128 KB to mmap and
// give it back on free, so every new tensor costs fresh page faults (measured: a train step ran
// twice as fast without them). Keep freed memory in the heap for reuse instead. The settings
// follow the same names as glibc's MALLOC_*_ environment variables, which still take precedence.
static void KeepFreedTensorMemory() {
#if defined(__GLIBC__)
  if (!std::getenv("MALLOC_MMAP_THRESHOLD_")) mallopt(M_MMAP_THRESHOLD, 1 << 30);
  if (!std::getenv("MALLOC_TRIM_THRESHOLD_")) mallopt(M_TRIM_THRESHOLD, 1 << 30);
  if (!std::getenv("MALLOC_TOP_PAD_")) mallopt(M_TOP_PAD, 64 << 20);
#endif
}

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  KeepFreedTensorMemory();
  RegisterThreadPool(env, exports);
  RegisterGemm(env, exports);
  RegisterElementwise(env, exports);
  RegisterNorms(env, exports);
  RegisterSoftmax(env, exports);
  RegisterAttention(env, exports);
  RegisterEmbedding(env, exports);
  RegisterCrossEntropy(env, exports);
  RegisterOptimizer(env, exports);
  return exports;
}

NODE_API_MODULE(irlens_native, Init)

}  // namespace irlens
