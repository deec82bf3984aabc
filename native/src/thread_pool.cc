#include "kernels.h"

namespace irlens {
void RegisterThreadPool(Napi::Env, Napi::Object) {}
}  // namespace irlens
