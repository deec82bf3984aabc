// The irlens native addon: C++ kernels that work in place on TypeScript-owned typed arrays.
#include "kernels.h"

namespace irlens {

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  RegisterThreadPool(env, exports);
  RegisterStorage(env, exports);
  RegisterGemm(env, exports);
  RegisterElementwise(env, exports);
  RegisterNorms(env, exports);
  RegisterSoftmax(env, exports);
  RegisterAttention(env, exports);
  RegisterEmbedding(env, exports);
  RegisterCrossEntropy(env, exports);
  RegisterCategorical(env, exports);
  RegisterTokenChoice(env, exports);
  RegisterOptimizer(env, exports);
  RegisterRandom(env, exports);
  return exports;
}

NODE_API_MODULE(irlens_native, Init)

}  // namespace irlens
