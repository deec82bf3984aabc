// AVX2+FMA GEMM: the blocked driver (gemm_driver.h) with an MR x (8·NV) register-blocked FMA
// microkernel (16 ymm registers: 6x16 uses 12 accumulators). Compiled with AVX2/FMA for this
// file only; gemm_core.cc calls it only when the CPU reports AVX2 and FMA but not AVX-512F.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "gemm_internal.h"

// Not on macOS: Apple clang does not take `#pragma GCC target`, so Intel Macs use the scalar kernel.
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__)) && !defined(__APPLE__)

#pragma GCC push_options
#pragma GCC target("avx2,fma,f16c,bmi,bmi2")
#include <immintrin.h>

namespace irlens {
namespace gemm_detail {
namespace {

#include "gemm_driver.h"

#define IRLENS_INLINE inline __attribute__((always_inline))

// C[MR x 16·NV] (= or +=) Ap[MR x kc] · Bp[kc x 16·NV], both packed (see the driver).
template <int MR, int NV>
static IRLENS_INLINE void KernelMxN(int64_t kc, const float* __restrict ap, const float* __restrict bp,
                                    float* __restrict c, int64_t ldc, bool load_c) {
  constexpr int NR = 8 * NV;
  __m256 acc[MR][NV];
#pragma GCC unroll 32
  for (int i = 0; i < MR; ++i)
#pragma GCC unroll 8
    for (int v = 0; v < NV; ++v) acc[i][v] = _mm256_setzero_ps();
  // Warm the C tile while the FMAs run.
#pragma GCC unroll 32
  for (int i = 0; i < MR; ++i)
#pragma GCC unroll 8
    for (int v = 0; v < NV; ++v) _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc + 8 * v), _MM_HINT_T0);

#pragma GCC unroll 4
  for (int64_t p = 0; p < kc; ++p) {
    __m256 b[NV];
#pragma GCC unroll 8
    for (int v = 0; v < NV; ++v) b[v] = _mm256_load_ps(bp + p * NR + 8 * v);
#pragma GCC unroll 32
    for (int i = 0; i < MR; ++i) {
      const __m256 a = _mm256_set1_ps(ap[p * MR + i]);
#pragma GCC unroll 8
      for (int v = 0; v < NV; ++v) acc[i][v] = _mm256_fmadd_ps(a, b[v], acc[i][v]);
    }
  }
  if (load_c) {
#pragma GCC unroll 32
    for (int i = 0; i < MR; ++i)
#pragma GCC unroll 8
      for (int v = 0; v < NV; ++v) {
        float* cp = c + i * ldc + 8 * v;
        _mm256_storeu_ps(cp, _mm256_add_ps(_mm256_loadu_ps(cp), acc[i][v]));
      }
  } else {
#pragma GCC unroll 32
    for (int i = 0; i < MR; ++i)
#pragma GCC unroll 8
      for (int v = 0; v < NV; ++v) _mm256_storeu_ps(c + i * ldc + 8 * v, acc[i][v]);
  }
}

template <int MR_, int NV_, int KC_, int MC_, int NC_>
struct Avx2Kernel {
  static constexpr int MR = MR_;
  static constexpr int NR = 8 * NV_;
  static constexpr int KC = KC_;
  static constexpr int MC = MC_;
  static constexpr int NC = NC_;
  static void Kernel(int64_t kc, const float* ap, const float* bp, float* c, int64_t ldc, bool load_c) {
    KernelMxN<MR_, NV_>(kc, ap, bp, c, ldc, load_c);
  }
  static void PackA(const Problem& p, int64_t i0, int64_t mc, int64_t p0, int64_t kc, float* ap) {
    GenericPackA<MR>(p, i0, mc, p0, kc, ap);
  }
  static void PackB(const Problem& p, int64_t j0, int64_t nc, int64_t p0, int64_t kc, float* bp) {
    GenericPackB<NR>(p, j0, nc, p0, kc, bp);
  }
};

using K6x16 = Avx2Kernel<6, 2, 256, 1536, 512>;

void Serial6x16(const Problem& p) { BlockedGemm<K6x16>(p); }
void PackA6x16(const Problem& p, int64_t i0, int64_t mc, int64_t p0, int64_t kc, float* ap) {
  PackABlock<K6x16>(p, i0, mc, p0, kc, ap);
}
void Compute6x16(const Problem& p, const float* ap, int64_t i0, int64_t mc, int64_t j0, int64_t nc, int64_t p0,
                 int64_t kc, bool load_c) {
  ComputeBlock<K6x16>(p, ap, i0, mc, j0, nc, p0, kc, load_c);
}

}  // namespace
}  // namespace gemm_detail
}  // namespace irlens

#pragma GCC pop_options

namespace irlens {
namespace gemm_detail {

const Isa* Avx2Isa() {
  static const Isa isa = {"avx2", K6x16::MR, K6x16::NR, K6x16::KC, K6x16::NC, Serial6x16,
                         PackA6x16, Compute6x16, nullptr};
  return &isa;
}

}  // namespace gemm_detail
}  // namespace irlens

#else

namespace irlens {
namespace gemm_detail {
const Isa* Avx2Isa() { return nullptr; }
}  // namespace gemm_detail
}  // namespace irlens

#endif
