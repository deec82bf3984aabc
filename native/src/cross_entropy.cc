// Fused mean cross-entropy with an ignore index: the loss and, optionally, the gradient of the
// logits in one sweep over each row (max, then exp written straight into dLogits while summing,
// then one scale). Row losses (double) are summed in row order, so the loss does not depend on
// the thread count.
#include <cmath>
#include <string>
#include <vector>

#include "kernels.h"
#include "napi_args.h"
#include "parallel_util.h"
#include "row_math.h"

namespace irlens {
namespace {

using namespace vec;

// Returns the row's loss log Σ exp(x) − x[target]; writes (softmax − onehot)·scale to d if given.
IRLENS_CLONES double CrossEntropyRow(const float* x, int64_t cols, int32_t target, float* d, double scale) {
  const double x_t = x[target];  // read first: d may alias x
  const float m = RowMax(x, cols);
  double s;
  if (!d) {
    s = RowSumMapped(x, cols, -INFINITY, ExpShift{Splat(m)});
  } else {
    s = RowStoreExpShifted(x, d, cols, m);
    const double e_t = d[target];
    const F16 c = Splat(float(scale / s));
    int64_t j = 0;
    for (; j + kWidth <= cols; j += kWidth) Store(d + j, Load(d + j) * c);
    for (; j < cols; ++j) d[j] = d[j] * c[0];
    d[target] = float((e_t / s - 1.0) * scale);
  }
  return std::log(s) + double(m) - x_t;
}

Napi::Value CrossEntropy(const Napi::CallbackInfo& info) {
  // (logits, targets, rows, classes, ignoreIndex, dLogits|null, gradScale) -> { loss, count }
  Args a(info, "crossEntropy", 7);
  FloatView logits = a.Floats(0, "logits");
  IntView targets = a.Ints(1, "targets");
  int64_t rows = a.Integer(2, "rows"), classes = a.Integer(3, "classes");
  double ignore = a.Number(4, "ignoreIndex");
  FloatView d = a.Floats(5, "dLogits", true);
  double grad_scale = a.Number(6, "gradScale");
  int64_t n = CheckedProduct({rows, classes});
  if (a.ok() && n < 0) a.Fail("rows × classes too large");
  a.Need(logits, n, "logits");
  a.Need(targets, rows, "targets");
  a.Need(d, n, "dLogits");
  if (a.ok() && classes == 0 && rows > 0) a.Fail("classes must be positive");
  int64_t count = 0;
  for (int64_t r = 0; a.ok() && r < rows; ++r) {
    int32_t t = targets.data[r];
    if (double(t) == ignore) continue;
    if (t < 0 || t >= classes) {
      a.Fail("target " + std::to_string(t) + " of row " + std::to_string(r) + " is outside [0, " +
             std::to_string(classes) + ") and is not the ignore index");
    }
    ++count;
  }
  if (!a.ok()) return a.env().Undefined();
  Napi::Object result = Napi::Object::New(a.env());
  result.Set("count", Napi::Number::New(a.env(), double(count)));
  if (count == 0) {
    if (d.present) ForFlatBlocks(n, [&](int64_t b, int64_t e) { std::fill(d.data + b, d.data + e, 0.f); });
    result.Set("loss", Napi::Number::New(a.env(), NAN));
    return result;
  }
  const double scale = grad_scale / double(count);
  std::vector<double> row_loss(size_t(rows), 0.0);
  ForRows(rows, classes, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      int32_t t = targets.data[r];
      float* dr = d.present ? d.data + r * classes : nullptr;
      if (double(t) == ignore) {
        if (dr) std::fill(dr, dr + classes, 0.f);
        continue;
      }
      row_loss[size_t(r)] = CrossEntropyRow(logits.data + r * classes, classes, t, dr, scale);
    }
  }, 4096);
  double total = 0;
  for (double l : row_loss) total += l;
  result.Set("loss", Napi::Number::New(a.env(), total / double(count)));
  return result;
}

}  // namespace

void RegisterCrossEntropy(Napi::Env env, Napi::Object exports) {
  exports.Set("crossEntropy", Napi::Function::New(env, CrossEntropy, "crossEntropy"));
}

}  // namespace irlens
