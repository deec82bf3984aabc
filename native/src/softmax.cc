// Softmax and log-softmax over rows, and their backward. Row sums accumulate in double.
#include <cmath>

#include "kernels.h"
#include "napi_args.h"
#include "parallel_util.h"
#include "row_math.h"

namespace irlens {
namespace {

using namespace vec;

IRLENS_CLONES void SoftmaxRows(const float* x, int64_t r0, int64_t r1, int64_t cols, float* out, bool log) {
  for (int64_t r = r0; r < r1; ++r) {
    const float* xr = x + r * cols;
    float* yr = out + r * cols;
    if (log) {
      const LogSoftmaxShift shift = RowLogSoftmaxShift(xr, cols);
      for (int64_t j = 0; j < cols; ++j) yr[j] = (xr[j] - shift.max) - shift.log_sum;
    } else {
      const float s = float(RowStoreExpShifted(xr, yr, cols, RowMax(xr, cols)));
      for (int64_t k = 0; k < cols; ++k) yr[k] = yr[k] / s;
    }
  }
}

IRLENS_CLONES void SoftmaxBackwardRows(const float* y, const float* dy, int64_t r0, int64_t r1, int64_t cols,
                                       float* dx, bool log) {
  for (int64_t r = r0; r < r1; ++r) {
    const float* yr = y + r * cols;
    const float* dyr = dy + r * cols;
    float* dxr = dx + r * cols;
    if (log) {
      const float s = float(RowSum(dyr, cols));
      const F16 sv = Splat(s);
      int64_t j = 0;
      for (; j + kWidth <= cols; j += kWidth) Store(dxr + j, Load(dyr + j) - Exp(Load(yr + j)) * sv);
      if (j < cols) {
        int64_t n = cols - j;
        StorePartial(dxr + j, LoadPartial(dyr + j, n, 0.f) - Exp(LoadPartial(yr + j, n, 0.f)) * sv, n);
      }
    } else {
      const float d = float(RowDot(dyr, yr, cols));
      for (int64_t j = 0; j < cols; ++j) dxr[j] = yr[j] * (dyr[j] - d);
    }
  }
}

Napi::Value Softmax(const Napi::CallbackInfo& info) {
  // (x, rows, cols, out, log)
  Args a(info, "softmax", 5);
  FloatView x = a.Floats(0, "x");
  int64_t rows = a.Integer(1, "rows"), cols = a.Integer(2, "cols");
  FloatView out = a.Floats(3, "out");
  bool log = a.Bool(4, "log");
  int64_t n = CheckedProduct({rows, cols});
  if (a.ok() && n < 0) a.Fail("rows × cols too large");
  a.Need(x, n, "x");
  a.Need(out, n, "out");
  if (!a.ok() || n == 0) return a.env().Undefined();
  ForRows(rows, cols, [&](int64_t r0, int64_t r1) { SoftmaxRows(x.data, r0, r1, cols, out.data, log); });
  return a.env().Undefined();
}

Napi::Value SoftmaxBackward(const Napi::CallbackInfo& info) {
  // (y, dy, rows, cols, dx, log)
  Args a(info, "softmaxBackward", 6);
  FloatView y = a.Floats(0, "y"), dy = a.Floats(1, "dy");
  int64_t rows = a.Integer(2, "rows"), cols = a.Integer(3, "cols");
  FloatView dx = a.Floats(4, "dx");
  bool log = a.Bool(5, "log");
  int64_t n = CheckedProduct({rows, cols});
  if (a.ok() && n < 0) a.Fail("rows × cols too large");
  a.Need(y, n, "y");
  a.Need(dy, n, "dy");
  a.Need(dx, n, "dx");
  if (!a.ok() || n == 0) return a.env().Undefined();
  ForRows(rows, cols, [&](int64_t r0, int64_t r1) {
    SoftmaxBackwardRows(y.data, dy.data, r0, r1, cols, dx.data, log);
  });
  return a.env().Undefined();
}

}  // namespace

void RegisterSoftmax(Napi::Env env, Napi::Object exports) {
  exports.Set("softmax", Napi::Function::New(env, Softmax, "softmax"));
  exports.Set("softmaxBackward", Napi::Function::New(env, SoftmaxBackward, "softmaxBackward"));
}

}  // namespace irlens
