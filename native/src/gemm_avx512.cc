// AVX-512 GEMM: the blocked driver (gemm_driver.h) with an MR x (16·NV) register-blocked FMA
// microkernel. Compiled with AVX-512 enabled for this file only; gemm_core.cc calls it only
// when the CPU reports AVX-512F (the rest of the addon stays generic x86-64).
#include <cstddef>
#include <cstdint>

#include "gemm_internal.h"

// Not on macOS: Apple clang does not take `#pragma GCC target`, so Intel Macs use the scalar kernel.
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__)) && !defined(__APPLE__)

#pragma GCC push_options
#pragma GCC diagnostic push
// GCC 12 reports its own intrinsics' internal temporaries as maybe-uninitialized.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC target("avx512f,avx512vl,avx512bw,avx512dq,avx2,fma,f16c,bmi,bmi2")
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
  constexpr int NR = 16 * NV;
  __m512 acc[MR][NV];
#pragma GCC unroll 32
  for (int i = 0; i < MR; ++i)
#pragma GCC unroll 8
    for (int v = 0; v < NV; ++v) acc[i][v] = _mm512_setzero_ps();
  // Warm the C tile while the FMAs run.
#pragma GCC unroll 32
  for (int i = 0; i < MR; ++i)
#pragma GCC unroll 8
    for (int v = 0; v < NV; ++v) _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc + 16 * v), _MM_HINT_T0);

#pragma GCC unroll 4
  for (int64_t p = 0; p < kc; ++p) {
    __m512 b[NV];
#pragma GCC unroll 8
    for (int v = 0; v < NV; ++v) b[v] = _mm512_load_ps(bp + p * NR + 16 * v);
#pragma GCC unroll 32
    for (int i = 0; i < MR; ++i) {
      const __m512 a = _mm512_set1_ps(ap[p * MR + i]);
#pragma GCC unroll 8
      for (int v = 0; v < NV; ++v) acc[i][v] = _mm512_fmadd_ps(a, b[v], acc[i][v]);
    }
  }
  if (load_c) {
#pragma GCC unroll 32
    for (int i = 0; i < MR; ++i)
#pragma GCC unroll 8
      for (int v = 0; v < NV; ++v) {
        float* cp = c + i * ldc + 16 * v;
        _mm512_storeu_ps(cp, _mm512_add_ps(_mm512_loadu_ps(cp), acc[i][v]));
      }
  } else {
#pragma GCC unroll 32
    for (int i = 0; i < MR; ++i)
#pragma GCC unroll 8
      for (int v = 0; v < NV; ++v) _mm512_storeu_ps(c + i * ldc + 16 * v, acc[i][v]);
  }
}

// In-register transpose of a 16x16 block: r[i] lane j <-> r[j] lane i.
static IRLENS_INLINE void Transpose16x16(__m512 r[16]) {
  __m512 t[16];
#pragma GCC unroll 8
  for (int i = 0; i < 8; ++i) {
    t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
    t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
  }
#pragma GCC unroll 4
  for (int i = 0; i < 4; ++i) {
    r[4 * i] = _mm512_shuffle_ps(t[4 * i], t[4 * i + 2], 0x44);
    r[4 * i + 1] = _mm512_shuffle_ps(t[4 * i], t[4 * i + 2], 0xEE);
    r[4 * i + 2] = _mm512_shuffle_ps(t[4 * i + 1], t[4 * i + 3], 0x44);
    r[4 * i + 3] = _mm512_shuffle_ps(t[4 * i + 1], t[4 * i + 3], 0xEE);
  }
#pragma GCC unroll 4
  for (int i = 0; i < 4; ++i) {
    t[i] = _mm512_shuffle_f32x4(r[i], r[i + 4], 0x88);
    t[i + 4] = _mm512_shuffle_f32x4(r[i], r[i + 4], 0xDD);
    t[i + 8] = _mm512_shuffle_f32x4(r[i + 8], r[i + 12], 0x88);
    t[i + 12] = _mm512_shuffle_f32x4(r[i + 8], r[i + 12], 0xDD);
  }
#pragma GCC unroll 8
  for (int i = 0; i < 8; ++i) {
    r[i] = _mm512_shuffle_f32x4(t[i], t[i + 8], 0x88);
    r[i + 8] = _mm512_shuffle_f32x4(t[i], t[i + 8], 0xDD);
  }
}

// Loads `rows` rows (ld apart) of `cols` (<= 16) floats into r[0..16), zero elsewhere, and
// transposes them: afterwards r[c] holds column c of the block.
static IRLENS_INLINE void LoadTransposed(const float* src, int64_t ld, int rows, int cols, __m512 r[16]) {
  const __mmask16 mask = static_cast<__mmask16>((1u << cols) - 1u);
#pragma GCC unroll 16
  for (int q = 0; q < 16; ++q)
    r[q] = q < rows ? _mm512_maskz_loadu_ps(mask, src + q * ld) : _mm512_setzero_ps();
  Transpose16x16(r);
}

// op(B) = Bᵀ with B stored [n, k]: 16x16 block transposes into NR-column panels.
template <int NR>
static void PackBTransposed(const Problem& p, int64_t j0, int64_t nc, int64_t p0, int64_t kc, float* __restrict bp) {
  static_assert(NR % 16 == 0, "NR must be a multiple of 16");
  __m512 r[16];
  for (int64_t jr = 0; jr < nc; jr += NR) {
    float* dst = bp + jr * kc;
    for (int64_t kk = 0; kk < kc; kk += 16) {
      const int cols = static_cast<int>(IRLENS_MIN(int64_t(16), kc - kk));
      for (int jb = 0; jb < NR; jb += 16) {
        const int64_t left = nc - jr - jb;
        const int rows = static_cast<int>(left <= 0 ? 0 : (left < 16 ? left : 16));
        LoadTransposed(p.b + (j0 + jr + jb) * p.ldb + p0 + kk, p.ldb, rows, cols, r);
        for (int q = 0; q < cols; ++q) _mm512_store_ps(dst + (kk + q) * NR + jb, r[q]);
      }
    }
  }
}

// op(A) = A stored [m, k]: MR-row panels via 16x16 block transposes (MR <= 16).
template <int MR>
static void PackARows(const Problem& p, int64_t i0, int64_t mc, int64_t p0, int64_t kc, float* __restrict ap) {
  static_assert(MR <= 16, "MR must be at most 16");
  const __mmask16 row_mask = static_cast<__mmask16>((1u << MR) - 1u);
  __m512 r[16];
  for (int64_t ir = 0; ir < mc; ir += MR) {
    const int rows = static_cast<int>(IRLENS_MIN(int64_t(MR), mc - ir));
    float* dst = ap + ir * kc;
    const float* src = p.a + (i0 + ir) * p.lda + p0;
    for (int64_t kk = 0; kk < kc; kk += 16) {
      const int cols = static_cast<int>(IRLENS_MIN(int64_t(16), kc - kk));
      LoadTransposed(src + kk, p.lda, rows, cols, r);
      for (int q = 0; q < cols; ++q) _mm512_mask_storeu_ps(dst + (kk + q) * MR, row_mask, r[q]);
    }
  }
}

template <int MR_, int NV_, int KC_, int MC_, int NC_>
struct Avx512Kernel {
  static constexpr int MR = MR_;
  static constexpr int NR = 16 * NV_;
  static constexpr int KC = KC_;
  static constexpr int MC = MC_;
  static constexpr int NC = NC_;
  static void Kernel(int64_t kc, const float* ap, const float* bp, float* c, int64_t ldc, bool load_c) {
    KernelMxN<MR_, NV_>(kc, ap, bp, c, ldc, load_c);
  }
  static void PackA(const Problem& p, int64_t i0, int64_t mc, int64_t p0, int64_t kc, float* ap) {
    if (p.ta) {
      GenericPackA<MR>(p, i0, mc, p0, kc, ap);
    } else {
      PackARows<MR>(p, i0, mc, p0, kc, ap);
    }
  }
  static void PackB(const Problem& p, int64_t j0, int64_t nc, int64_t p0, int64_t kc, float* bp) {
    if (p.tb) {
      PackBTransposed<NR>(p, j0, nc, p0, kc, bp);
    } else {
      GenericPackB<NR>(p, j0, nc, p0, kc, bp);
    }
  }
};

// 6 rows x 64 columns: 24 zmm accumulators, 4 B vectors and one broadcast per k step.
// kc up to 512 (the 6x512 A micro-panel, 12 KB, stays in L1) and NC 256 (the 512x256 packed B
// block, 512 KB, stays in the 1 MB L2). Measured on Zen 5 against 8x48, 12x32 and 14x32 and
// KC/NC of 256/768, 384/512, 512/384: this was as fast or faster on every training shape.
using K6x64 = Avx512Kernel<6, 4, 512, 1536, 256>;

void Serial6x64(const Problem& p) { BlockedGemm<K6x64>(p); }
void PackA6x64(const Problem& p, int64_t i0, int64_t mc, int64_t p0, int64_t kc, float* ap) {
  PackABlock<K6x64>(p, i0, mc, p0, kc, ap);
}
void Compute6x64(const Problem& p, const float* ap, int64_t i0, int64_t mc, int64_t j0, int64_t nc, int64_t p0,
                 int64_t kc, bool load_c) {
  ComputeBlock<K6x64>(p, ap, i0, mc, j0, nc, p0, kc, load_c);
}

// ---- Few rows (m <= kSmallM): op(B) read in place, no packing. ----
// Each output element still gets, per k block of KcFor(k, K6x64::KC), one FMA chain from zero in
// ascending k (broadcast op(A) element times op(B) row vector), then C = acc or C = C + acc:
// the same operations as the blocked path, so the results are bit-identical to it.

static IRLENS_INLINE float AElem(const Problem& p, int64_t i, int64_t q) {
  return p.ta ? p.a[q * p.lda + i] : p.a[i * p.lda + q];
}

static IRLENS_INLINE __mmask16 ColMask(int64_t left) {
  return left >= 16 ? static_cast<__mmask16>(0xffff)
                    : (left <= 0 ? static_cast<__mmask16>(0) : static_cast<__mmask16>((1u << left) - 1u));
}

static IRLENS_INLINE void StoreAcc(float* c, __mmask16 mask, __m512 acc, bool load_c) {
  if (!mask) return;
  if (load_c) {
    _mm512_mask_storeu_ps(c, mask, _mm512_add_ps(_mm512_maskz_loadu_ps(mask, c), acc));
  } else {
    _mm512_mask_storeu_ps(c, mask, acc);
  }
}

// op(B) = B [k, n] row-major: R rows x 64 columns [j0, j0+nc), k [p0, p0+kc).
template <int R>
static void SmallRowsNN(const Problem& p, int64_t i0, int64_t j0, int64_t nc, int64_t p0, int64_t kc, bool load_c) {
  __mmask16 mask[4];
#pragma GCC unroll 4
  for (int v = 0; v < 4; ++v) mask[v] = ColMask(nc - 16 * v);
  __m512 acc[R][4];
#pragma GCC unroll 8
  for (int i = 0; i < R; ++i)
#pragma GCC unroll 4
    for (int v = 0; v < 4; ++v) acc[i][v] = _mm512_setzero_ps();
  const float* b = p.b + p0 * p.ldb + j0;
  const float* arow[R];
#pragma GCC unroll 8
  for (int i = 0; i < R; ++i) arow[i] = p.ta ? p.a + p0 * p.lda + i0 + i : p.a + (i0 + i) * p.lda + p0;
  const int64_t astep = p.ta ? p.lda : 1;
  if (nc == 64) {
#pragma GCC unroll 2
    for (int64_t q = 0; q < kc; ++q) {
      const float* bq = b + q * p.ldb;
      __m512 bv[4];
#pragma GCC unroll 4
      for (int v = 0; v < 4; ++v) bv[v] = _mm512_loadu_ps(bq + 16 * v);
#pragma GCC unroll 8
      for (int i = 0; i < R; ++i) {
        const __m512 a = _mm512_set1_ps(arow[i][q * astep]);
#pragma GCC unroll 4
        for (int v = 0; v < 4; ++v) acc[i][v] = _mm512_fmadd_ps(a, bv[v], acc[i][v]);
      }
    }
  } else {
    for (int64_t q = 0; q < kc; ++q) {
      const float* bq = b + q * p.ldb;
      __m512 bv[4];
#pragma GCC unroll 4
      for (int v = 0; v < 4; ++v) bv[v] = _mm512_maskz_loadu_ps(mask[v], bq + 16 * v);
#pragma GCC unroll 8
      for (int i = 0; i < R; ++i) {
        const __m512 a = _mm512_set1_ps(arow[i][q * astep]);
#pragma GCC unroll 4
        for (int v = 0; v < 4; ++v) acc[i][v] = _mm512_fmadd_ps(a, bv[v], acc[i][v]);
      }
    }
  }
#pragma GCC unroll 8
  for (int i = 0; i < R; ++i)
#pragma GCC unroll 4
    for (int v = 0; v < 4; ++v) StoreAcc(p.c + (i0 + i) * p.ldc + j0 + 16 * v, mask[v], acc[i][v], load_c);
}

static void SmallMNN(const Problem& p, int64_t j0, int64_t j1) {
  const int64_t kc_block = KcFor(p.k, K6x64::KC);
  for (int64_t jc = j0; jc < j1; jc += 64) {
    const int64_t nc = IRLENS_MIN(int64_t(64), j1 - jc);
    for (int64_t pc = 0; pc < p.k; pc += kc_block) {
      const int64_t kc = IRLENS_MIN(kc_block, p.k - pc);
      const bool load_c = p.accumulate || pc > 0;
      for (int64_t i0 = 0; i0 < p.m; i0 += 6) {
        switch (IRLENS_MIN(int64_t(6), p.m - i0)) {
          case 1: SmallRowsNN<1>(p, i0, jc, nc, pc, kc, load_c); break;
          case 2: SmallRowsNN<2>(p, i0, jc, nc, pc, kc, load_c); break;
          case 3: SmallRowsNN<3>(p, i0, jc, nc, pc, kc, load_c); break;
          case 4: SmallRowsNN<4>(p, i0, jc, nc, pc, kc, load_c); break;
          case 5: SmallRowsNN<5>(p, i0, jc, nc, pc, kc, load_c); break;
          default: SmallRowsNN<6>(p, i0, jc, nc, pc, kc, load_c); break;
        }
      }
    }
  }
}

// op(B) = Bᵀ with B stored [n, k]: all R = m rows x 16·G columns [j0, j0+nc): 16x16 blocks of B
// are transposed in registers, so each k step still multiplies a row vector of op(B).
template <int R, int G>
static void SmallRowsNT(const Problem& p, int64_t j0, int64_t nc, int64_t p0, int64_t kc, bool load_c) {
  __m512 acc[R][G];
#pragma GCC unroll 16
  for (int i = 0; i < R; ++i)
#pragma GCC unroll 4
    for (int g = 0; g < G; ++g) acc[i][g] = _mm512_setzero_ps();
  __m512 r[G][16];
  for (int64_t kk = 0; kk < kc; kk += 16) {
    const int cols = static_cast<int>(IRLENS_MIN(int64_t(16), kc - kk));
#pragma GCC unroll 4
    for (int g = 0; g < G; ++g) {
      const int64_t left = nc - 16 * g;
      const int rows = static_cast<int>(left <= 0 ? 0 : (left < 16 ? left : 16));
      LoadTransposed(p.b + (j0 + 16 * g) * p.ldb + p0 + kk, p.ldb, rows, cols, r[g]);
    }
    for (int q = 0; q < cols; ++q) {
#pragma GCC unroll 16
      for (int i = 0; i < R; ++i) {
        const __m512 a = _mm512_set1_ps(AElem(p, i, p0 + kk + q));
#pragma GCC unroll 4
        for (int g = 0; g < G; ++g) acc[i][g] = _mm512_fmadd_ps(a, r[g][q], acc[i][g]);
      }
    }
  }
#pragma GCC unroll 16
  for (int i = 0; i < R; ++i)
#pragma GCC unroll 4
    for (int g = 0; g < G; ++g) StoreAcc(p.c + i * p.ldc + j0 + 16 * g, ColMask(nc - 16 * g), acc[i][g], load_c);
}

template <int R>
static void SmallMNTRows(const Problem& p, int64_t j0, int64_t j1) {
  constexpr int G = R >= 8 ? 1 : (R >= 3 ? 2 : 4);
  const int64_t kc_block = KcFor(p.k, K6x64::KC);
  for (int64_t jc = j0; jc < j1; jc += 16 * G) {
    const int64_t nc = IRLENS_MIN(int64_t(16 * G), j1 - jc);
    for (int64_t pc = 0; pc < p.k; pc += kc_block) {
      const int64_t kc = IRLENS_MIN(kc_block, p.k - pc);
      SmallRowsNT<R, G>(p, jc, nc, pc, kc, p.accumulate || pc > 0);
    }
  }
}

static void SmallMNT(const Problem& p, int64_t j0, int64_t j1) {
  switch (p.m) {
    case 1: SmallMNTRows<1>(p, j0, j1); break;
    case 2: SmallMNTRows<2>(p, j0, j1); break;
    case 3: SmallMNTRows<3>(p, j0, j1); break;
    case 4: SmallMNTRows<4>(p, j0, j1); break;
    case 5: SmallMNTRows<5>(p, j0, j1); break;
    case 6: SmallMNTRows<6>(p, j0, j1); break;
    case 7: SmallMNTRows<7>(p, j0, j1); break;
    case 8: SmallMNTRows<8>(p, j0, j1); break;
    case 9: SmallMNTRows<9>(p, j0, j1); break;
    case 10: SmallMNTRows<10>(p, j0, j1); break;
    case 11: SmallMNTRows<11>(p, j0, j1); break;
    case 12: SmallMNTRows<12>(p, j0, j1); break;
    case 13: SmallMNTRows<13>(p, j0, j1); break;
    case 14: SmallMNTRows<14>(p, j0, j1); break;
    case 15: SmallMNTRows<15>(p, j0, j1); break;
    default: SmallMNTRows<16>(p, j0, j1); break;
  }
}

void SmallM6x64(const Problem& p, int64_t j0, int64_t j1) {
  static_assert(kSmallM <= 16, "SmallMNT handles up to 16 rows");
  if (p.m <= 0 || j1 <= j0 || p.m > kSmallM) return;
  if (p.tb) {
    SmallMNT(p, j0, j1);
  } else {
    SmallMNN(p, j0, j1);
  }
}

}  // namespace
}  // namespace gemm_detail
}  // namespace irlens

#pragma GCC diagnostic pop
#pragma GCC pop_options

namespace irlens {
namespace gemm_detail {

const Isa* Avx512Isa() {
  static const Isa isa = {"avx512",  K6x64::MR, K6x64::NR, K6x64::KC, K6x64::NC, Serial6x64,
                         PackA6x64, Compute6x64, SmallM6x64};
  return &isa;
}

}  // namespace gemm_detail
}  // namespace irlens

#else

namespace irlens {
namespace gemm_detail {
const Isa* Avx512Isa() { return nullptr; }
}  // namespace gemm_detail
}  // namespace irlens

#endif
