// GEMM dispatch: picks the microkernel for this CPU (AVX-512, AVX2+FMA, or portable scalar), owns
// the per-thread packing buffers, and splits products over the pool's threads. Threads only
// ever split whole output tiles (rows, columns or batch items) and the k-blocking depends on k
// alone, so the result is bit-identical whatever the thread count.
#include <cstdlib>
#include <cstring>

#include "gemm.h"
#include "gemm_internal.h"
#include "thread_pool.h"

namespace irlens {
namespace gemm_detail {
namespace {

#include "gemm_driver.h"

// Portable fallback: a 4x16 tile of plain loops (the compiler vectorizes it for the baseline ISA).
struct ScalarKernel {
  static constexpr int MR = 4;
  static constexpr int NR = 16;
  static constexpr int KC = 256;
  static constexpr int MC = 512;
  static constexpr int NC = 512;
  static void Kernel(int64_t kc, const float* __restrict ap, const float* __restrict bp, float* __restrict c,
                     int64_t ldc, bool load_c) {
    float acc[MR][NR];
    for (int i = 0; i < MR; ++i)
      for (int j = 0; j < NR; ++j) acc[i][j] = 0.0f;
    for (int64_t p = 0; p < kc; ++p) {
      const float* b = bp + p * NR;
      for (int i = 0; i < MR; ++i) {
        const float a = ap[p * MR + i];
        for (int j = 0; j < NR; ++j) acc[i][j] = acc[i][j] + a * b[j];
      }
    }
    for (int i = 0; i < MR; ++i) {
      float* cr = c + i * ldc;
      if (load_c) {
        for (int j = 0; j < NR; ++j) cr[j] = cr[j] + acc[i][j];
      } else {
        for (int j = 0; j < NR; ++j) cr[j] = acc[i][j];
      }
    }
  }
  static void PackA(const Problem& p, int64_t i0, int64_t mc, int64_t p0, int64_t kc, float* ap) {
    GenericPackA<MR>(p, i0, mc, p0, kc, ap);
  }
  static void PackB(const Problem& p, int64_t j0, int64_t nc, int64_t p0, int64_t kc, float* bp) {
    GenericPackB<NR>(p, j0, nc, p0, kc, bp);
  }
};

void SerialScalar(const Problem& p) { BlockedGemm<ScalarKernel>(p); }

struct ThreadWorkspace {
  float* ptr[2] = {nullptr, nullptr};
  size_t cap[2] = {0, 0};
  ~ThreadWorkspace() {
    for (int i = 0; i < 2; ++i) std::free(ptr[i]);
  }
};
thread_local ThreadWorkspace t_workspace;

const Isa* ChooseIsa() {
  const char* force = std::getenv("IRLENS_SIMD");
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
  __builtin_cpu_init();
  const bool has512 = Avx512Isa() != nullptr && __builtin_cpu_supports("avx512f");
  const bool has2 = Avx2Isa() != nullptr && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
  const bool has512 = false, has2 = false;
#endif
  if (force && std::strcmp(force, "scalar") == 0) return ScalarIsa();
  if (force && std::strcmp(force, "avx2") == 0 && has2) return Avx2Isa();
  if (has512) return Avx512Isa();
  if (has2) return Avx2Isa();
  return ScalarIsa();
}

const Isa& CurrentIsa() {
  static const Isa* isa = ChooseIsa();
  return *isa;
}

// Below this many multiply-adds a product is not worth waking another thread for.
constexpr int64_t kParallelMinWork = int64_t(1) << 17;

Problem MakeProblem(const GemmShape& s, const float* a, const float* b, float* c) {
  Problem p;
  p.m = s.m;
  p.n = s.n;
  p.k = s.k;
  p.ta = s.trans_a;
  p.tb = s.trans_b;
  p.accumulate = s.accumulate;
  p.a = a;
  p.lda = s.trans_a ? s.m : s.k;
  p.b = b;
  p.ldb = s.trans_b ? s.k : s.n;
  p.c = c;
  p.ldc = s.n;
  return p;
}

// The sub-product for output rows [m0, m1) and columns [n0, n1).
Problem SubProblem(const Problem& p, int64_t m0, int64_t m1, int64_t n0, int64_t n1) {
  Problem q = p;
  q.m = m1 - m0;
  q.n = n1 - n0;
  q.a = p.ta ? p.a + m0 : p.a + m0 * p.lda;
  q.b = p.tb ? p.b + n0 * p.ldb : p.b + n0;
  q.c = p.c + m0 * p.ldc + n0;
  return q;
}

// Fraction of T threads kept busy when `items` equal tiles are dealt out in T contiguous runs.
double Balance(int64_t items, int threads) {
  if (items <= 0) return 0.0;
  const int64_t chunks = items < threads ? items : threads;
  const int64_t longest = (items + chunks - 1) / chunks;
  return static_cast<double>(items) / static_cast<double>(longest * threads);
}

// One product over the pool: split along n (each thread packs all of op(A) and its columns of
// op(B)) or along m (each thread packs its rows of op(A) and all of op(B)).
void ParallelProduct(const Isa& isa, const Problem& p) {
  const int threads = NumThreads();
  if (threads <= 1 || p.m * p.n * p.k < kParallelMinWork) {
    isa.serial(p);
    return;
  }
  const int64_t n_tiles = (p.n + isa.nr - 1) / isa.nr;
  const int64_t m_tiles = (p.m + isa.mr - 1) / isa.mr;
  const double bal_n = Balance(n_tiles, threads);
  const double bal_m = Balance(m_tiles, threads);
  // Splitting n repeats the packing of A per thread (m·k each) and splitting m repeats B's
  // (k·n each); prefer the split whose repeated packing is smaller when balance is equal.
  const bool split_n = bal_n > bal_m + 0.02 || (bal_n >= bal_m - 0.02 && p.n >= p.m);
  if (split_n) {
    ParallelFor(n_tiles, 1, [&](int64_t t0, int64_t t1) {
      const int64_t n0 = t0 * isa.nr;
      const int64_t n1 = t1 * isa.nr < p.n ? t1 * isa.nr : p.n;
      isa.serial(SubProblem(p, 0, p.m, n0, n1));
    });
  } else {
    ParallelFor(m_tiles, 1, [&](int64_t t0, int64_t t1) {
      const int64_t m0 = t0 * isa.mr;
      const int64_t m1 = t1 * isa.mr < p.m ? t1 * isa.mr : p.m;
      isa.serial(SubProblem(p, m0, m1, 0, p.n));
    });
  }
}

}  // namespace

const Isa* ScalarIsa() {
  static const Isa isa = {"scalar", ScalarKernel::MR, ScalarKernel::NR, SerialScalar};
  return &isa;
}

float* Workspace(int slot, size_t floats) {
  ThreadWorkspace& ws = t_workspace;
  if (ws.cap[slot] < floats) {
    std::free(ws.ptr[slot]);
    size_t bytes = (floats * sizeof(float) + 4095) & ~size_t(4095);
    ws.ptr[slot] = static_cast<float*>(std::aligned_alloc(4096, bytes));
    if (!ws.ptr[slot]) {
      ws.cap[slot] = 0;
      std::abort();  // out of memory for a few MB of packing space
    }
    ws.cap[slot] = bytes / sizeof(float);
  }
  return ws.ptr[slot];
}

}  // namespace gemm_detail

using gemm_detail::CurrentIsa;
using gemm_detail::MakeProblem;
using gemm_detail::Problem;

const char* GemmSimdName() { return CurrentIsa().name; }

void SgemmSerialStrided(const GemmShape& s, const float* a, int64_t lda, const float* b, int64_t ldb,
                        float* c, int64_t ldc) {
  Problem p = MakeProblem(s, a, b, c);
  p.lda = lda;
  p.ldb = ldb;
  p.ldc = ldc;
  CurrentIsa().serial(p);
}

void SgemmSerial(const GemmShape& s, const float* a, const float* b, float* c) {
  CurrentIsa().serial(MakeProblem(s, a, b, c));
}

void Sgemm(const GemmShape& s, const float* a, const float* b, float* c) {
  gemm_detail::ParallelProduct(CurrentIsa(), MakeProblem(s, a, b, c));
}

void SgemmBatched(const GemmShape& s, int64_t batch, const float* a, int64_t stride_a, const float* b,
                  int64_t stride_b, float* c) {
  if (batch <= 0 || s.m <= 0 || s.n <= 0) return;
  const gemm_detail::Isa& isa = CurrentIsa();
  // A shared B with row-major, densely batched A is one tall product: [batch·m, k] · op(B).
  if (batch > 1 && stride_b == 0 && !s.trans_a && stride_a == s.m * s.k) {
    GemmShape tall = s;
    tall.m = s.m * batch;
    gemm_detail::ParallelProduct(isa, MakeProblem(tall, a, b, c));
    return;
  }
  if (batch == 1) {
    gemm_detail::ParallelProduct(isa, MakeProblem(s, a, b, c));
    return;
  }
  const int threads = NumThreads();
  const int64_t work = s.m * s.n * s.k;
  // Many small products: deal whole items to threads. Few large ones: split each item.
  const bool by_item = threads > 1 &&
                       (work * threads < (int64_t(1) << 24) ||
                        gemm_detail::Balance(batch, threads) >= 0.85);
  if (by_item && work * batch >= gemm_detail::kParallelMinWork) {
    ParallelFor(batch, 1, [&](int64_t i0, int64_t i1) {
      for (int64_t i = i0; i < i1; ++i)
        isa.serial(MakeProblem(s, a + i * stride_a, b + i * stride_b, c + i * s.m * s.n));
    });
    return;
  }
  for (int64_t i = 0; i < batch; ++i)
    gemm_detail::ParallelProduct(isa, MakeProblem(s, a + i * stride_a, b + i * stride_b, c + i * s.m * s.n));
}

}  // namespace irlens
