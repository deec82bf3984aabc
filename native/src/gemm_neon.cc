// NEON (Advanced SIMD) GEMM for aarch64: the blocked driver (gemm_driver.h) with an 8x12
// register-blocked FMA microkernel. aarch64 has 32 q registers: 24 accumulators, 3 for a row of
// B and 2 for a column of A, each A element broadcast from its lane by the FMA itself.
// Advanced SIMD is part of the aarch64 baseline, so no CPU check is needed to use it.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "gemm_internal.h"

#if defined(__aarch64__)

#include <arm_neon.h>

namespace irlens {
namespace gemm_detail {
namespace {

#include "gemm_driver.h"

#define IRLENS_INLINE inline __attribute__((always_inline))

// C[8 x 12] (= or +=) Ap[8 x kc] · Bp[kc x 12], both packed (see the driver). Every element is
// one FMA chain from zero over p in ascending order, as in the x86 kernels.
static IRLENS_INLINE void Kernel8x12(int64_t kc, const float* __restrict ap, const float* __restrict bp,
                                     float* __restrict c, int64_t ldc, bool load_c) {
  constexpr int MR = 8, NV = 3, NR = 4 * NV;
  float32x4_t acc[MR][NV];
#pragma GCC unroll 8
  for (int i = 0; i < MR; ++i)
#pragma GCC unroll 3
    for (int v = 0; v < NV; ++v) acc[i][v] = vdupq_n_f32(0.0f);

#pragma GCC unroll 2
  for (int64_t p = 0; p < kc; ++p) {
    float32x4_t b[NV];
#pragma GCC unroll 3
    for (int v = 0; v < NV; ++v) b[v] = vld1q_f32(bp + p * NR + 4 * v);
    const float32x4_t a_lo = vld1q_f32(ap + p * MR);
    const float32x4_t a_hi = vld1q_f32(ap + p * MR + 4);
#pragma GCC unroll 3
    for (int v = 0; v < NV; ++v) {
      acc[0][v] = vfmaq_laneq_f32(acc[0][v], b[v], a_lo, 0);
      acc[1][v] = vfmaq_laneq_f32(acc[1][v], b[v], a_lo, 1);
      acc[2][v] = vfmaq_laneq_f32(acc[2][v], b[v], a_lo, 2);
      acc[3][v] = vfmaq_laneq_f32(acc[3][v], b[v], a_lo, 3);
      acc[4][v] = vfmaq_laneq_f32(acc[4][v], b[v], a_hi, 0);
      acc[5][v] = vfmaq_laneq_f32(acc[5][v], b[v], a_hi, 1);
      acc[6][v] = vfmaq_laneq_f32(acc[6][v], b[v], a_hi, 2);
      acc[7][v] = vfmaq_laneq_f32(acc[7][v], b[v], a_hi, 3);
    }
  }
#pragma GCC unroll 8
  for (int i = 0; i < MR; ++i)
#pragma GCC unroll 3
    for (int v = 0; v < NV; ++v) {
      float* cp = c + i * ldc + 4 * v;
      vst1q_f32(cp, load_c ? vaddq_f32(vld1q_f32(cp), acc[i][v]) : acc[i][v]);
    }
}

struct NeonKernel {
  static constexpr int MR = 8;
  static constexpr int NR = 12;
  static constexpr int KC = 256;
  static constexpr int MC = 512;
  static constexpr int NC = 1536;
  static void Kernel(int64_t kc, const float* ap, const float* bp, float* c, int64_t ldc, bool load_c) {
    Kernel8x12(kc, ap, bp, c, ldc, load_c);
  }
  static void PackA(const Problem& p, int64_t i0, int64_t mc, int64_t p0, int64_t kc, float* ap) {
    GenericPackA<MR>(p, i0, mc, p0, kc, ap);
  }
  static void PackB(const Problem& p, int64_t j0, int64_t nc, int64_t p0, int64_t kc, float* bp) {
    GenericPackB<NR>(p, j0, nc, p0, kc, bp);
  }
};

void SerialNeon(const Problem& p) { BlockedGemm<NeonKernel>(p); }
void PackANeon(const Problem& p, int64_t i0, int64_t mc, int64_t p0, int64_t kc, float* ap) {
  PackABlock<NeonKernel>(p, i0, mc, p0, kc, ap);
}
void ComputeNeon(const Problem& p, const float* ap, int64_t i0, int64_t mc, int64_t j0, int64_t nc, int64_t p0,
                 int64_t kc, bool load_c) {
  ComputeBlock<NeonKernel>(p, ap, i0, mc, j0, nc, p0, kc, load_c);
}

}  // namespace

const Isa* NeonIsa() {
  static const Isa isa = {"neon", NeonKernel::MR, NeonKernel::NR, NeonKernel::KC, NeonKernel::NC,
                          SerialNeon, PackANeon, ComputeNeon, nullptr};
  return &isa;
}

}  // namespace gemm_detail
}  // namespace irlens

#endif
