// Element-wise kernels: unary and its backward, clamp and its backward, broadcasting binary (with
// the minimum/maximum backward) and where, strided copy and accumulate, reductions over the middle axis, and the small vector helpers the optimizer path
// uses (addInto, scaleInPlace, sumSquares). See src/tensor/backend.ts for each one's meaning.
#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "kernels.h"
#include "napi_args.h"
#include "parallel_util.h"
#include "thread_pool.h"
#include "vec_math.h"

namespace irlens {
namespace {

using namespace vec;

// Op codes shared with src/tensor/native/kernels.ts.
enum UnaryCode { kNeg = 0, kExp, kLog, kSqrt, kTanh, kSigmoid, kRelu, kGelu, kSilu, kUnaryCount };
enum BinaryCode { kAdd = 0, kSub, kMul, kDiv, kMinimum, kMaximum, kBinaryCount };
constexpr int kMaxDims = 32;

// ---------------------------------------------------------------------------------------------
// Unary

template <typename F>
IRLENS_INLINE void Map1(const float* x, float* y, int64_t n, const F& f) {
  int64_t i = 0;
  for (; i + kWidth <= n; i += kWidth) Store(y + i, f(Load(x + i)));
  if (i < n) StorePartial(y + i, f(LoadPartial(x + i, n - i, 0.f)), n - i);
}

template <typename F>
IRLENS_INLINE void Map3(const float* x, const float* y, const float* dy, float* dx, int64_t n, const F& f) {
  int64_t i = 0;
  for (; i + kWidth <= n; i += kWidth) Store(dx + i, f(Load(x + i), Load(y + i), Load(dy + i)));
  if (i < n) {
    int64_t r = n - i;
    StorePartial(dx + i, f(LoadPartial(x + i, r, 0.f), LoadPartial(y + i, r, 1.f),
                           LoadPartial(dy + i, r, 0.f)), r);
  }
}

struct NegF { IRLENS_INLINE F16 operator()(const F16& v) const { return -v; } };
struct ExpF { IRLENS_INLINE F16 operator()(const F16& v) const { return Exp(v); } };
struct SigmoidF { IRLENS_INLINE F16 operator()(const F16& v) const { return Sigmoid(v); } };
struct ReluF { IRLENS_INLINE F16 operator()(const F16& v) const { return v > Splat(0.f) ? v : Splat(0.f); } };
struct GeluF { IRLENS_INLINE F16 operator()(const F16& v) const { return v * NormalCdf(v); } };
struct SiluF { IRLENS_INLINE F16 operator()(const F16& v) const { return v * Sigmoid(v); } };

IRLENS_CLONES void UnaryRange(int op, const float* x, float* y, int64_t n) {
  switch (op) {
    case kNeg: Map1(x, y, n, NegF()); break;
    case kExp: Map1(x, y, n, ExpF()); break;
    case kLog: for (int64_t i = 0; i < n; ++i) y[i] = std::log(x[i]); break;
    case kSqrt: for (int64_t i = 0; i < n; ++i) y[i] = std::sqrt(x[i]); break;
    case kTanh: for (int64_t i = 0; i < n; ++i) y[i] = std::tanh(x[i]); break;
    case kSigmoid: Map1(x, y, n, SigmoidF()); break;
    case kRelu: Map1(x, y, n, ReluF()); break;
    case kGelu: Map1(x, y, n, GeluF()); break;
    case kSilu: Map1(x, y, n, SiluF()); break;
  }
}

struct NegB { IRLENS_INLINE F16 operator()(const F16&, const F16&, const F16& dy) const { return -dy; } };
struct ExpB { IRLENS_INLINE F16 operator()(const F16&, const F16& y, const F16& dy) const { return dy * y; } };
struct LogB { IRLENS_INLINE F16 operator()(const F16& x, const F16&, const F16& dy) const { return dy / x; } };
struct SqrtB { IRLENS_INLINE F16 operator()(const F16&, const F16& y, const F16& dy) const { return dy / (Splat(2.f) * y); } };
struct TanhB { IRLENS_INLINE F16 operator()(const F16&, const F16& y, const F16& dy) const { return dy * (Splat(1.f) - y * y); } };
struct SigmoidB { IRLENS_INLINE F16 operator()(const F16&, const F16& y, const F16& dy) const { return dy * (y * (Splat(1.f) - y)); } };
struct ReluB { IRLENS_INLINE F16 operator()(const F16& x, const F16&, const F16& dy) const { return x > Splat(0.f) ? dy : Splat(0.f); } };
struct GeluB {
  IRLENS_INLINE F16 operator()(const F16& x, const F16&, const F16& dy) const { return dy * (NormalCdf(x) + x * NormalPdf(x)); }
};
struct SiluB {
  IRLENS_INLINE F16 operator()(const F16& x, const F16&, const F16& dy) const {
    // 1 − s as e·s (e = exp(−x)), which keeps its relative accuracy when s is near 1.
    const F16 e = Exp(-x);
    const F16 s = Splat(1.f) / (Splat(1.f) + e);
    const F16 one_minus_s = Min(e * s, Splat(1.f));  // e = ∞ gives NaN: 1 − s is 1 there
    return dy * (s * (Splat(1.f) + x * one_minus_s));
  }
};

IRLENS_CLONES void UnaryBackwardRange(int op, const float* x, const float* y, const float* dy, float* dx,
                                      int64_t n) {
  switch (op) {
    case kNeg: Map3(x, y, dy, dx, n, NegB()); break;
    case kExp: Map3(x, y, dy, dx, n, ExpB()); break;
    case kLog: Map3(x, y, dy, dx, n, LogB()); break;
    case kSqrt: Map3(x, y, dy, dx, n, SqrtB()); break;
    case kTanh: Map3(x, y, dy, dx, n, TanhB()); break;
    case kSigmoid: Map3(x, y, dy, dx, n, SigmoidB()); break;
    case kRelu: Map3(x, y, dy, dx, n, ReluB()); break;
    case kGelu: Map3(x, y, dy, dx, n, GeluB()); break;
    case kSilu: Map3(x, y, dy, dx, n, SiluB()); break;
  }
}

// min(max(v, lo), hi), written so that NaN propagates and lo > hi gives hi (as torch.clamp).
struct ClampF {
  F16 lo, hi;
  IRLENS_INLINE F16 operator()(const F16& v) const {
    const F16 raised = v < lo ? lo : v;
    return raised > hi ? hi : raised;
  }
};

IRLENS_CLONES void ClampRange(const float* x, float lo, float hi, float* y, int64_t n) {
  Map1(x, y, n, ClampF{Splat(lo), Splat(hi)});
}

IRLENS_CLONES void ClampBackwardRange(const float* x, float lo, float hi, const float* dy, float* dx, int64_t n) {
  for (int64_t i = 0; i < n; ++i) dx[i] = x[i] >= lo && x[i] <= hi ? dy[i] : 0.f;
}

Napi::Value Unary(const Napi::CallbackInfo& info) {
  Args a(info, "unary", 3);
  int64_t op = a.Integer(0, "op");
  FloatView x = a.Floats(1, "x"), out = a.Floats(2, "out");
  if (a.ok() && op >= kUnaryCount) a.Fail("unknown op code " + std::to_string(op));
  int64_t n = out.length;
  a.Need(x, n, "x");
  if (!a.ok()) return a.env().Undefined();
  ForFlatBlocks(n, [&](int64_t b, int64_t e) { UnaryRange(int(op), x.data + b, out.data + b, e - b); });
  return a.env().Undefined();
}

Napi::Value UnaryBackward(const Napi::CallbackInfo& info) {
  Args a(info, "unaryBackward", 5);
  int64_t op = a.Integer(0, "op");
  FloatView x = a.Floats(1, "x"), y = a.Floats(2, "y"), dy = a.Floats(3, "dy"), dx = a.Floats(4, "dx");
  if (a.ok() && op >= kUnaryCount) a.Fail("unknown op code " + std::to_string(op));
  int64_t n = dx.length;
  a.Need(x, n, "x");
  a.Need(y, n, "y");
  a.Need(dy, n, "dy");
  if (!a.ok()) return a.env().Undefined();
  ForFlatBlocks(n, [&](int64_t b, int64_t e) {
    UnaryBackwardRange(int(op), x.data + b, y.data + b, dy.data + b, dx.data + b, e - b);
  });
  return a.env().Undefined();
}

Napi::Value Clamp(const Napi::CallbackInfo& info) {
  Args a(info, "clamp", 4);
  FloatView x = a.Floats(0, "x");
  const float lo = float(a.Number(1, "min")), hi = float(a.Number(2, "max"));
  FloatView out = a.Floats(3, "out");
  int64_t n = out.length;
  a.Need(x, n, "x");
  if (!a.ok()) return a.env().Undefined();
  ForFlatBlocks(n, [&](int64_t b, int64_t e) { ClampRange(x.data + b, lo, hi, out.data + b, e - b); });
  return a.env().Undefined();
}

Napi::Value ClampBackward(const Napi::CallbackInfo& info) {
  Args a(info, "clampBackward", 5);
  FloatView x = a.Floats(0, "x");
  const float lo = float(a.Number(1, "min")), hi = float(a.Number(2, "max"));
  FloatView dy = a.Floats(3, "dy"), dx = a.Floats(4, "dx");
  int64_t n = dx.length;
  a.Need(x, n, "x");
  a.Need(dy, n, "dy");
  if (!a.ok()) return a.env().Undefined();
  ForFlatBlocks(n, [&](int64_t b, int64_t e) {
    ClampBackwardRange(x.data + b, lo, hi, dy.data + b, dx.data + b, e - b);
  });
  return a.env().Undefined();
}

// ---------------------------------------------------------------------------------------------
// Broadcasting binary and where

struct AddO { IRLENS_INLINE float operator()(float a, float b) const { return a + b; } };
struct SubO { IRLENS_INLINE float operator()(float a, float b) const { return a - b; } };
struct MulO { IRLENS_INLINE float operator()(float a, float b) const { return a * b; } };
struct DivO { IRLENS_INLINE float operator()(float a, float b) const { return a / b; } };
// b on a tie, NaN if either is NaN (the reference's definition).
struct MinimumO { IRLENS_INLINE float operator()(float a, float b) const { return (a < b || a != a) ? a : b; } };
struct MaximumO { IRLENS_INLINE float operator()(float a, float b) const { return (a > b || a != a) ? a : b; } };

template <typename O>
IRLENS_INLINE void BinaryLoop(const float* a, int64_t sa, const float* b, int64_t sb, float* out, int64_t n,
                              O o) {
  if (sa == 1 && sb == 1) {
    for (int64_t i = 0; i < n; ++i) out[i] = o(a[i], b[i]);
  } else if (sa == 1 && sb == 0) {
    const float bv = b[0];
    for (int64_t i = 0; i < n; ++i) out[i] = o(a[i], bv);
  } else if (sa == 0 && sb == 1) {
    const float av = a[0];
    for (int64_t i = 0; i < n; ++i) out[i] = o(av, b[i]);
  } else {
    for (int64_t i = 0; i < n; ++i) out[i] = o(a[i * sa], b[i * sb]);
  }
}

IRLENS_CLONES void BinaryRun(int op, const float* a, int64_t sa, const float* b, int64_t sb, float* out,
                             int64_t n) {
  switch (op) {
    case kAdd: BinaryLoop(a, sa, b, sb, out, n, AddO()); break;
    case kSub: BinaryLoop(a, sa, b, sb, out, n, SubO()); break;
    case kMul: BinaryLoop(a, sa, b, sb, out, n, MulO()); break;
    case kDiv: BinaryLoop(a, sa, b, sb, out, n, DivO()); break;
    case kMinimum: BinaryLoop(a, sa, b, sb, out, n, MinimumO()); break;
    case kMaximum: BinaryLoop(a, sa, b, sb, out, n, MaximumO()); break;
  }
}

// The part of dy an operand of minimum/maximum gets (torch's rule): none when the other operand
// was chosen, half on a tie, all of it otherwise (NaN included).
IRLENS_INLINE float ExtremumShare(bool maximum, float mine, float other, float dy) {
  const bool lost = maximum ? mine < other : mine > other;
  return lost ? 0.f : mine == other ? dy * 0.5f : dy;
}

IRLENS_CLONES void ExtremumBackwardRun(bool maximum, const float* a, int64_t sa, const float* b, int64_t sb,
                                       const float* dy, float* da, float* db, int64_t n) {
  if (da)
    for (int64_t i = 0; i < n; ++i) da[i] = ExtremumShare(maximum, a[i * sa], b[i * sb], dy[i]);
  if (db)
    for (int64_t i = 0; i < n; ++i) db[i] = ExtremumShare(maximum, b[i * sb], a[i * sa], dy[i]);
}

IRLENS_CLONES void WhereRun(const float* c, int64_t sc, const float* a, int64_t sa, const float* b,
                            int64_t sb, float* out, int64_t n) {
  if (sc == 1 && sa == 1 && sb == 1) {
    for (int64_t i = 0; i < n; ++i) out[i] = c[i] != 0.f ? a[i] : b[i];
  } else {
    for (int64_t i = 0; i < n; ++i) out[i] = c[i * sc] != 0.f ? a[i * sa] : b[i * sb];
  }
}

// Reads a shape and matching strides lists, checks them and the buffers' reach.
bool CheckStrided(Args& a, const std::vector<int64_t>& shape, const std::vector<int64_t>& strides,
                  int64_t offset, const FloatView& buf, const char* stride_name, const char* buf_name,
                  int64_t total) {
  if (!a.ok()) return false;
  if (strides.size() != shape.size()) {
    a.Fail(std::string(stride_name) + " has " + std::to_string(strides.size()) + " entries but the shape has " +
           std::to_string(shape.size()));
    return false;
  }
  if (total == 0) return true;
  int64_t lo, hi;
  ReachRange(shape, strides, offset, &lo, &hi);
  if (lo < 0 || hi >= buf.length) {
    a.Fail(std::string(buf_name) + " has " + std::to_string(buf.length) + " elements but " + stride_name +
           " reach element " + std::to_string(lo < 0 ? lo : hi));
    return false;
  }
  return true;
}

bool CheckShape(Args& a, const std::vector<int64_t>& shape, int64_t* total) {
  if (!a.ok()) return false;
  if (shape.size() > size_t(kMaxDims)) {
    a.Fail("at most " + std::to_string(kMaxDims) + " dimensions are supported");
    return false;
  }
  double t = 1;
  int64_t n = 1;
  for (int64_t s : shape) {
    if (s < 0) {
      a.Fail("negative dimension in shape");
      return false;
    }
    t *= double(s);
    n *= s;
  }
  if (t > 9.0e15) {
    a.Fail("shape too large");
    return false;
  }
  *total = n;
  return true;
}

Napi::Value Binary(const Napi::CallbackInfo& info) {
  Args a(info, "binary", 7);
  int64_t op = a.Integer(0, "op");
  FloatView av = a.Floats(1, "a");
  std::vector<int64_t> as = a.IntList(2, "aStrides");
  FloatView bv = a.Floats(3, "b");
  std::vector<int64_t> bs = a.IntList(4, "bStrides");
  FloatView out = a.Floats(5, "out");
  std::vector<int64_t> shape = a.IntList(6, "outShape");
  if (a.ok() && op >= kBinaryCount) a.Fail("unknown op code " + std::to_string(op));
  int64_t total = 0;
  if (!CheckShape(a, shape, &total)) return a.env().Undefined();
  a.Need(out, total, "out");
  CheckStrided(a, shape, as, 0, av, "aStrides", "a", total);
  CheckStrided(a, shape, bs, 0, bv, "bStrides", "b", total);
  if (!a.ok()) return a.env().Undefined();
  NdPlan p = MakeNdPlan(shape, {&as, &bs});
  const int64_t base[2] = {0, 0};
  const int nd = int(p.shape.size());
  const int64_t sa = p.strides[0][nd - 1], sb = p.strides[1][nd - 1];
  ForEachRun(p, base, true, [&](const int64_t* o, int64_t oo, int64_t len) {
    BinaryRun(int(op), av.data + o[0], sa, bv.data + o[1], sb, out.data + oo, len);
  });
  return a.env().Undefined();
}

Napi::Value ExtremumBackward(const Napi::CallbackInfo& info) {
  Args a(info, "extremumBackward", 9);
  int64_t op = a.Integer(0, "op");
  FloatView av = a.Floats(1, "a");
  std::vector<int64_t> as = a.IntList(2, "aStrides");
  FloatView bv = a.Floats(3, "b");
  std::vector<int64_t> bs = a.IntList(4, "bStrides");
  FloatView dy = a.Floats(5, "dy"), da = a.Floats(6, "da", true), db = a.Floats(7, "db", true);
  std::vector<int64_t> shape = a.IntList(8, "outShape");
  if (a.ok() && op != kMinimum && op != kMaximum) a.Fail("op code " + std::to_string(op) + " is not minimum or maximum");
  int64_t total = 0;
  if (!CheckShape(a, shape, &total)) return a.env().Undefined();
  a.Need(dy, total, "dy");
  a.Need(da, total, "da");
  a.Need(db, total, "db");
  CheckStrided(a, shape, as, 0, av, "aStrides", "a", total);
  CheckStrided(a, shape, bs, 0, bv, "bStrides", "b", total);
  if (!a.ok()) return a.env().Undefined();
  NdPlan p = MakeNdPlan(shape, {&as, &bs});
  const int64_t base[2] = {0, 0};
  const int nd = int(p.shape.size());
  const int64_t sa = p.strides[0][nd - 1], sb = p.strides[1][nd - 1];
  ForEachRun(p, base, true, [&](const int64_t* o, int64_t oo, int64_t len) {
    ExtremumBackwardRun(op == kMaximum, av.data + o[0], sa, bv.data + o[1], sb, dy.data + oo,
                        da.present ? da.data + oo : nullptr, db.present ? db.data + oo : nullptr, len);
  });
  return a.env().Undefined();
}

Napi::Value Where(const Napi::CallbackInfo& info) {
  Args a(info, "where", 8);
  FloatView cv = a.Floats(0, "cond");
  std::vector<int64_t> cs = a.IntList(1, "condStrides");
  FloatView av = a.Floats(2, "a");
  std::vector<int64_t> as = a.IntList(3, "aStrides");
  FloatView bv = a.Floats(4, "b");
  std::vector<int64_t> bs = a.IntList(5, "bStrides");
  FloatView out = a.Floats(6, "out");
  std::vector<int64_t> shape = a.IntList(7, "outShape");
  int64_t total = 0;
  if (!CheckShape(a, shape, &total)) return a.env().Undefined();
  a.Need(out, total, "out");
  CheckStrided(a, shape, cs, 0, cv, "condStrides", "cond", total);
  CheckStrided(a, shape, as, 0, av, "aStrides", "a", total);
  CheckStrided(a, shape, bs, 0, bv, "bStrides", "b", total);
  if (!a.ok()) return a.env().Undefined();
  NdPlan p = MakeNdPlan(shape, {&cs, &as, &bs});
  const int64_t base[3] = {0, 0, 0};
  const int nd = int(p.shape.size());
  const int64_t sc = p.strides[0][nd - 1], sa = p.strides[1][nd - 1], sb = p.strides[2][nd - 1];
  ForEachRun(p, base, true, [&](const int64_t* o, int64_t oo, int64_t len) {
    WhereRun(cv.data + o[0], sc, av.data + o[1], sa, bv.data + o[2], sb, out.data + oo, len);
  });
  return a.env().Undefined();
}

// ---------------------------------------------------------------------------------------------
// Strided copy and accumulate

IRLENS_CLONES void GatherRun(const float* x, int64_t s, float* out, int64_t n) {
  if (s == 1) {
    std::memmove(out, x, size_t(n) * sizeof(float));
  } else if (s == 0) {
    std::fill(out, out + n, x[0]);
  } else {
    for (int64_t i = 0; i < n; ++i) out[i] = x[i * s];
  }
}

// out[i, j] = x[i + j·s] for a tile: the transposed-last-two-dims case of stridedCopy.
IRLENS_CLONES void TransposeTile(const float* x, int64_t s, float* out, int64_t out_ld, int64_t ti, int64_t tj) {
  for (int64_t i = 0; i < ti; ++i)
    for (int64_t j = 0; j < tj; ++j) out[i * out_ld + j] = x[i + j * s];
}

IRLENS_CLONES void ScatterAddRun(const float* dy, float* dx, int64_t s, int64_t n) {
  if (s == 1) {
    for (int64_t i = 0; i < n; ++i) dx[i] += dy[i];
  } else if (s == 0) {
    float acc = dx[0];
    for (int64_t i = 0; i < n; ++i) acc += dy[i];
    dx[0] = acc;
  } else {
    for (int64_t i = 0; i < n; ++i) dx[i * s] += dy[i];
  }
}

Napi::Value StridedCopy(const Napi::CallbackInfo& info) {
  Args a(info, "stridedCopy", 5);
  FloatView x = a.Floats(0, "x");
  int64_t offset = a.Integer(1, "offset");
  std::vector<int64_t> strides = a.IntList(2, "strides");
  std::vector<int64_t> shape = a.IntList(3, "shape");
  FloatView out = a.Floats(4, "out");
  int64_t total = 0;
  if (!CheckShape(a, shape, &total)) return a.env().Undefined();
  a.Need(out, total, "out");
  CheckStrided(a, shape, strides, offset, x, "strides", "x", total);
  if (!a.ok() || total == 0) return a.env().Undefined();
  NdPlan p = MakeNdPlan(shape, {&strides});
  const int nd = int(p.shape.size());
  const int64_t s_inner = p.strides[0][nd - 1];
  if (nd >= 2 && s_inner != 1 && s_inner != 0 && p.strides[0][nd - 2] == 1) {
    // Transpose of the last two dimensions: copy in square tiles so reads and writes both
    // stay within a few cache lines.
    constexpr int64_t kTile = 32;
    const int64_t rows_in = p.shape[nd - 2], cols = p.shape[nd - 1];
    const int64_t ti_n = (rows_in + kTile - 1) / kTile, tj_n = (cols + kTile - 1) / kTile;
    const int64_t outer = p.total / (rows_in * cols);
    std::vector<int64_t> oshape(p.shape.begin(), p.shape.end() - 2), ostr(p.strides[0].begin(), p.strides[0].end() - 2);
    ParallelFor(outer * ti_n, std::max<int64_t>(1, 64 / std::max<int64_t>(1, tj_n)), [&](int64_t t0, int64_t t1) {
      for (int64_t t = t0; t < t1; ++t) {
        int64_t o = t / ti_n, ti = t % ti_n;
        int64_t xoff = offset, r = o;
        for (int d = int(oshape.size()) - 1; d >= 0; --d) {
          xoff += (r % oshape[d]) * ostr[d];
          r /= oshape[d];
        }
        int64_t i0 = ti * kTile, ni = std::min(kTile, rows_in - i0);
        for (int64_t tj = 0; tj < tj_n; ++tj) {
          int64_t j0 = tj * kTile, nj = std::min(kTile, cols - j0);
          TransposeTile(x.data + xoff + i0 + j0 * s_inner, s_inner, out.data + o * rows_in * cols + i0 * cols + j0,
                        cols, ni, nj);
        }
      }
    });
    return a.env().Undefined();
  }
  const int64_t base[1] = {offset};
  ForEachRun(p, base, true, [&](const int64_t* o, int64_t oo, int64_t len) {
    GatherRun(x.data + o[0], s_inner, out.data + oo, len);
  });
  return a.env().Undefined();
}

// True when no two indices of the (planned) shape reach the same element.
bool Injective(const NdPlan& p) {
  std::vector<std::pair<int64_t, int64_t>> dims;  // |stride|, size
  for (size_t d = 0; d < p.shape.size(); ++d) {
    if (p.shape[d] == 1) continue;
    int64_t s = p.strides[0][d] < 0 ? -p.strides[0][d] : p.strides[0][d];
    if (s == 0) return false;
    dims.emplace_back(s, p.shape[d]);
  }
  std::sort(dims.begin(), dims.end());
  int64_t span = 0;  // largest offset the smaller dimensions reach
  for (auto& [s, n] : dims) {
    if (s <= span) return false;
    span += s * (n - 1);
  }
  return true;
}

Napi::Value StridedAccumulate(const Napi::CallbackInfo& info) {
  Args a(info, "stridedAccumulate", 5);
  FloatView dy = a.Floats(0, "dy");
  FloatView dx = a.Floats(1, "dx");
  int64_t offset = a.Integer(2, "offset");
  std::vector<int64_t> strides = a.IntList(3, "strides");
  std::vector<int64_t> shape = a.IntList(4, "shape");
  int64_t total = 0;
  if (!CheckShape(a, shape, &total)) return a.env().Undefined();
  a.Need(dy, total, "dy");
  CheckStrided(a, shape, strides, offset, dx, "strides", "dx", total);
  if (!a.ok() || total == 0) return a.env().Undefined();
  NdPlan p = MakeNdPlan(shape, {&strides});
  const int nd = int(p.shape.size());
  const int64_t s_inner = p.strides[0][nd - 1];
  const int64_t base[1] = {offset};
  // Several indices may add into one element: then the adds happen in index order on one thread.
  ForEachRun(p, base, Injective(p), [&](const int64_t* o, int64_t oo, int64_t len) {
    ScatterAddRun(dy.data + oo, dx.data + o[0], s_inner, len);
  });
  return a.env().Undefined();
}

// ---------------------------------------------------------------------------------------------
// Reductions over the middle axis of [outer, size, inner]

constexpr int64_t kSumBlock = 16384;  // contiguous sums: fixed blocks, partials in block order

IRLENS_CLONES double SumContiguous(const float* x, int64_t n) {
  D8 a0 = SplatD(0), a1 = SplatD(0), a2 = SplatD(0), a3 = SplatD(0);
  int64_t i = 0;
  for (; i + 2 * kWidth <= n; i += 2 * kWidth) {
    AccumulateD(Load(x + i), a0, a1);
    AccumulateD(Load(x + i + kWidth), a2, a3);
  }
  for (; i + kWidth <= n; i += kWidth) AccumulateD(Load(x + i), a0, a1);
  if (i < n) AccumulateD(LoadPartial(x + i, n - i, 0.f), a2, a3);
  return HSum((a0 + a1) + (a2 + a3));
}

// out[j] = Σ_k x[k·inner + j] for j < n, accumulated in double.
IRLENS_CLONES void SumColumns(const float* x, int64_t size, int64_t inner, int64_t n, float* out) {
  double acc[256];
  for (int64_t j = 0; j < n; ++j) acc[j] = 0;
  for (int64_t k = 0; k < size; ++k) {
    const float* row = x + k * inner;
    for (int64_t j = 0; j < n; ++j) acc[j] += double(row[j]);
  }
  for (int64_t j = 0; j < n; ++j) out[j] = float(acc[j]);
}

IRLENS_CLONES void MaxColumns(const float* x, int64_t size, int64_t inner, int64_t n, float* out, int32_t* arg) {
  float best[256];
  int32_t idx[256];
  for (int64_t j = 0; j < n; ++j) {
    best[j] = x[j];
    idx[j] = 0;
  }
  for (int64_t k = 1; k < size; ++k) {
    const float* row = x + k * inner;
    for (int64_t j = 0; j < n; ++j) {
      // Like torch, max propagates NaN: the first NaN wins and is never replaced.
      bool gt = (row[j] > best[j] || row[j] != row[j]) && best[j] == best[j];
      best[j] = gt ? row[j] : best[j];
      idx[j] = gt ? int32_t(k) : idx[j];
    }
  }
  for (int64_t j = 0; j < n; ++j) out[j] = best[j];
  if (arg)
    for (int64_t j = 0; j < n; ++j) arg[j] = idx[j];
}

Napi::Value Reduce(const Napi::CallbackInfo& info) {
  Args a(info, "reduce", 7);
  int64_t op = a.Integer(0, "op");  // 0 sum, 1 max
  FloatView x = a.Floats(1, "x");
  int64_t outer = a.Integer(2, "outer"), size = a.Integer(3, "size"), inner = a.Integer(4, "inner");
  FloatView out = a.Floats(5, "out");
  IntView arg = a.Ints(6, "argmax", true);
  if (a.ok() && op > 1) a.Fail("unknown op code " + std::to_string(op));
  if (a.ok() && op == 1 && size == 0 && outer * inner > 0) a.Fail("max over an empty axis");
  int64_t n_in = CheckedProduct({outer, size, inner}), n_out = CheckedProduct({outer, inner});
  if (a.ok() && (n_in < 0 || n_out < 0)) a.Fail("shape too large");
  a.Need(x, n_in, "x");
  a.Need(out, n_out, "out");
  if (op == 1) a.Need(arg, n_out, "argmax");
  if (!a.ok() || n_out == 0) return a.env().Undefined();
  float* o = out.data;
  int32_t* am = (op == 1 && arg.present) ? arg.data : nullptr;
  const float* xd = x.data;
  if (inner == 1) {
    if (op == 0) {
      const int64_t blocks = std::max<int64_t>(1, (size + kSumBlock - 1) / kSumBlock);
      if (blocks == 1) {
        ForRows(outer, size, [&](int64_t r0, int64_t r1) {
          for (int64_t r = r0; r < r1; ++r) o[r] = float(SumContiguous(xd + r * size, size));
        });
      } else {
        std::vector<double> partial(static_cast<size_t>(outer * blocks));
        ParallelFor(outer * blocks, 1, [&](int64_t t0, int64_t t1) {
          for (int64_t t = t0; t < t1; ++t) {
            int64_t r = t / blocks, b = t % blocks;
            int64_t s0 = b * kSumBlock, len = std::min(kSumBlock, size - s0);
            partial[size_t(t)] = SumContiguous(xd + r * size + s0, len);
          }
        });
        for (int64_t r = 0; r < outer; ++r) {
          double s = 0;
          for (int64_t b = 0; b < blocks; ++b) s += partial[size_t(r * blocks + b)];
          o[r] = float(s);
        }
      }
    } else {
      ForRows(outer, size, [&](int64_t r0, int64_t r1) {
        for (int64_t r = r0; r < r1; ++r) {
          const float* row = xd + r * size;
          float best = row[0];
          int32_t bi = 0;
          for (int64_t k = 1; k < size && best == best; ++k)
            if (row[k] > best || row[k] != row[k]) {  // NaN propagates (the first one wins)
              best = row[k];
              bi = int32_t(k);
            }
          o[r] = best;
          if (am) am[r] = bi;
        }
      });
    }
    return a.env().Undefined();
  }
  // inner > 1: each task owns up to 256 consecutive columns of one outer index.
  const int64_t col_tasks = (inner + 255) / 256;
  ParallelFor(outer * col_tasks, std::max<int64_t>(1, 16384 / std::max<int64_t>(1, size * std::min<int64_t>(inner, 256))),
              [&](int64_t t0, int64_t t1) {
                for (int64_t t = t0; t < t1; ++t) {
                  int64_t r = t / col_tasks, j0 = (t % col_tasks) * 256, n = std::min<int64_t>(256, inner - j0);
                  const float* base = xd + r * size * inner + j0;
                  if (op == 0) {
                    SumColumns(base, size, inner, n, o + r * inner + j0);
                  } else {
                    MaxColumns(base, size, inner, n, o + r * inner + j0, am ? am + r * inner + j0 : nullptr);
                  }
                }
              });
  return a.env().Undefined();
}

// ---------------------------------------------------------------------------------------------
// Vector helpers for gradient accumulation and clipping

IRLENS_CLONES void AddRange(float* out, const float* b, int64_t n) {
  for (int64_t i = 0; i < n; ++i) out[i] += b[i];
}
// In double, so the result is x·s rounded once, s unrounded (as the reference computes it).
IRLENS_CLONES void ScaleRange(float* x, double s, int64_t n) {
  for (int64_t i = 0; i < n; ++i) x[i] = float(double(x[i]) * s);
}
IRLENS_CLONES double SumSquaresRange(const float* x, int64_t n) {
  D8 a0 = SplatD(0), a1 = SplatD(0), a2 = SplatD(0), a3 = SplatD(0);
  int64_t i = 0;
  for (; i + 2 * kWidth <= n; i += 2 * kWidth) {
    D8 l, h;
    Widen(Load(x + i), l, h);
    a0 += l * l;
    a1 += h * h;
    Widen(Load(x + i + kWidth), l, h);
    a2 += l * l;
    a3 += h * h;
  }
  for (; i + kWidth <= n; i += kWidth) {
    D8 l, h;
    Widen(Load(x + i), l, h);
    a0 += l * l;
    a1 += h * h;
  }
  if (i < n) {
    D8 l, h;
    Widen(LoadPartial(x + i, n - i, 0.f), l, h);
    a2 += l * l;
    a3 += h * h;
  }
  return HSum((a0 + a1) + (a2 + a3));
}

Napi::Value MaxBackward(const Napi::CallbackInfo& info) {
  // (dy, argmax, outer, size, inner, dx): dx is zero but for dy at each argmax
  Args a(info, "maxBackward", 6);
  FloatView dy = a.Floats(0, "dy");
  IntView arg = a.Ints(1, "argmax");
  int64_t outer = a.Integer(2, "outer"), size = a.Integer(3, "size"), inner = a.Integer(4, "inner");
  FloatView dx = a.Floats(5, "dx");
  int64_t n_in = CheckedProduct({outer, size, inner}), n_out = CheckedProduct({outer, inner});
  if (a.ok() && (n_in < 0 || n_out < 0)) a.Fail("shape too large");
  a.Need(dy, n_out, "dy");
  a.Need(arg, n_out, "argmax");
  a.Need(dx, n_in, "dx");
  for (int64_t i = 0; a.ok() && i < n_out; ++i) {
    if (arg.data[i] < 0 || arg.data[i] >= size)
      a.Fail("argmax " + std::to_string(arg.data[i]) + " at " + std::to_string(i) + " is outside [0, " + std::to_string(size) + ")");
  }
  if (!a.ok()) return a.env().Undefined();
  std::fill(dx.data, dx.data + n_in, 0.0f);
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t j = 0; j < inner; ++j) dx.data[(o * size + arg.data[o * inner + j]) * inner + j] = dy.data[o * inner + j];
  }
  return a.env().Undefined();
}

Napi::Value IdsToFloats(const Napi::CallbackInfo& info) {
  Args a(info, "idsToFloats", 2);
  IntView ids = a.Ints(0, "ids");
  FloatView out = a.Floats(1, "out");
  a.Need(ids, out.length, "ids");
  if (!a.ok()) return a.env().Undefined();
  ForFlatBlocks(out.length, [&](int64_t s, int64_t e) {
    for (int64_t i = s; i < e; ++i) out.data[i] = float(ids.data[i]);
  });
  return a.env().Undefined();
}

Napi::Value AddInto(const Napi::CallbackInfo& info) {
  Args a(info, "addInto", 2);
  FloatView out = a.Floats(0, "out"), b = a.Floats(1, "b");
  a.Need(b, out.length, "b");
  if (!a.ok()) return a.env().Undefined();
  ForFlatBlocks(out.length, [&](int64_t s, int64_t e) { AddRange(out.data + s, b.data + s, e - s); });
  return a.env().Undefined();
}

Napi::Value ScaleInPlace(const Napi::CallbackInfo& info) {
  Args a(info, "scaleInPlace", 2);
  FloatView x = a.Floats(0, "x");
  double s = a.Number(1, "s");
  if (!a.ok()) return a.env().Undefined();
  ForFlatBlocks(x.length, [&](int64_t b, int64_t e) { ScaleRange(x.data + b, s, e - b); });
  return a.env().Undefined();
}

Napi::Value SumSquares(const Napi::CallbackInfo& info) {
  Args a(info, "sumSquares", 1);
  FloatView x = a.Floats(0, "x");
  if (!a.ok()) return a.env().Undefined();
  const int64_t n = x.length;
  const int64_t blocks = (n + kFlatBlock - 1) / kFlatBlock;
  std::vector<double> partial(size_t(std::max<int64_t>(blocks, 1)), 0.0);
  ForFlatBlocks(n, [&](int64_t b, int64_t e) {
    for (int64_t s = b; s < e; s += kFlatBlock)
      partial[size_t(s / kFlatBlock)] = SumSquaresRange(x.data + s, std::min(kFlatBlock, e - s));
  });
  double total = 0;
  for (double p : partial) total += p;
  return Napi::Number::New(a.env(), total);
}

}  // namespace

void RegisterElementwise(Napi::Env env, Napi::Object exports) {
  exports.Set("unary", Napi::Function::New(env, Unary, "unary"));
  exports.Set("unaryBackward", Napi::Function::New(env, UnaryBackward, "unaryBackward"));
  exports.Set("clamp", Napi::Function::New(env, Clamp, "clamp"));
  exports.Set("clampBackward", Napi::Function::New(env, ClampBackward, "clampBackward"));
  exports.Set("binary", Napi::Function::New(env, Binary, "binary"));
  exports.Set("extremumBackward", Napi::Function::New(env, ExtremumBackward, "extremumBackward"));
  exports.Set("where", Napi::Function::New(env, Where, "where"));
  exports.Set("stridedCopy", Napi::Function::New(env, StridedCopy, "stridedCopy"));
  exports.Set("stridedAccumulate", Napi::Function::New(env, StridedAccumulate, "stridedAccumulate"));
  exports.Set("reduce", Napi::Function::New(env, Reduce, "reduce"));
  exports.Set("maxBackward", Napi::Function::New(env, MaxBackward, "maxBackward"));
  exports.Set("idsToFloats", Napi::Function::New(env, IdsToFloats, "idsToFloats"));
  exports.Set("addInto", Napi::Function::New(env, AddInto, "addInto"));
  exports.Set("scaleInPlace", Napi::Function::New(env, ScaleInPlace, "scaleInPlace"));
  exports.Set("sumSquares", Napi::Function::New(env, SumSquares, "sumSquares"));
}

}  // namespace irlens
