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
  void (*serial)(const Problem&);   // the whole blocked product on this thread
};

// nullptr when the ISA was not compiled in (non-x86 builds).
const Isa* Avx512Isa();
const Isa* Avx2Isa();
const Isa* ScalarIsa();

// Thread-local, 64-byte aligned scratch, grown on demand (slot 0: packed A, 1: packed B).
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
