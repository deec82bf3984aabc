#include "kernels.h"

namespace irlens {
void RegisterEmbedding(Napi::Env, Napi::Object) {}
}  // namespace irlens
