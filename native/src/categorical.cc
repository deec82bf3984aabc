// Per-row statistics of softmax(logits) that a policy-gradient step needs, fused so that no
// [rows, classes] temporary is made: the log-probability of one class per row and the entropy,
// and their backward passes. A forward row is a max pass and one exp pass (sums in double, in
// row_math.h's fixed order); rows are split over threads, so results do not depend on the thread
// count. See src/tensor/backend.ts for each kernel's meaning.
#include <cmath>
#include <string>

#include "kernels.h"
#include "napi_args.h"
#include "parallel_util.h"
#include "row_math.h"

namespace irlens {
namespace {

using namespace vec;

IRLENS_CLONES void TokenLogProbRows(const float* x, const int32_t* ids, int64_t r0, int64_t r1, int64_t cols,
                                    float* out, float* lse) {
  for (int64_t r = r0; r < r1; ++r) {
    const float* xr = x + r * cols;
    const float m = RowMax(xr, cols);
    const double log_sum = double(m) + std::log(RowSumMapped(xr, cols, -INFINITY, ExpShift{Splat(m)}));
    out[r] = float(double(xr[ids[r]]) - log_sum);
    lse[r] = float(log_sum);
  }
}

// −dy·p over the row, then dy·(1 − p) at the chosen class.
IRLENS_CLONES void TokenLogProbBackwardRows(const float* x, const int32_t* ids, const float* lse, const float* dy,
                                            int64_t r0, int64_t r1, int64_t cols, float* dx) {
  for (int64_t r = r0; r < r1; ++r) {
    const float* xr = x + r * cols;
    float* dr = dx + r * cols;
    const F16 l = Splat(lse[r]), g = Splat(-dy[r]);
    int64_t j = 0;
    for (; j + kWidth <= cols; j += kWidth) Store(dr + j, g * ExpNonPositive(Load(xr + j) - l));
    if (j < cols) StorePartial(dr + j, g * ExpNonPositive(LoadPartial(xr + j, cols - j, -INFINITY) - l), cols - j);
    const int32_t t = ids[r];
    const float p_t = ExpNonPositive(Splat(xr[t] - lse[r]))[0];
    dr[t] = float(double(dy[r]) * (1.0 - double(p_t)));
  }
}

IRLENS_CLONES void EntropyRows(const float* x, int64_t r0, int64_t r1, int64_t cols, float* out, float* lse) {
  for (int64_t r = r0; r < r1; ++r) {
    const float* xr = x + r * cols;
    const float m = RowMax(xr, cols);
    double sum, weighted;
    RowExpMoments(xr, cols, m, &sum, &weighted);
    const double log_sum = std::log(sum);
    out[r] = float(log_sum - weighted / sum);
    lse[r] = float(double(m) + log_sum);
  }
}

// −dy·p·(log p + H) for a vector of one row's logits; 0 where p is 0 (so −∞ logits give 0, not NaN).
struct EntropyGrad {
  F16 lse, h, minus_dy;
  IRLENS_INLINE F16 operator()(const F16& v) const {
    const F16 log_p = v - lse;
    const F16 p = ExpNonPositive(log_p);
    return (p > Splat(0.f) ? p * (log_p + h) : Splat(0.f)) * minus_dy;
  }
};

IRLENS_CLONES void EntropyBackwardRows(const float* x, const float* lse, const float* h, const float* dy, int64_t r0,
                                       int64_t r1, int64_t cols, float* dx) {
  for (int64_t r = r0; r < r1; ++r) {
    const float* xr = x + r * cols;
    float* dr = dx + r * cols;
    const EntropyGrad f{Splat(lse[r]), Splat(h[r]), Splat(-dy[r])};
    int64_t j = 0;
    for (; j + kWidth <= cols; j += kWidth) Store(dr + j, f(Load(xr + j)));
    if (j < cols) StorePartial(dr + j, f(LoadPartial(xr + j, cols - j, -INFINITY)), cols - j);
  }
}

// Checks the shared arguments (sizes, the logits' length, and when given every id) and returns
// rows × classes.
int64_t CheckRows(Args& a, int64_t rows, int64_t classes, const FloatView& logits, const IntView* ids) {
  const int64_t n = CheckedProduct({rows, classes});
  if (a.ok() && n < 0) a.Fail("rows × classes too large");
  if (a.ok() && classes == 0 && rows > 0) a.Fail("classes must be positive");
  a.Need(logits, n, "logits");
  if (!ids) return n;
  a.Need(*ids, rows, "ids");
  for (int64_t r = 0; a.ok() && r < rows; ++r) {
    const int32_t t = ids->data[r];
    if (t < 0 || t >= classes) {
      a.Fail("id " + std::to_string(t) + " of row " + std::to_string(r) + " is outside [0, " + std::to_string(classes) +
             ")");
    }
  }
  return n;
}

Napi::Value TokenLogProbs(const Napi::CallbackInfo& info) {
  // (logits, ids, rows, classes, out, logSumExp)
  Args a(info, "tokenLogProbs", 6);
  FloatView logits = a.Floats(0, "logits");
  IntView ids = a.Ints(1, "ids");
  int64_t rows = a.Integer(2, "rows"), classes = a.Integer(3, "classes");
  FloatView out = a.Floats(4, "out"), lse = a.Floats(5, "logSumExp");
  CheckRows(a, rows, classes, logits, &ids);
  a.Need(out, rows, "out");
  a.Need(lse, rows, "logSumExp");
  if (!a.ok()) return a.env().Undefined();
  ForRows(rows, classes, [&](int64_t r0, int64_t r1) {
    TokenLogProbRows(logits.data, ids.data, r0, r1, classes, out.data, lse.data);
  }, 4096);
  return a.env().Undefined();
}

Napi::Value TokenLogProbsBackward(const Napi::CallbackInfo& info) {
  // (logits, ids, logSumExp, dy, rows, classes, dLogits)
  Args a(info, "tokenLogProbsBackward", 7);
  FloatView logits = a.Floats(0, "logits");
  IntView ids = a.Ints(1, "ids");
  FloatView lse = a.Floats(2, "logSumExp"), dy = a.Floats(3, "dy");
  int64_t rows = a.Integer(4, "rows"), classes = a.Integer(5, "classes");
  FloatView dx = a.Floats(6, "dLogits");
  const int64_t n = CheckRows(a, rows, classes, logits, &ids);
  a.Need(lse, rows, "logSumExp");
  a.Need(dy, rows, "dy");
  a.Need(dx, n, "dLogits");
  if (!a.ok()) return a.env().Undefined();
  ForRows(rows, classes, [&](int64_t r0, int64_t r1) {
    TokenLogProbBackwardRows(logits.data, ids.data, lse.data, dy.data, r0, r1, classes, dx.data);
  }, 4096);
  return a.env().Undefined();
}

Napi::Value Entropy(const Napi::CallbackInfo& info) {
  // (logits, rows, classes, out, logSumExp)
  Args a(info, "entropy", 5);
  FloatView logits = a.Floats(0, "logits");
  int64_t rows = a.Integer(1, "rows"), classes = a.Integer(2, "classes");
  FloatView out = a.Floats(3, "out"), lse = a.Floats(4, "logSumExp");
  CheckRows(a, rows, classes, logits, nullptr);
  a.Need(out, rows, "out");
  a.Need(lse, rows, "logSumExp");
  if (!a.ok()) return a.env().Undefined();
  ForRows(rows, classes, [&](int64_t r0, int64_t r1) {
    EntropyRows(logits.data, r0, r1, classes, out.data, lse.data);
  }, 4096);
  return a.env().Undefined();
}

Napi::Value EntropyBackward(const Napi::CallbackInfo& info) {
  // (logits, logSumExp, entropy, dy, rows, classes, dLogits)
  Args a(info, "entropyBackward", 7);
  FloatView logits = a.Floats(0, "logits");
  FloatView lse = a.Floats(1, "logSumExp"), h = a.Floats(2, "entropy"), dy = a.Floats(3, "dy");
  int64_t rows = a.Integer(4, "rows"), classes = a.Integer(5, "classes");
  FloatView dx = a.Floats(6, "dLogits");
  const int64_t n = CheckRows(a, rows, classes, logits, nullptr);
  a.Need(lse, rows, "logSumExp");
  a.Need(h, rows, "entropy");
  a.Need(dy, rows, "dy");
  a.Need(dx, n, "dLogits");
  if (!a.ok()) return a.env().Undefined();
  ForRows(rows, classes, [&](int64_t r0, int64_t r1) {
    EntropyBackwardRows(logits.data, lse.data, h.data, dy.data, r0, r1, classes, dx.data);
  }, 4096);
  return a.env().Undefined();
}

}  // namespace

void RegisterCategorical(Napi::Env env, Napi::Object exports) {
  exports.Set("tokenLogProbs", Napi::Function::New(env, TokenLogProbs, "tokenLogProbs"));
  exports.Set("tokenLogProbsBackward", Napi::Function::New(env, TokenLogProbsBackward, "tokenLogProbsBackward"));
  exports.Set("entropy", Napi::Function::New(env, Entropy, "entropy"));
  exports.Set("entropyBackward", Napi::Function::New(env, EntropyBackward, "entropyBackward"));
}

}  // namespace irlens
