// GEMM dispatch: picks the microkernel for this CPU (AVX-512 or AVX2+FMA on x86-64, NEON on
// aarch64 or Accelerate's cblas_sgemm on macOS, else portable scalar), owns
// the per-thread packing buffers, and splits products over the pool's threads. Threads only
// ever split whole output tiles (rows, columns or batch items) and the k-blocking depends on k
// alone, so the result is bit-identical whatever the thread count.
//
// Parallel products (ParallelBlocked) share one packed copy of op(A) between the threads and
// deal out many small (row group x column block) items through an atomic counter, instead of
// static halves that each packed their own copy: on a machine whose cores are shared (other
// processes, a VM's vCPUs) a descheduled or late-waking thread then holds up one small item,
// not half the product, and no packing is repeated per thread. Products of at most kSmallM rows
// skip packing (the Isa's small_m path, AVX-512 only), split over columns.
#include <algorithm>
#include <atomic>
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
void PackAScalar(const Problem& p, int64_t i0, int64_t mc, int64_t p0, int64_t kc, float* ap) {
  PackABlock<ScalarKernel>(p, i0, mc, p0, kc, ap);
}
void ComputeScalar(const Problem& p, const float* ap, int64_t i0, int64_t mc, int64_t j0, int64_t nc, int64_t p0,
                   int64_t kc, bool load_c) {
  ComputeBlock<ScalarKernel>(p, ap, i0, mc, j0, nc, p0, kc, load_c);
}

constexpr int kWorkspaceSlots = 3;
struct ThreadWorkspace {
  float* ptr[kWorkspaceSlots] = {nullptr, nullptr, nullptr};
  size_t cap[kWorkspaceSlots] = {0, 0, 0};
  ~ThreadWorkspace() {
    for (int i = 0; i < kWorkspaceSlots; ++i) std::free(ptr[i]);
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
#if defined(IRLENS_ACCELERATE)
  // Accelerate (macOS) is faster but not bit-reproducible; IRLENS_SIMD=neon keeps the NEON kernel.
  if (!(force && std::strcmp(force, "neon") == 0)) return AccelerateIsa();
#endif
  if (force && std::strcmp(force, "avx2") == 0 && has2) return Avx2Isa();
  if (has512) return Avx512Isa();
  if (has2) return Avx2Isa();
#if defined(__aarch64__)
  return NeonIsa();
#else
  return ScalarIsa();
#endif
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

// Fraction of T threads kept busy when `items` equal tiles are dealt out in T contiguous runs.
double Balance(int64_t items, int threads) {
  if (items <= 0) return 0.0;
  const int64_t chunks = items < threads ? items : threads;
  const int64_t longest = (items + chunks - 1) / chunks;
  return static_cast<double>(items) / static_cast<double>(longest * threads);
}

bool SmallMEnabled() {
  static const bool on = [] {
    const char* env = std::getenv("IRLENS_GEMM_SMALLM");
    return !(env && std::strcmp(env, "0") == 0);
  }();
  return on;
}

bool UseSmallM(const Isa& isa, const Problem& p) {
  return isa.small_m != nullptr && p.m <= (p.tb ? kSmallMTransB : kSmallM) && SmallMEnabled();
}

// The whole product on the calling thread.
void SerialProduct(const Isa& isa, const Problem& p) {
  if (UseSmallM(isa, p) && p.n > 0 && p.k > 0) {
    isa.small_m(p, 0, p.n);
  } else {
    isa.serial(p);
  }
}

// Runs fn(i) for i in [0, items) on the pool's threads, each thread claiming the next unclaimed
// item: a thread that is descheduled (or starts late) holds up at most the one item it is on.
template <typename Fn>
void RunItems(int64_t items, Fn&& fn) {
  const int threads = NumThreads();
  if (items <= 1 || threads <= 1) {
    for (int64_t i = 0; i < items; ++i) fn(i);
    return;
  }
  std::atomic<int64_t> next{0};
  const int64_t lanes = items < threads ? items : threads;
  ParallelFor(lanes, 1, [&](int64_t, int64_t) {
    for (;;) {
      const int64_t i = next.fetch_add(1, std::memory_order_relaxed);
      if (i >= items) break;
      fn(i);
    }
  });
}

inline int64_t RoundUp(int64_t x, int64_t to) { return (x + to - 1) / to * to; }
inline int64_t CeilDiv(int64_t x, int64_t y) { return (x + y - 1) / y; }

// Floats of shared packed op(A) one round of the parallel driver holds (rows x k blocks), small
// enough to stay in the L3 while every item streams it ([512, 2048] fits in one round).
constexpr int64_t kSharedAFloats = int64_t(1) << 21;  // 8 MB
// Work items per thread each round aims for, so a slow or late thread is absorbed.
constexpr int64_t kItemsPerThread = 8;

// One product over the pool's threads. Rounds of (rows [r0, r1), k blocks [b0, b1)): first the
// threads pack those rows of op(A) for those k blocks into one shared buffer (items: MR-panel
// groups x k block), then they compute the output in items of (row group x column block), each
// packing its own column block of op(B) per k block. Items are claimed dynamically. Every output
// element still gets the k blocks of KcFor(k) in ascending order, each as one FMA chain from zero
// followed by C = acc or C = C + acc: the same operations as `serial`, for any thread count.
void ParallelBlocked(const Isa& isa, const Problem& p, int threads) {
  const int64_t mr = isa.mr, nr = isa.nr;
  const int64_t m = p.m, n = p.n, k = p.k;
  const int64_t kc_block = KcFor(k, isa.kc);
  const int64_t k_blocks = CeilDiv(k, kc_block);
  // Rows per round: all of them when one k block of them fits the shared buffer.
  int64_t rows_round = RoundUp(m, mr);
  if (rows_round * kc_block > kSharedAFloats)
    rows_round = std::max(mr, kSharedAFloats / kc_block / mr * mr);
  const int64_t blocks_round =
      std::max<int64_t>(1, std::min<int64_t>(k_blocks, kSharedAFloats / (rows_round * kc_block)));
  const int64_t stride_block = rows_round * kc_block;  // floats between k blocks in the buffer
  float* shared_a = Workspace(2, static_cast<size_t>(stride_block * blocks_round));

  const int64_t target = kItemsPerThread * threads;
  for (int64_t r0 = 0; r0 < m; r0 += rows_round) {
    const int64_t rows = std::min(rows_round, m - r0);
    // Output items: column blocks of width w (a multiple of NR, at most NC), and row groups when
    // there are too few column blocks.
    int64_t w = std::min<int64_t>(isa.nc, std::max<int64_t>(nr, RoundUp(CeilDiv(n, target), nr)));
    const int64_t col_items = CeilDiv(n, w);
    int64_t row_groups = 1;
    if (col_items < target) {
      const int64_t max_groups = std::max<int64_t>(1, CeilDiv(rows, 8 * mr));  // groups of >= 48 rows
      row_groups = std::min(max_groups, CeilDiv(target, col_items));
    }
    const int64_t group_rows = RoundUp(CeilDiv(rows, row_groups), mr);
    row_groups = CeilDiv(rows, group_rows);
    const int64_t panels = CeilDiv(rows, mr);
    constexpr int64_t kPanelsPerPackItem = 8;
    const int64_t pack_groups = CeilDiv(panels, kPanelsPerPackItem);

    for (int64_t b0 = 0; b0 < k_blocks; b0 += blocks_round) {
      const int64_t b1 = std::min(k_blocks, b0 + blocks_round);
      RunItems((b1 - b0) * pack_groups, [&](int64_t item) {
        const int64_t blk = b0 + item / pack_groups;
        const int64_t g = item % pack_groups;
        const int64_t pc = blk * kc_block;
        const int64_t kc = std::min(kc_block, k - pc);
        const int64_t i_off = g * kPanelsPerPackItem * mr;
        const int64_t mc = std::min(kPanelsPerPackItem * mr, rows - i_off);
        isa.pack_a(p, r0 + i_off, mc, pc, kc, shared_a + (blk - b0) * stride_block + i_off * kc);
      });
      RunItems(row_groups * col_items, [&](int64_t item) {
        const int64_t rg = item / col_items;
        const int64_t j0 = (item % col_items) * w;
        const int64_t nc = std::min(w, n - j0);
        const int64_t i_off = rg * group_rows;
        const int64_t mc = std::min(group_rows, rows - i_off);
        for (int64_t blk = b0; blk < b1; ++blk) {
          const int64_t pc = blk * kc_block;
          const int64_t kc = std::min(kc_block, k - pc);
          isa.compute(p, shared_a + (blk - b0) * stride_block + i_off * kc, r0 + i_off, mc, j0, nc, pc, kc,
                      p.accumulate || pc > 0);
        }
      });
    }
  }
}

void ParallelProduct(const Isa& isa, const Problem& p) {
#if defined(IRLENS_ACCELERATE)
  if (isa.compute == nullptr) {  // Accelerate splits the product over its own threads
    isa.serial(p);
    return;
  }
#endif
  const int threads = NumThreads();
  if (threads <= 1 || p.m * p.n * p.k < kParallelMinWork || p.m <= 0 || p.n <= 0 || p.k <= 0) {
    SerialProduct(isa, p);
    return;
  }
  if (UseSmallM(isa, p)) {
    // Column blocks (multiples of 64) claimed dynamically; each reads op(B) in place.
    const int64_t w = std::max<int64_t>(64, RoundUp(CeilDiv(p.n, kItemsPerThread * threads), 64));
    RunItems(CeilDiv(p.n, w), [&](int64_t item) {
      const int64_t j0 = item * w;
      isa.small_m(p, j0, std::min(p.n, j0 + w));
    });
    return;
  }
  ParallelBlocked(isa, p, threads);
}

}  // namespace

const Isa* ScalarIsa() {
  static const Isa isa = {"scalar", ScalarKernel::MR, ScalarKernel::NR, ScalarKernel::KC, ScalarKernel::NC,
                          SerialScalar, PackAScalar, ComputeScalar, nullptr};
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
  gemm_detail::SerialProduct(CurrentIsa(), p);
}

void SgemmSerial(const GemmShape& s, const float* a, const float* b, float* c) {
  gemm_detail::SerialProduct(CurrentIsa(), MakeProblem(s, a, b, c));
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
        gemm_detail::SerialProduct(isa, MakeProblem(s, a + i * stride_a, b + i * stride_b, c + i * s.m * s.n));
    });
    return;
  }
  for (int64_t i = 0; i < batch; ++i)
    gemm_detail::ParallelProduct(isa, MakeProblem(s, a + i * stride_a, b + i * stride_b, c + i * s.m * s.n));
}

}  // namespace irlens
