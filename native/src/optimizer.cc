#include "kernels.h"

namespace irlens {
void RegisterOptimizer(Napi::Env, Napi::Object) {}
}  // namespace irlens
