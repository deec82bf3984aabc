// Fused scaled-dot-product attention (causal and key-padding masks, grouped-query attention)
// forward and backward, and the rotary position embedding.
//
// Attention works per (batch, head) on [tq, tk] score matrices with the serial GEMM, in
// parallel across (batch, head). The backward first computes dScores and dq per query head, then
// dk and dv per key/value head by summing over the query heads of its group in head order, so
// the result never depends on the thread count.
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "gemm.h"
#include "kernels.h"
#include "napi_args.h"
#include "parallel_util.h"
#include "row_math.h"
#include "thread_pool.h"

namespace irlens {
namespace {

using namespace vec;

struct AttentionShape {
  int64_t batch, heads, kv_heads, tq, tk, dim;
  double scale;
  bool causal;
};

// Reads (batch, heads, kvHeads, tq, tk, headDim, scale, causal) starting at argument i.
AttentionShape ReadShape(Args& a, size_t i) {
  AttentionShape s;
  s.batch = a.Integer(i, "batch");
  s.heads = a.Integer(i + 1, "heads");
  s.kv_heads = a.Integer(i + 2, "kvHeads", 1);
  s.tq = a.Integer(i + 3, "tq");
  s.tk = a.Integer(i + 4, "tk");
  s.dim = a.Integer(i + 5, "headDim");
  s.scale = a.Number(i + 6, "scale");
  s.causal = a.Bool(i + 7, "causal");
  if (a.ok() && s.heads % s.kv_heads != 0)
    a.Fail("heads (" + std::to_string(s.heads) + ") must be a multiple of kvHeads (" + std::to_string(s.kv_heads) + ")");
  if (a.ok() && (CheckedProduct({s.batch, s.heads, s.tq, s.tk}) < 0 || CheckedProduct({s.batch, s.heads, s.tq, s.dim}) < 0 ||
                 CheckedProduct({s.batch, s.kv_heads, s.tk, s.dim}) < 0))
    a.Fail("shape too large");
  return s;
}

// Masks, scales and softmaxes one score row in place: p[j] = scale·p[j] for visible keys
// (j ≤ limit and mask[j] ≠ 0), then softmax over them; hidden keys get 0; no visible key → all 0.
IRLENS_CLONES void MaskedSoftmaxRow(float* p, int64_t tk, int64_t limit, const float* mask, float scale) {
  const float ninf = -INFINITY;
  if (mask) {
    for (int64_t j = 0; j < tk; ++j) p[j] = (j <= limit && mask[j] != 0.f) ? p[j] * scale : ninf;
  } else {
    for (int64_t j = 0; j < tk; ++j) p[j] = j <= limit ? p[j] * scale : ninf;
  }
  const float m = RowMax(p, tk);
  if (m == ninf) {
    for (int64_t j = 0; j < tk; ++j) p[j] = 0.f;
    return;
  }
  const float s = float(RowStoreExpShifted(p, p, tk, m));
  for (int64_t k = 0; k < tk; ++k) p[k] = p[k] / s;
}

// dS = P ⊙ (dP − Σ_j P·dP) · scale for one row, in place over dP.
IRLENS_CLONES void SoftmaxGradRow(const float* p, float* dp, int64_t tk, float scale) {
  const float dot = float(RowDot(p, dp, tk));
  for (int64_t j = 0; j < tk; ++j) dp[j] = (p[j] * (dp[j] - dot)) * scale;
}

Napi::Value Attention(const Napi::CallbackInfo& info) {
  // (q, k, v, keyMask|null, batch, heads, kvHeads, tq, tk, headDim, scale, causal, out, probs)
  Args a(info, "attention", 14);
  FloatView q = a.Floats(0, "q"), k = a.Floats(1, "k"), v = a.Floats(2, "v"), mask = a.Floats(3, "keyMask", true);
  AttentionShape s = ReadShape(a, 4);
  FloatView out = a.Floats(12, "out"), probs = a.Floats(13, "probs");
  if (!a.ok()) return a.env().Undefined();
  const int64_t B = s.batch, H = s.heads, KV = s.kv_heads, TQ = s.tq, TK = s.tk, D = s.dim;
  a.Need(q, B * H * TQ * D, "q");
  a.Need(k, B * KV * TK * D, "k");
  a.Need(v, B * KV * TK * D, "v");
  a.Need(mask, B * TK, "keyMask");
  a.Need(out, B * H * TQ * D, "out");
  a.Need(probs, B * H * TQ * TK, "probs");
  if (!a.ok() || B * H * TQ == 0) return a.env().Undefined();
  const int64_t group = H / KV;
  const float scale = float(s.scale);
  ParallelFor(B * H, 1, [&](int64_t t0, int64_t t1) {
    for (int64_t bh = t0; bh < t1; ++bh) {
      const int64_t b = bh / H, h = bh % H, kvh = h / group;
      const float* qh = q.data + bh * TQ * D;
      const float* kh = k.data + (b * KV + kvh) * TK * D;
      const float* vh = v.data + (b * KV + kvh) * TK * D;
      float* p = probs.data + bh * TQ * TK;
      float* o = out.data + bh * TQ * D;
      if (TK == 0 || D == 0) {
        std::fill(p, p + TQ * TK, 0.f);
        std::fill(o, o + TQ * D, 0.f);
        if (TK == 0) continue;
      } else {
        SgemmSerial(GemmShape{TQ, TK, D, false, true, false}, qh, kh, p);
      }
      const float* mrow = mask.present ? mask.data + b * TK : nullptr;
      for (int64_t i = 0; i < TQ; ++i) {
        const int64_t limit = s.causal ? TK - TQ + i : TK - 1;
        MaskedSoftmaxRow(p + i * TK, TK, limit, mrow, scale);
      }
      if (D > 0) SgemmSerial(GemmShape{TQ, D, TK, false, false, false}, p, vh, o);
    }
  });
  return a.env().Undefined();
}

Napi::Value AttentionBackward(const Napi::CallbackInfo& info) {
  // (q, k, v, probs, dOut, batch, heads, kvHeads, tq, tk, headDim, scale, causal, dq, dk, dv)
  Args a(info, "attentionBackward", 16);
  FloatView q = a.Floats(0, "q"), k = a.Floats(1, "k"), v = a.Floats(2, "v"), probs = a.Floats(3, "probs"),
            dout = a.Floats(4, "dOut");
  AttentionShape s = ReadShape(a, 5);
  FloatView dq = a.Floats(13, "dq"), dk = a.Floats(14, "dk"), dv = a.Floats(15, "dv");
  if (!a.ok()) return a.env().Undefined();
  const int64_t B = s.batch, H = s.heads, KV = s.kv_heads, TQ = s.tq, TK = s.tk, D = s.dim;
  a.Need(q, B * H * TQ * D, "q");
  a.Need(k, B * KV * TK * D, "k");
  a.Need(v, B * KV * TK * D, "v");
  a.Need(probs, B * H * TQ * TK, "probs");
  a.Need(dout, B * H * TQ * D, "dOut");
  a.Need(dq, B * H * TQ * D, "dq");
  a.Need(dk, B * KV * TK * D, "dk");
  a.Need(dv, B * KV * TK * D, "dv");
  if (!a.ok()) return a.env().Undefined();
  if (D == 0) return a.env().Undefined();
  if (TQ == 0 || TK == 0 || H == 0) {
    std::fill(dq.data, dq.data + B * H * TQ * D, 0.f);
    std::fill(dk.data, dk.data + B * KV * TK * D, 0.f);
    std::fill(dv.data, dv.data + B * KV * TK * D, 0.f);
    return a.env().Undefined();
  }
  const int64_t group = H / KV;
  const float scale = float(s.scale);
  std::vector<float> ds(static_cast<size_t>(B * H * TQ * TK));
  // dScores and dq per query head.
  ParallelFor(B * H, 1, [&](int64_t t0, int64_t t1) {
    for (int64_t bh = t0; bh < t1; ++bh) {
      const int64_t b = bh / H, h = bh % H, kvh = h / group;
      const float* kh = k.data + (b * KV + kvh) * TK * D;
      const float* vh = v.data + (b * KV + kvh) * TK * D;
      const float* p = probs.data + bh * TQ * TK;
      float* dsh = ds.data() + bh * TQ * TK;
      SgemmSerial(GemmShape{TQ, TK, D, false, true, false}, dout.data + bh * TQ * D, vh, dsh);  // dP = dOut·vᵀ
      for (int64_t i = 0; i < TQ; ++i) SoftmaxGradRow(p + i * TK, dsh + i * TK, TK, scale);
      SgemmSerial(GemmShape{TQ, D, TK, false, false, false}, dsh, kh, dq.data + bh * TQ * D);  // dq = dS·k
    }
  });
  // dk, dv per key/value head: sums over the group's query heads in head order.
  ParallelFor(B * KV, 1, [&](int64_t t0, int64_t t1) {
    for (int64_t bk = t0; bk < t1; ++bk) {
      const int64_t b = bk / KV, kvh = bk % KV;
      float* dkh = dk.data + bk * TK * D;
      float* dvh = dv.data + bk * TK * D;
      for (int64_t g = 0; g < group; ++g) {
        const int64_t bh = b * H + kvh * group + g;
        const bool acc = g > 0;
        SgemmSerial(GemmShape{TK, D, TQ, true, false, acc}, ds.data() + bh * TQ * TK, q.data + bh * TQ * D, dkh);
        SgemmSerial(GemmShape{TK, D, TQ, true, false, acc}, probs.data + bh * TQ * TK, dout.data + bh * TQ * D, dvh);
      }
    }
  });
  return a.env().Undefined();
}

// ---------------------------------------------------------------------------------------------
// Rotary position embedding (rotate-half form)

IRLENS_CLONES void RopeRow(const float* x, float* out, const double* cs, const double* sn, int64_t half,
                           int64_t rd, int64_t dim, bool inverse) {
  const double sign = inverse ? -1.0 : 1.0;
  for (int64_t j = 0; j < half; ++j) {
    const double x1 = x[j], x2 = x[j + half];
    const double c = cs[j], s = sign * sn[j];
    out[j] = float(x1 * c - x2 * s);
    out[j + half] = float(x2 * c + x1 * s);
  }
  if (out != x)
    for (int64_t j = rd; j < dim; ++j) out[j] = x[j];
}

Napi::Value Rope(const Napi::CallbackInfo& info) {
  // (x, positions, batch, heads, t, headDim, rotaryDims, base, out, inverse)
  Args a(info, "rope", 10);
  FloatView x = a.Floats(0, "x");
  IntView pos = a.Ints(1, "positions");
  int64_t B = a.Integer(2, "batch"), H = a.Integer(3, "heads"), T = a.Integer(4, "t"), D = a.Integer(5, "headDim"),
          rd = a.Integer(6, "rotaryDims");
  double base = a.Number(7, "base");
  FloatView out = a.Floats(8, "out");
  bool inverse = a.Bool(9, "inverse");
  if (a.ok() && (rd % 2 != 0 || rd > D))
    a.Fail("rotaryDims (" + std::to_string(rd) + ") must be even and at most headDim (" + std::to_string(D) + ")");
  const int64_t n = CheckedProduct({B, H, T, D});
  if (a.ok() && n < 0) a.Fail("shape too large");
  a.Need(x, n, "x");
  a.Need(out, n, "out");
  a.Need(pos, B * T, "positions");
  if (!a.ok() || n == 0) return a.env().Undefined();
  const int64_t half = rd / 2;
  std::vector<double> freq(static_cast<size_t>(half)), cs(static_cast<size_t>(B * T * half)), sn(static_cast<size_t>(B * T * half));
  for (int64_t j = 0; j < half; ++j) freq[size_t(j)] = std::pow(base, -2.0 * double(j) / double(rd));
  ForRows(B * T, half * 16, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const double p = pos.data[r];
      for (int64_t j = 0; j < half; ++j) {
        const double angle = p * freq[size_t(j)];
        cs[size_t(r * half + j)] = std::cos(angle);
        sn[size_t(r * half + j)] = std::sin(angle);
      }
    }
  });
  ForRows(B * H * T, D, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const int64_t b = r / (H * T), t = r % T;
      const int64_t row = (b * T + t) * half;
      RopeRow(x.data + r * D, out.data + r * D, cs.data() + row, sn.data() + row, half, rd, D, inverse);
    }
  });
  return a.env().Undefined();
}

}  // namespace

void RegisterAttention(Napi::Env env, Napi::Object exports) {
  exports.Set("attention", Napi::Function::New(env, Attention, "attention"));
  exports.Set("attentionBackward", Napi::Function::New(env, AttentionBackward, "attentionBackward"));
  exports.Set("rope", Napi::Function::New(env, Rope, "rope"));
}

}  // namespace irlens
