#include "kernels.h"

namespace irlens {
void RegisterAttention(Napi::Env, Napi::Object) {}
}  // namespace irlens
