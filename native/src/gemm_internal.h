// Shared between the GEMM driver (gemm_core.cc) and its per-instruction-set kernels.
// Each gemm_<isa>.cc is compiled with that ISA enabled (#pragma GCC target) and exposes only
// plain functions with external linkage, so no AVX-512 code leaks into generic inline functions.
#pragma once
#include <cstddef>
#include <cstdint>

namespace irlens {
namespace gemm_detail {

// One matrix product on the calling thread, with explicit leading dimensions.
// a is op(A) = A [m, k] (lda between rows) or, with ta, Aᵀ where A is stored [k, m].
// b is op(B) = B [k, n] or, with tb, Bᵀ where B is stored [n, k]. c is [m, n] with ldc.
struct Problem {
  int64_t m, n, k;
  bool ta, tb, accumulate;
  const float* a;
  int64_t lda;
  const float* b;
  int64_t ldb;
  float* c;
  int64_t ldc;
};

struct Isa {
  const char* name;
  int mr, nr;                       // register block: C tiles are mr x nr
  int kc;                           // largest k block (KcFor's kc_max)
  int nc;                           // widest column block one thread packs of op(B)
  void (*serial)(const Problem&);   // the whole blocked product on this thread
  // Packs op(A) rows [i0, i0+mc), k [p0, p0+kc) into mr-row micro-panels at ap (panel r at
  // ap + r*mr*kc, zero-padded rows).
  void (*pack_a)(const Problem&, int64_t i0, int64_t mc, int64_t p0, int64_t kc, float* ap);
  // C[i0:i0+mc, j0:j0+nc] (= or, with load_c, +=) packed A (ap, as pack_a left it for these
  // rows and this k block) · op(B)[p0:p0+kc, j0:j0+nc], packing that B block on this thread.
  void (*compute)(const Problem&, const float* ap, int64_t i0, int64_t mc, int64_t j0, int64_t nc,
                  int64_t p0, int64_t kc, bool load_c);
  // Optional (nullptr: none). For m <= kSmallM (kSmallMTransB when tb): columns [j0, j1) of C from op(A) and op(B)
  // read in place (no packing), with the k blocks and per-element FMA order of `serial`, so
  // results are bit-identical to it.
  void (*small_m)(const Problem&, int64_t j0, int64_t j1);
};

// Products with at most this many rows take the Isa's small_m path where there is one (with
// op(B) = Bᵀ the in-register transposes make it slower than packing beyond a few rows).
constexpr int64_t kSmallM = 16;
constexpr int64_t kSmallMTransB = 4;

// nullptr when the ISA was not compiled in (non-x86 builds).
const Isa* Avx512Isa();
const Isa* Avx2Isa();
#if defined(__aarch64__)
const Isa* NeonIsa();
#endif
#if defined(IRLENS_ACCELERATE)
// Accelerate's cblas_sgemm: only `serial` is set (it threads the product itself); the parallel
// driver hands it whole products.
const Isa* AccelerateIsa();
#endif
const Isa* ScalarIsa();

// Thread-local, 4096-byte aligned scratch, grown on demand (slot 0: packed A, 1: packed B,
// 2: the parallel driver's shared packed A).
float* Workspace(int slot, size_t floats);

// The k-blocking of a product with inner dimension k: blocks of kc (the last may be shorter).
// It depends on k and the ISA only, never on threads, so every output element sees one
// fixed order of floating-point operations.
inline int64_t KcFor(int64_t k, int64_t kc_max) {
  if (k <= kc_max) return k;
  const int64_t blocks = (k + kc_max - 1) / kc_max;
  int64_t kc = (k + blocks - 1) / blocks;
  kc = (kc + 7) & ~int64_t(7);
  return kc;
}

}  // namespace gemm_detail
}  // namespace irlens
