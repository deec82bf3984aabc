// AdamW, in place, exactly the update torch.optim.AdamW makes (decoupled weight decay).
#include <cmath>

#include "kernels.h"
#include "napi_args.h"
#include "parallel_util.h"
#include "vec_math.h"

namespace irlens {
namespace {

struct AdamConstants {
  float decay;      // 1 − lr·wd
  float beta1, one_minus_beta1, beta2, one_minus_beta2;
  float step_size;  // lr / (1 − β1^step)
  float inv_bc2_sqrt;  // 1 / sqrt(1 − β2^step)
  float eps;
  bool decays;
};

// Plain loops: the compiler vectorises them (sqrt and division included) in every clone.
IRLENS_CLONES void AdamRange(float* __restrict p, const float* __restrict g, float* __restrict m,
                             float* __restrict v, int64_t n, const AdamConstants& c) {
  const float decay = c.decay, b1 = c.beta1, ob1 = c.one_minus_beta1, b2 = c.beta2, ob2 = c.one_minus_beta2,
              step_size = c.step_size, ibc2 = c.inv_bc2_sqrt, eps = c.eps;
  if (c.decays) {
    for (int64_t i = 0; i < n; ++i) {
      const float gi = g[i];
      const float mi = b1 * m[i] + ob1 * gi;
      const float vi = b2 * v[i] + ob2 * (gi * gi);
      m[i] = mi;
      v[i] = vi;
      const float denom = std::sqrt(vi) * ibc2 + eps;
      p[i] = p[i] * decay - step_size * (mi / denom);
    }
  } else {
    for (int64_t i = 0; i < n; ++i) {
      const float gi = g[i];
      const float mi = b1 * m[i] + ob1 * gi;
      const float vi = b2 * v[i] + ob2 * (gi * gi);
      m[i] = mi;
      v[i] = vi;
      const float denom = std::sqrt(vi) * ibc2 + eps;
      p[i] = p[i] - step_size * (mi / denom);
    }
  }
}

Napi::Value AdamW(const Napi::CallbackInfo& info) {
  // (param, grad, m, v, lr, beta1, beta2, eps, weightDecay, step)
  Args a(info, "adamw", 10);
  FloatView p = a.Floats(0, "param"), g = a.Floats(1, "grad"), m = a.Floats(2, "m"), v = a.Floats(3, "v");
  double lr = a.Number(4, "lr"), beta1 = a.Number(5, "beta1"), beta2 = a.Number(6, "beta2"),
         eps = a.Number(7, "eps"), wd = a.Number(8, "weightDecay");
  int64_t step = a.Integer(9, "step", 1);
  const int64_t n = p.length;
  a.Need(g, n, "grad");
  a.Need(m, n, "m");
  a.Need(v, n, "v");
  if (!a.ok()) return a.env().Undefined();
  AdamConstants c;
  c.decay = float(1.0 - lr * wd);
  c.decays = wd != 0;
  c.beta1 = float(beta1);
  c.one_minus_beta1 = float(1.0 - beta1);
  c.beta2 = float(beta2);
  c.one_minus_beta2 = float(1.0 - beta2);
  c.step_size = float(lr / (1.0 - std::pow(beta1, double(step))));
  c.inv_bc2_sqrt = float(1.0 / std::sqrt(1.0 - std::pow(beta2, double(step))));
  c.eps = float(eps);
  ForFlatBlocks(n, [&](int64_t b, int64_t e) {
    AdamRange(p.data + b, g.data + b, m.data + b, v.data + b, e - b, c);
  });
  return a.env().Undefined();
}

}  // namespace

void RegisterOptimizer(Napi::Env env, Napi::Object exports) {
  exports.Set("adamw", Napi::Function::New(env, AdamW, "adamw"));
}

}  // namespace irlens
