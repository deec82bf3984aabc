// Layer norm and RMS norm, forward and backward, over rows of length cols.
//
// Row statistics are accumulated in double. The backward's dWeight/dBias sum over rows in a
// fixed partition: rows are cut into blocks whose size depends only on `rows`; each block's
// partial sums (double) are written to their own slot, and the slots are added in block order.
#include <algorithm>
#include <cmath>
#include <vector>

#include "kernels.h"
#include "napi_args.h"
#include "parallel_util.h"
#include "row_math.h"
#include "thread_pool.h"

namespace irlens {
namespace {

using namespace vec;

// Rows per block of the backward's weight-gradient partition (a function of rows only).
int64_t RowBlock(int64_t rows) { return std::max<int64_t>(16, (rows + 255) / 256); }

IRLENS_CLONES void LayerNormRows(const float* x, const float* w, const float* b, int64_t r0, int64_t r1,
                                 int64_t cols, double eps, float* out, float* mean, float* rstd) {
  for (int64_t r = r0; r < r1; ++r) {
    const float* xr = x + r * cols;
    float* yr = out + r * cols;
    double mu = RowSum(xr, cols) / double(cols);
    double var = RowSumSquaredDeviation(xr, cols, mu) / double(cols);
    const double s = 1.0 / std::sqrt(var + eps);
    mean[r] = float(mu);
    rstd[r] = float(s);
    // Normalised in double with the unrounded statistics.
    if (w && b) {
      for (int64_t j = 0; j < cols; ++j) yr[j] = float((double(xr[j]) - mu) * s * double(w[j]) + double(b[j]));
    } else if (w) {
      for (int64_t j = 0; j < cols; ++j) yr[j] = float((double(xr[j]) - mu) * s * double(w[j]));
    } else if (b) {
      for (int64_t j = 0; j < cols; ++j) yr[j] = float((double(xr[j]) - mu) * s + double(b[j]));
    } else {
      for (int64_t j = 0; j < cols; ++j) yr[j] = float((double(xr[j]) - mu) * s);
    }
  }
}

// dx for rows [r0, r1); adds Σ dy·x̂ and Σ dy over those rows into pw/pb (double, may be null).
IRLENS_CLONES void LayerNormBackwardRows(const float* x, const float* w, const float* mean, const float* rstd,
                                         const float* dy, int64_t r0, int64_t r1, int64_t cols, float* dx,
                                         double* pw, double* pb, float* scratch) {
  float* xhat = scratch;
  float* g = scratch + cols;
  for (int64_t r = r0; r < r1; ++r) {
    const float* xr = x + r * cols;
    const float* dyr = dy + r * cols;
    float* dxr = dx + r * cols;
    const float m = mean[r], s = rstd[r];
    for (int64_t j = 0; j < cols; ++j) xhat[j] = (xr[j] - m) * s;
    const float* gr = dyr;
    if (w) {
      for (int64_t j = 0; j < cols; ++j) g[j] = dyr[j] * w[j];
      gr = g;
    }
    const double mean_g = RowSum(gr, cols) / double(cols);
    const double mean_gx = RowDot(gr, xhat, cols) / double(cols);
    const double sd = s, md = m;
    // The combination cancels when dy is nearly a multiple of x̂: done in double.
    for (int64_t j = 0; j < cols; ++j) {
      const double xh = (double(xr[j]) - md) * sd;
      dxr[j] = float(sd * ((double(gr[j]) - mean_g) - xh * mean_gx));
    }
    if (pw)
      for (int64_t j = 0; j < cols; ++j) pw[j] += double(dyr[j]) * double(xhat[j]);
    if (pb)
      for (int64_t j = 0; j < cols; ++j) pb[j] += double(dyr[j]);
  }
}

IRLENS_CLONES void RmsNormRows(const float* x, const float* w, int64_t r0, int64_t r1, int64_t cols, double eps,
                               float* out, float* rstd) {
  for (int64_t r = r0; r < r1; ++r) {
    const float* xr = x + r * cols;
    float* yr = out + r * cols;
    double ms = RowDot(xr, xr, cols) / double(cols);
    const double s = 1.0 / std::sqrt(ms + eps);
    rstd[r] = float(s);
    if (w) {
      for (int64_t j = 0; j < cols; ++j) yr[j] = float(double(xr[j]) * s * double(w[j]));
    } else {
      for (int64_t j = 0; j < cols; ++j) yr[j] = float(double(xr[j]) * s);
    }
  }
}

IRLENS_CLONES void RmsNormBackwardRows(const float* x, const float* w, const float* rstd, const float* dy,
                                       int64_t r0, int64_t r1, int64_t cols, float* dx, double* pw, float* scratch) {
  float* g = scratch;
  for (int64_t r = r0; r < r1; ++r) {
    const float* xr = x + r * cols;
    const float* dyr = dy + r * cols;
    float* dxr = dx + r * cols;
    const float s = rstd[r];
    const float* gr = dyr;
    if (w) {
      for (int64_t j = 0; j < cols; ++j) g[j] = dyr[j] * w[j];
      gr = g;
    }
    const double sd = s;
    const double c = sd * sd * sd * RowDot(gr, xr, cols) / double(cols);
    // The combination cancels when dy is nearly a multiple of x: done in double.
    for (int64_t j = 0; j < cols; ++j) dxr[j] = float(sd * double(gr[j]) - double(xr[j]) * c);
    if (pw)
      for (int64_t j = 0; j < cols; ++j) pw[j] += double(dyr[j]) * double(xr[j] * s);
  }
}

IRLENS_CLONES void SumPartials(const double* partial, int64_t blocks, int64_t cols, int64_t j0, int64_t j1,
                               float* out) {
  for (int64_t j = j0; j < j1; ++j) {
    double t = 0;
    for (int64_t b = 0; b < blocks; ++b) t += partial[b * cols + j];
    out[j] += float(t);
  }
}

// Adds the block partials, in block order, into the accumulating outputs.
void ReducePartials(const std::vector<double>& partial, int64_t blocks, int64_t cols, float* out) {
  ParallelFor((cols + 255) / 256, 1, [&](int64_t c0, int64_t c1) {
    SumPartials(partial.data(), blocks, cols, c0 * 256, std::min(cols, c1 * 256), out);
  });
}

bool RowsCols(Args& a, size_t ri, size_t ci, int64_t* rows, int64_t* cols, int64_t* n) {
  *rows = a.Integer(ri, "rows");
  *cols = a.Integer(ci, "cols");
  *n = CheckedProduct({*rows, *cols});
  if (a.ok() && *n < 0) a.Fail("rows × cols too large");
  return a.ok();
}

Napi::Value LayerNorm(const Napi::CallbackInfo& info) {
  // (x, weight|null, bias|null, rows, cols, eps, out, mean, rstd)
  Args a(info, "layerNorm", 9);
  FloatView x = a.Floats(0, "x"), w = a.Floats(1, "weight", true), b = a.Floats(2, "bias", true);
  int64_t rows, cols, n;
  RowsCols(a, 3, 4, &rows, &cols, &n);
  double eps = a.Number(5, "eps");
  FloatView out = a.Floats(6, "out"), mean = a.Floats(7, "mean"), rstd = a.Floats(8, "rstd");
  a.Need(x, n, "x");
  a.Need(w, cols, "weight");
  a.Need(b, cols, "bias");
  a.Need(out, n, "out");
  a.Need(mean, rows, "mean");
  a.Need(rstd, rows, "rstd");
  if (a.ok() && cols == 0 && rows > 0) a.Fail("cols must be positive");
  if (!a.ok()) return a.env().Undefined();
  ForRows(rows, cols, [&](int64_t r0, int64_t r1) {
    LayerNormRows(x.data, w.data, b.data, r0, r1, cols, eps, out.data, mean.data, rstd.data);
  });
  return a.env().Undefined();
}

Napi::Value LayerNormBackward(const Napi::CallbackInfo& info) {
  // (x, weight|null, mean, rstd, dy, rows, cols, dx, dWeight|null, dBias|null)
  Args a(info, "layerNormBackward", 10);
  FloatView x = a.Floats(0, "x"), w = a.Floats(1, "weight", true), mean = a.Floats(2, "mean"),
            rstd = a.Floats(3, "rstd"), dy = a.Floats(4, "dy");
  int64_t rows, cols, n;
  RowsCols(a, 5, 6, &rows, &cols, &n);
  FloatView dx = a.Floats(7, "dx"), dw = a.Floats(8, "dWeight", true), db = a.Floats(9, "dBias", true);
  a.Need(x, n, "x");
  a.Need(w, cols, "weight");
  a.Need(mean, rows, "mean");
  a.Need(rstd, rows, "rstd");
  a.Need(dy, n, "dy");
  a.Need(dx, n, "dx");
  a.Need(dw, cols, "dWeight");
  a.Need(db, cols, "dBias");
  if (!a.ok() || n == 0) return a.env().Undefined();
  const int64_t rb = RowBlock(rows), blocks = (rows + rb - 1) / rb;
  std::vector<double> pw(dw.present ? size_t(blocks * cols) : 0), pb(db.present ? size_t(blocks * cols) : 0);
  ParallelFor(blocks, 1, [&](int64_t b0, int64_t b1) {
    std::vector<float> scratch(static_cast<size_t>(2 * cols));
    for (int64_t blk = b0; blk < b1; ++blk) {
      int64_t r0 = blk * rb, r1 = std::min(rows, r0 + rb);
      LayerNormBackwardRows(x.data, w.data, mean.data, rstd.data, dy.data, r0, r1, cols, dx.data,
                            dw.present ? pw.data() + blk * cols : nullptr,
                            db.present ? pb.data() + blk * cols : nullptr, scratch.data());
    }
  });
  if (dw.present) ReducePartials(pw, blocks, cols, dw.data);
  if (db.present) ReducePartials(pb, blocks, cols, db.data);
  return a.env().Undefined();
}

Napi::Value RmsNorm(const Napi::CallbackInfo& info) {
  // (x, weight|null, rows, cols, eps, out, rstd)
  Args a(info, "rmsNorm", 7);
  FloatView x = a.Floats(0, "x"), w = a.Floats(1, "weight", true);
  int64_t rows, cols, n;
  RowsCols(a, 2, 3, &rows, &cols, &n);
  double eps = a.Number(4, "eps");
  FloatView out = a.Floats(5, "out"), rstd = a.Floats(6, "rstd");
  a.Need(x, n, "x");
  a.Need(w, cols, "weight");
  a.Need(out, n, "out");
  a.Need(rstd, rows, "rstd");
  if (a.ok() && cols == 0 && rows > 0) a.Fail("cols must be positive");
  if (!a.ok()) return a.env().Undefined();
  ForRows(rows, cols, [&](int64_t r0, int64_t r1) {
    RmsNormRows(x.data, w.data, r0, r1, cols, eps, out.data, rstd.data);
  });
  return a.env().Undefined();
}

Napi::Value RmsNormBackward(const Napi::CallbackInfo& info) {
  // (x, weight|null, rstd, dy, rows, cols, dx, dWeight|null)
  Args a(info, "rmsNormBackward", 8);
  FloatView x = a.Floats(0, "x"), w = a.Floats(1, "weight", true), rstd = a.Floats(2, "rstd"),
            dy = a.Floats(3, "dy");
  int64_t rows, cols, n;
  RowsCols(a, 4, 5, &rows, &cols, &n);
  FloatView dx = a.Floats(6, "dx"), dw = a.Floats(7, "dWeight", true);
  a.Need(x, n, "x");
  a.Need(w, cols, "weight");
  a.Need(rstd, rows, "rstd");
  a.Need(dy, n, "dy");
  a.Need(dx, n, "dx");
  a.Need(dw, cols, "dWeight");
  if (!a.ok() || n == 0) return a.env().Undefined();
  const int64_t rb = RowBlock(rows), blocks = (rows + rb - 1) / rb;
  std::vector<double> pw(dw.present ? size_t(blocks * cols) : 0);
  ParallelFor(blocks, 1, [&](int64_t b0, int64_t b1) {
    std::vector<float> scratch(static_cast<size_t>(cols));
    for (int64_t blk = b0; blk < b1; ++blk) {
      int64_t r0 = blk * rb, r1 = std::min(rows, r0 + rb);
      RmsNormBackwardRows(x.data, w.data, rstd.data, dy.data, r0, r1, cols, dx.data,
                          dw.present ? pw.data() + blk * cols : nullptr, scratch.data());
    }
  });
  if (dw.present) ReducePartials(pw, blocks, cols, dw.data);
  return a.env().Undefined();
}

}  // namespace

void RegisterNorms(Napi::Env env, Napi::Object exports) {
  exports.Set("layerNorm", Napi::Function::New(env, LayerNorm, "layerNorm"));
  exports.Set("layerNormBackward", Napi::Function::New(env, LayerNormBackward, "layerNormBackward"));
  exports.Set("rmsNorm", Napi::Function::New(env, RmsNorm, "rmsNorm"));
  exports.Set("rmsNormBackward", Napi::Function::New(env, RmsNormBackward, "rmsNormBackward"));
}

}  // namespace irlens
