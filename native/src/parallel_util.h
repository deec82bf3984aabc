// Work partitioning shared by the kernels. Every partition here depends only on the problem's
// shape, never on the thread count, so a kernel that computes each output element (or each
// partial sum) inside one work item is deterministic by construction.
#pragma once
#include <algorithm>
#include <cstdint>
#include <vector>

#include "thread_pool.h"

namespace irlens {

// Flat element ranges: work items are fixed blocks of kFlatBlock elements (a multiple of the
// vector width), so vector bodies and tails never move with the thread count.
constexpr int64_t kFlatBlock = 16384;

template <typename Fn>
void ForFlatBlocks(int64_t n, Fn&& fn) {
  if (n <= 0) return;
  int64_t blocks = (n + kFlatBlock - 1) / kFlatBlock;
  if (blocks == 1) {
    fn(int64_t(0), n);
    return;
  }
  ParallelFor(blocks, 1, [&](int64_t b0, int64_t b1) {
    fn(b0 * kFlatBlock, std::min(n, b1 * kFlatBlock));
  });
}

// Rows of `cols` elements each; chunks hold enough rows for about `target` elements of work.
template <typename Fn>
void ForRows(int64_t rows, int64_t cols, Fn&& fn, int64_t target = 16384) {
  if (rows <= 0) return;
  int64_t grain = std::max<int64_t>(1, target / std::max<int64_t>(1, cols));
  if (rows <= grain) {
    fn(int64_t(0), rows);
    return;
  }
  ParallelFor(rows, grain, fn);
}

// An N-d iteration over a contiguous output of `shape` with up to kMaxOperands strided inputs,
// after dropping size-1 dimensions and merging dimensions that are contiguous in every operand.
constexpr int kMaxOperands = 3;

struct NdPlan {
  int operands = 0;
  std::vector<int64_t> shape;                 // at least one dimension
  std::vector<int64_t> strides[kMaxOperands];  // per operand, per dimension
  int64_t total = 0;                          // number of output elements
};

inline NdPlan MakeNdPlan(const std::vector<int64_t>& shape,
                         const std::vector<const std::vector<int64_t>*>& strides) {
  NdPlan p;
  p.operands = int(strides.size());
  p.total = 1;
  for (int64_t s : shape) p.total *= s;
  for (size_t d = 0; d < shape.size(); ++d) {
    if (shape[d] == 1) continue;
    if (!p.shape.empty()) {
      // Merge with the previous kept dimension when contiguous for every operand.
      bool merge = true;
      for (int k = 0; k < p.operands; ++k)
        if (p.strides[k].back() != (*strides[k])[d] * shape[d]) merge = false;
      if (merge) {
        p.shape.back() *= shape[d];
        for (int k = 0; k < p.operands; ++k) p.strides[k].back() = (*strides[k])[d];
        continue;
      }
    }
    p.shape.push_back(shape[d]);
    for (int k = 0; k < p.operands; ++k) p.strides[k].push_back((*strides[k])[d]);
  }
  if (p.shape.empty()) {
    p.shape.push_back(1);
    for (int k = 0; k < p.operands; ++k) p.strides[k].push_back(0);
  }
  return p;
}

// Smallest and largest element index an operand reaches (offset included).
inline void ReachRange(const std::vector<int64_t>& shape, const std::vector<int64_t>& strides,
                       int64_t offset, int64_t* lo, int64_t* hi) {
  *lo = *hi = offset;
  for (size_t d = 0; d < shape.size(); ++d) {
    int64_t span = (shape[d] - 1) * strides[d];
    if (span < 0) *lo += span; else *hi += span;
  }
}

// Runs fn(offsets, out_offset, length) over runs along the innermost dimension, where
// offsets[k] is operand k's element index (base offsets included) and out_offset the output's.
// Long innermost dimensions are split into fixed chunks. With parallel=false the runs are
// visited in order on the calling thread.
template <typename Fn>
void ForEachRun(const NdPlan& p, const int64_t* base, bool parallel, Fn&& fn) {
  if (p.total <= 0) return;
  const int nd = int(p.shape.size());
  const int64_t inner = p.shape[nd - 1];
  const int64_t chunk = inner <= 32768 ? inner : 16384;
  const int64_t chunks = (inner + chunk - 1) / chunk;
  const int64_t rows = p.total / inner;
  const int64_t tasks = rows * chunks;
  auto body = [&](int64_t t0, int64_t t1) {
    int64_t idx[64];
    int64_t off[kMaxOperands];
    int64_t row = t0 / chunks;
    for (int k = 0; k < p.operands; ++k) off[k] = base[k];
    {
      int64_t r = row;
      for (int d = nd - 2; d >= 0; --d) {
        idx[d] = r % p.shape[d];
        r /= p.shape[d];
        for (int k = 0; k < p.operands; ++k) off[k] += idx[d] * p.strides[k][d];
      }
    }
    for (int64_t t = t0; t < t1; ++t) {
      int64_t c = t % chunks;
      if (t != t0 && c == 0) {
        ++row;
        for (int d = nd - 2; d >= 0; --d) {
          for (int k = 0; k < p.operands; ++k) off[k] += p.strides[k][d];
          if (++idx[d] < p.shape[d]) break;
          for (int k = 0; k < p.operands; ++k) off[k] -= idx[d] * p.strides[k][d];
          idx[d] = 0;
        }
      }
      int64_t start = c * chunk;
      int64_t len = std::min(chunk, inner - start);
      int64_t o[kMaxOperands];
      for (int k = 0; k < p.operands; ++k) o[k] = off[k] + start * p.strides[k][nd - 1];
      fn(o, row * inner + start, len);
    }
  };
  int64_t grain = std::max<int64_t>(1, 16384 / std::min(inner, chunk));
  if (!parallel || tasks <= grain) {
    body(0, tasks);
  } else {
    ParallelFor(tasks, grain, body);
  }
}

}  // namespace irlens
