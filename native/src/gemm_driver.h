// The blocked (GotoBLAS/BLIS-style) GEMM driver, included by each gemm_<isa>.cc after its
// `#pragma GCC target`, so that packing is compiled for the same ISA as the microkernel.
// Include it inside an anonymous namespace: everything here must have internal linkage.
//
// Loop nest (K is the kernel's traits class: MR, NR, KC, MC, NC, Kernel, PackA, PackB):
//   pc over k in blocks of kc (KcFor: a function of k only, the same for every thread count)
//     ic over m in blocks of MC: pack op(A)[ic:ic+mc, pc:pc+kc] into MR-row micro-panels
//       jc over n in blocks of NC: pack op(B)[pc:pc+kc, jc:jc+nc] into NR-column micro-panels
//         ir over the MC block by MR (the A micro-panel stays in L1)
//           jr over the NC block by NR (B micro-panels stream from L2): microkernel
// Every element of C gets, per k block, one FMA chain from zero over that block's k in
// ascending order, then C = acc (first block, no accumulate) or C = C + acc.
// The parallel driver (gemm_core.cc) runs the same blocks in another order through PackABlock
// (op(A) into a buffer shared by the threads) and ComputeBlock (pack a block of op(B), run the
// micro-tiles): the per-element operations, hence the results, are the same.
#pragma once

#define IRLENS_MIN(x, y) ((x) < (y) ? (x) : (y))

// Generic packing of op(A) rows [i0, i0+mc) and k [p0, p0+kc) into MR-row micro-panels:
// panel r holds ap[r*MR*kc + kk*MR + i] = op(A)[i0 + r*MR + i][p0 + kk], zero-padded rows.
template <int MR>
static inline void GenericPackA(const Problem& p, int64_t i0, int64_t mc, int64_t p0, int64_t kc,
                                float* __restrict ap) {
  for (int64_t ir = 0; ir < mc; ir += MR) {
    const int64_t mr = IRLENS_MIN(int64_t(MR), mc - ir);
    float* __restrict dst = ap + ir * kc;
    if (!p.ta) {
      const float* src = p.a + (i0 + ir) * p.lda + p0;
      if (mr == MR) {
        for (int64_t kk = 0; kk < kc; ++kk)
          for (int i = 0; i < MR; ++i) dst[kk * MR + i] = src[i * p.lda + kk];
      } else {
        for (int64_t kk = 0; kk < kc; ++kk) {
          for (int64_t i = 0; i < mr; ++i) dst[kk * MR + i] = src[i * p.lda + kk];
          for (int64_t i = mr; i < MR; ++i) dst[kk * MR + i] = 0.0f;
        }
      }
    } else {
      const float* src = p.a + p0 * p.lda + i0 + ir;
      if (mr == MR) {
        for (int64_t kk = 0; kk < kc; ++kk)
          for (int i = 0; i < MR; ++i) dst[kk * MR + i] = src[kk * p.lda + i];
      } else {
        for (int64_t kk = 0; kk < kc; ++kk) {
          for (int64_t i = 0; i < mr; ++i) dst[kk * MR + i] = src[kk * p.lda + i];
          for (int64_t i = mr; i < MR; ++i) dst[kk * MR + i] = 0.0f;
        }
      }
    }
  }
}

// Generic packing of op(B) k [p0, p0+kc) and columns [j0, j0+nc) into NR-column micro-panels:
// panel c holds bp[c*NR*kc + kk*NR + j] = op(B)[p0 + kk][j0 + c*NR + j], zero-padded columns.
template <int NR>
static inline void GenericPackB(const Problem& p, int64_t j0, int64_t nc, int64_t p0, int64_t kc,
                                float* __restrict bp) {
  for (int64_t jr = 0; jr < nc; jr += NR) {
    const int64_t nr = IRLENS_MIN(int64_t(NR), nc - jr);
    float* __restrict dst = bp + jr * kc;
    if (!p.tb) {
      const float* src = p.b + p0 * p.ldb + j0 + jr;
      if (nr == NR) {
        for (int64_t kk = 0; kk < kc; ++kk)
          for (int j = 0; j < NR; ++j) dst[kk * NR + j] = src[kk * p.ldb + j];
      } else {
        for (int64_t kk = 0; kk < kc; ++kk) {
          for (int64_t j = 0; j < nr; ++j) dst[kk * NR + j] = src[kk * p.ldb + j];
          for (int64_t j = nr; j < NR; ++j) dst[kk * NR + j] = 0.0f;
        }
      }
    } else {
      const float* src = p.b + (j0 + jr) * p.ldb + p0;
      for (int64_t j = 0; j < nr; ++j)
        for (int64_t kk = 0; kk < kc; ++kk) dst[kk * NR + j] = src[j * p.ldb + kk];
      for (int64_t j = nr; j < NR; ++j)
        for (int64_t kk = 0; kk < kc; ++kk) dst[kk * NR + j] = 0.0f;
    }
  }
}

// C[i0:i0+mc, j0:j0+nc] = (load_c ? C + : ) packed A · packed B for one k block of length kc:
// ap holds the MR-row micro-panels of rows [i0, i0+mc), bp the NR-column micro-panels of
// columns [j0, j0+nc). Every tile gets one FMA chain from zero (the microkernel), then a store
// or an add; edge tiles go through `tile` with the same arithmetic.
template <class K>
static inline void MacroKernel(const Problem& p, const float* ap, int64_t i0, int64_t mc, const float* bp,
                               int64_t j0, int64_t nc, int64_t kc, bool load_c) {
  constexpr int MR = K::MR;
  constexpr int NR = K::NR;
  alignas(64) float tile[MR * NR];
  for (int64_t ir = 0; ir < mc; ir += MR) {
    const int64_t mr = IRLENS_MIN(int64_t(MR), mc - ir);
    const float* a_panel = ap + ir * kc;
    float* c_row = p.c + (i0 + ir) * p.ldc + j0;
    for (int64_t jr = 0; jr < nc; jr += NR) {
      const int64_t nr = IRLENS_MIN(int64_t(NR), nc - jr);
      const float* b_panel = bp + jr * kc;
      float* c_tile = c_row + jr;
      if (mr == MR && nr == NR) {
        K::Kernel(kc, a_panel, b_panel, c_tile, p.ldc, load_c);
      } else {
        K::Kernel(kc, a_panel, b_panel, tile, NR, false);
        for (int64_t i = 0; i < mr; ++i) {
          float* cr = c_tile + i * p.ldc;
          const float* tr = tile + i * NR;
          if (load_c) {
            for (int64_t j = 0; j < nr; ++j) cr[j] = cr[j] + tr[j];
          } else {
            for (int64_t j = 0; j < nr; ++j) cr[j] = tr[j];
          }
        }
      }
    }
  }
}

// Zeroes (or, accumulating, keeps) C when k = 0. True when the product is empty or was handled.
static inline bool TrivialProduct(const Problem& p) {
  if (p.m <= 0 || p.n <= 0) return true;
  if (p.k > 0) return false;
  if (!p.accumulate)
    for (int64_t i = 0; i < p.m; ++i)
      for (int64_t j = 0; j < p.n; ++j) p.c[i * p.ldc + j] = 0.0f;
  return true;
}

template <class K>
static void BlockedGemm(const Problem& p) {
  constexpr int MR = K::MR;
  constexpr int NR = K::NR;
  if (TrivialProduct(p)) return;
  const int64_t m = p.m, n = p.n, k = p.k;
  const int64_t kc_block = KcFor(k, K::KC);
  const int64_t mc_block = IRLENS_MIN(int64_t(K::MC), (m + MR - 1) / MR * MR);
  const int64_t nc_block = IRLENS_MIN(int64_t(K::NC), (n + NR - 1) / NR * NR);
  float* ap = Workspace(0, static_cast<size_t>(mc_block * kc_block));
  float* bp = Workspace(1, static_cast<size_t>(nc_block * kc_block));

  for (int64_t pc = 0; pc < k; pc += kc_block) {
    const int64_t kc = IRLENS_MIN(kc_block, k - pc);
    const bool load_c = p.accumulate || pc > 0;
    for (int64_t ic = 0; ic < m; ic += mc_block) {
      const int64_t mc = IRLENS_MIN(mc_block, m - ic);
      K::PackA(p, ic, mc, pc, kc, ap);
      for (int64_t jc = 0; jc < n; jc += nc_block) {
        const int64_t nc = IRLENS_MIN(nc_block, n - jc);
        K::PackB(p, jc, nc, pc, kc, bp);
        MacroKernel<K>(p, ap, ic, mc, bp, jc, nc, kc, load_c);
      }
    }
  }
}

// The pieces the parallel driver (gemm_core.cc) schedules over threads: pack rows of op(A) for
// one k block into a shared buffer, and, per work item, pack a column block of op(B) into the
// calling thread's buffer and run the micro-tiles against the shared A panels.
template <class K>
static void PackABlock(const Problem& p, int64_t i0, int64_t mc, int64_t p0, int64_t kc, float* ap) {
  K::PackA(p, i0, mc, p0, kc, ap);
}

template <class K>
static void ComputeBlock(const Problem& p, const float* ap, int64_t i0, int64_t mc, int64_t j0, int64_t nc,
                         int64_t p0, int64_t kc, bool load_c) {
  float* bp = Workspace(1, static_cast<size_t>(((nc + K::NR - 1) / K::NR * K::NR) * kc));
  K::PackB(p, j0, nc, p0, kc, bp);
  MacroKernel<K>(p, ap, i0, mc, bp, j0, nc, kc, load_c);
}
