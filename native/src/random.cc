// Counter-based random numbers: the dropout mask, from Philox4x32-10 (Salmon et al., SC 2011),
// the same words as src/tensor/reference/random.ts. Each element depends only on the key and its
// index, so threads (or a GPU's) can draw any range on their own.
#include <algorithm>
#include <cstdint>

#include "kernels.h"
#include "napi_args.h"
#include "parallel_util.h"

namespace irlens {
namespace {

struct Words {
  uint32_t w[4];
};

Words Philox4x32(uint32_t c0, uint32_t c1, uint32_t c2, uint32_t c3, uint32_t k0, uint32_t k1) {
  constexpr uint32_t kM0 = 0xD2511F53u, kM1 = 0xCD9E8D57u, kW0 = 0x9E3779B9u, kW1 = 0xBB67AE85u;
  for (int round = 0; round < 10; ++round) {
    const uint64_t p0 = uint64_t(kM0) * c0, p1 = uint64_t(kM1) * c2;
    const uint32_t hi0 = uint32_t(p0 >> 32), lo0 = uint32_t(p0), hi1 = uint32_t(p1 >> 32), lo1 = uint32_t(p1);
    c0 = hi1 ^ c1 ^ k0;
    c1 = lo1;
    c2 = hi0 ^ c3 ^ k1;
    c3 = lo0;
    k0 += kW0;
    k1 += kW1;
  }
  return {{c0, c1, c2, c3}};
}

Napi::Value DropoutMask(const Napi::CallbackInfo& info) {
  // (key0, key1, p, scale, out)
  Args a(info, "dropoutMask", 5);
  const int64_t k0 = a.Integer(0, "key0"), k1 = a.Integer(1, "key1");
  const double p = a.Number(2, "p");
  const float scale = float(a.Number(3, "scale"));
  FloatView out = a.Floats(4, "out");
  if (a.ok() && (k0 > 0xFFFFFFFFll || k1 > 0xFFFFFFFFll)) a.Fail("key words must be uint32");
  if (!a.ok()) return a.env().Undefined();
  float* o = out.data;
  ForFlatBlocks(out.length, [&](int64_t s, int64_t e) {
    for (int64_t block = s / 4; block * 4 < e; ++block) {
      const uint64_t b = uint64_t(block);
      const Words r = Philox4x32(uint32_t(b), uint32_t(b >> 32), 0, 0, uint32_t(k0), uint32_t(k1));
      for (int64_t i = std::max(s, block * 4); i < std::min(e, block * 4 + 4); ++i) {
        const double u = double(r.w[i - block * 4] >> 8) * (1.0 / 16777216.0);
        o[i] = u < p ? 0.0f : scale;
      }
    }
  });
  return a.env().Undefined();
}

}  // namespace

void RegisterRandom(Napi::Env env, Napi::Object exports) {
  exports.Set("dropoutMask", Napi::Function::New(env, DropoutMask, "dropoutMask"));
}

}  // namespace irlens
