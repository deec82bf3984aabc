// Single-precision matrix multiply used by the gemm kernel and by fused kernels (attention).
#pragma once
#include <cstdint>

namespace irlens {

struct GemmShape {
  int64_t m, n, k;
  bool trans_a, trans_b;  // a stored [k, m] / b stored [n, k]
  bool accumulate;        // c += a·b instead of c = a·b
};

// c[m, n] (row-major, leading dimension n) = op(a) · op(b). Uses the pool's threads.
void Sgemm(const GemmShape& s, const float* a, const float* b, float* c);
// The same on the calling thread only (for use inside a ParallelFor body).
void SgemmSerial(const GemmShape& s, const float* a, const float* b, float* c);

}  // namespace irlens

namespace irlens {

// batch independent products: c + i·m·n = op(a + i·stride_a) · op(b + i·stride_b).
// A stride of 0 broadcasts that operand. Uses the pool's threads (serially inside a ParallelFor).
void SgemmBatched(const GemmShape& s, int64_t batch, const float* a, int64_t stride_a,
                  const float* b, int64_t stride_b, float* c);

// The general form on the calling thread: explicit leading dimensions (elements between rows of
// a, b as stored and of c). SgemmSerial is this with lda/ldb/ldc of the dense layouts.
void SgemmSerialStrided(const GemmShape& s, const float* a, int64_t lda, const float* b,
                        int64_t ldb, float* c, int64_t ldc);

// The instruction set the GEMM uses on this machine: "avx512", "avx2" or "scalar".
const char* GemmSimdName();

}  // namespace irlens
