// macOS: the GEMM through Accelerate's cblas_sgemm, whose matrix units on Apple Silicon are far
// faster than the NEON kernel. It is chosen on aarch64 macOS unless IRLENS_SIMD=neon. Accelerate
// does not promise the same float operations for every thread count or machine, so it gives up
// the bit-identical results the other paths guarantee; the NEON kernel stays the deterministic
// mode and the reference for tests. Built only where binding.gyp defines IRLENS_ACCELERATE (and by
// the aarch64 kernel test against Debian's reference CBLAS, which declares the same cblas_sgemm).
#include "gemm_internal.h"

#if defined(IRLENS_ACCELERATE)

#include <Accelerate/Accelerate.h>

namespace irlens {
namespace gemm_detail {
namespace {

void AccelerateProduct(const Problem& p) {
  if (p.m <= 0 || p.n <= 0) return;
  if (p.k <= 0) {  // cblas rejects the leading dimension 0 this has; the product is zero
    if (!p.accumulate)
      for (int64_t i = 0; i < p.m; ++i)
        for (int64_t j = 0; j < p.n; ++j) p.c[i * p.ldc + j] = 0.0f;
    return;
  }
  cblas_sgemm(CblasRowMajor, p.ta ? CblasTrans : CblasNoTrans, p.tb ? CblasTrans : CblasNoTrans,
              static_cast<int>(p.m), static_cast<int>(p.n), static_cast<int>(p.k), 1.0f, p.a,
              static_cast<int>(p.lda), p.b, static_cast<int>(p.ldb), p.accumulate ? 1.0f : 0.0f, p.c,
              static_cast<int>(p.ldc));
}

}  // namespace

const Isa* AccelerateIsa() {
  static const Isa isa = {"accelerate", 1, 1, 0, 0, AccelerateProduct, nullptr, nullptr, nullptr};
  return &isa;
}

}  // namespace gemm_detail
}  // namespace irlens

#endif
