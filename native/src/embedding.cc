// Embedding gather and its backward (scatter-add of rows, in order of the ids).
#include <algorithm>
#include <cstring>
#include <string>

#include "kernels.h"
#include "napi_args.h"
#include "parallel_util.h"
#include "thread_pool.h"
#include "vec_math.h"

namespace irlens {
namespace {

IRLENS_CLONES void AddRow(float* __restrict dst, const float* __restrict src, int64_t n) {
  for (int64_t i = 0; i < n; ++i) dst[i] += src[i];
}

bool CheckIds(Args& a, const IntView& ids, int64_t count, int64_t vocab) {
  for (int64_t i = 0; a.ok() && i < count; ++i) {
    int32_t id = ids.data[i];
    if (id < 0 || id >= vocab)
      a.Fail("id " + std::to_string(id) + " at position " + std::to_string(i) + " is outside [0, " +
             std::to_string(vocab) + ")");
  }
  return a.ok();
}

Napi::Value Embedding(const Napi::CallbackInfo& info) {
  // (weight, ids, vocab, dim, out); the number of ids is ids.length
  Args a(info, "embedding", 5);
  FloatView w = a.Floats(0, "weight");
  IntView ids = a.Ints(1, "ids");
  int64_t vocab = a.Integer(2, "vocab"), dim = a.Integer(3, "dim");
  FloatView out = a.Floats(4, "out");
  const int64_t count = ids.length;
  a.Need(w, CheckedProduct({vocab, dim}), "weight");
  a.Need(out, CheckedProduct({count, dim}), "out");
  if (!a.ok() || !CheckIds(a, ids, count, vocab)) return a.env().Undefined();
  ForRows(count, dim, [&](int64_t r0, int64_t r1) {
    for (int64_t i = r0; i < r1; ++i)
      std::memcpy(out.data + i * dim, w.data + int64_t(ids.data[i]) * dim, size_t(dim) * sizeof(float));
  });
  return a.env().Undefined();
}

Napi::Value EmbeddingBackward(const Napi::CallbackInfo& info) {
  // (dy, ids, vocab, dim, dWeight)
  Args a(info, "embeddingBackward", 5);
  FloatView dy = a.Floats(0, "dy");
  IntView ids = a.Ints(1, "ids");
  int64_t vocab = a.Integer(2, "vocab"), dim = a.Integer(3, "dim");
  FloatView dw = a.Floats(4, "dWeight");
  const int64_t count = ids.length;
  a.Need(dy, CheckedProduct({count, dim}), "dy");
  a.Need(dw, CheckedProduct({vocab, dim}), "dWeight");
  if (!a.ok() || !CheckIds(a, ids, count, vocab) || count == 0 || dim == 0) return a.env().Undefined();
  // Work items: (range of vocabulary rows) × (range of columns). Each scans the ids in order and
  // adds the rows that land in its vocabulary range, so duplicates sum in order of i, and no two
  // items touch the same element.
  constexpr int64_t kVocabRanges = 16, kCols = 128;
  const int64_t col_ranges = (dim + kCols - 1) / kCols;
  const int64_t per_range = (vocab + kVocabRanges - 1) / kVocabRanges;
  ParallelFor(kVocabRanges * col_ranges, 1, [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; ++t) {
      const int64_t v0 = (t / col_ranges) * per_range, v1 = std::min(vocab, v0 + per_range);
      const int64_t c0 = (t % col_ranges) * kCols, nc = std::min(kCols, dim - c0);
      for (int64_t i = 0; i < count; ++i) {
        const int64_t id = ids.data[i];
        if (id < v0 || id >= v1) continue;
        AddRow(dw.data + id * dim + c0, dy.data + i * dim + c0, nc);
      }
    }
  });
  return a.env().Undefined();
}

}  // namespace

void RegisterEmbedding(Napi::Env env, Napi::Object exports) {
  exports.Set("embedding", Napi::Function::New(env, Embedding, "embedding"));
  exports.Set("embeddingBackward", Napi::Function::New(env, EmbeddingBackward, "embeddingBackward"));
}

}  // namespace irlens
