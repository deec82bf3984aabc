// Row reductions accumulated in double, in a fixed lane order (4 × 8 double lanes, then a
// fixed pairwise sum), shared by the norm, softmax, cross-entropy and categorical kernels.
// Inline: each kernel's IRLENS_CLONES functions compile them for their instruction set.
#pragma once
#include "vec_math.h"

namespace irlens {
namespace vec {

// Σ f(x[i]) in double, where f maps a float vector to a float vector (applied to whole
// 16-lane vectors; the tail's padding lanes are loaded as `fill` and must map to 0).
template <typename F>
IRLENS_INLINE double RowSumMapped(const float* x, int64_t n, float fill, const F& f) {
  D8 a0 = SplatD(0), a1 = SplatD(0), a2 = SplatD(0), a3 = SplatD(0);
  int64_t i = 0;
  for (; i + 2 * kWidth <= n; i += 2 * kWidth) {
    AccumulateD(f(Load(x + i)), a0, a1);
    AccumulateD(f(Load(x + i + kWidth)), a2, a3);
  }
  for (; i + kWidth <= n; i += kWidth) AccumulateD(f(Load(x + i)), a0, a1);
  if (i < n) AccumulateD(f(LoadPartial(x + i, n - i, fill)), a2, a3);
  return HSum((a0 + a1) + (a2 + a3));
}

// exp(x − m) for a row whose maximum is m: the numerators of a softmax.
struct ExpShift {
  F16 m;
  IRLENS_INLINE F16 operator()(const F16& v) const { return ExpNonPositive(v - m); }
};

// Writes out[i] = exp(x[i] − m) for a row whose maximum is m and returns Σ out in double, in the
// same order as RowSumMapped, so the numerators and their sum take one pass (out may be x).
IRLENS_INLINE double RowStoreExpShifted(const float* x, float* out, int64_t n, float m) {
  const ExpShift f{Splat(m)};
  D8 a0 = SplatD(0), a1 = SplatD(0), a2 = SplatD(0), a3 = SplatD(0);
  int64_t i = 0;
  for (; i + 2 * kWidth <= n; i += 2 * kWidth) {
    const F16 e0 = f(Load(x + i)), e1 = f(Load(x + i + kWidth));
    Store(out + i, e0);
    Store(out + i + kWidth, e1);
    AccumulateD(e0, a0, a1);
    AccumulateD(e1, a2, a3);
  }
  for (; i + kWidth <= n; i += kWidth) {
    const F16 e = f(Load(x + i));
    Store(out + i, e);
    AccumulateD(e, a0, a1);
  }
  if (i < n) {
    const F16 e = f(LoadPartial(x + i, n - i, -INFINITY));
    StorePartial(out + i, e, n - i);
    AccumulateD(e, a2, a3);
  }
  return HSum((a0 + a1) + (a2 + a3));
}

// e = exp(v − m) added to (s0, s1) and e·(v − m) to (w0, w1); a lane whose e is 0 adds 0 to the
// second pair, so −∞ logits give 0 rather than 0·(−∞).
IRLENS_INLINE void AccumulateExpMoments(const F16& v, const F16& m, D8& s0, D8& s1, D8& w0, D8& w1) {
  const F16 shifted = v - m;
  const F16 e = ExpNonPositive(shifted);
  AccumulateD(e, s0, s1);
  AccumulateD(e > Splat(0.f) ? e * shifted : Splat(0.f), w0, w1);
}

// For a row whose maximum is m, sets sum = Σ exp(x − m) and weighted = Σ exp(x − m)·(x − m) in
// double, in one pass: with them the entropy of the row's softmax is log(sum) − weighted/sum.
IRLENS_INLINE void RowExpMoments(const float* x, int64_t n, float m, double* sum, double* weighted) {
  const F16 mv = Splat(m);
  D8 s0 = SplatD(0), s1 = SplatD(0), s2 = SplatD(0), s3 = SplatD(0);
  D8 w0 = SplatD(0), w1 = SplatD(0), w2 = SplatD(0), w3 = SplatD(0);
  int64_t i = 0;
  for (; i + 2 * kWidth <= n; i += 2 * kWidth) {
    AccumulateExpMoments(Load(x + i), mv, s0, s1, w0, w1);
    AccumulateExpMoments(Load(x + i + kWidth), mv, s2, s3, w2, w3);
  }
  for (; i + kWidth <= n; i += kWidth) AccumulateExpMoments(Load(x + i), mv, s0, s1, w0, w1);
  if (i < n) AccumulateExpMoments(LoadPartial(x + i, n - i, -INFINITY), mv, s2, s3, w2, w3);
  *sum = HSum((s0 + s1) + (s2 + s3));
  *weighted = HSum((w0 + w1) + (w2 + w3));
}

struct Identity {
  IRLENS_INLINE F16 operator()(const F16& v) const { return v; }
};

IRLENS_INLINE double RowSum(const float* x, int64_t n) { return RowSumMapped(x, n, 0.f, Identity()); }

// Σ (x[i] − c)² in double (the difference and square in double).
IRLENS_INLINE double RowSumSquaredDeviation(const float* x, int64_t n, double c) {
  D8 a0 = SplatD(0), a1 = SplatD(0);
  const D8 cv = SplatD(c);
  int64_t i = 0;
  for (; i + kWidth <= n; i += kWidth) {
    D8 l, h;
    Widen(Load(x + i), l, h);
    l -= cv;
    h -= cv;
    a0 += l * l;
    a1 += h * h;
  }
  if (i < n) {
    D8 l, h;
    Widen(LoadPartial(x + i, n - i, 0.f), l, h);
    l -= cv;
    h -= cv;
    // Zero the padding lanes.
    double t[16];
    std::memcpy(t, &l, 64);
    std::memcpy(t + 8, &h, 64);
    for (int64_t j = n - i; j < 16; ++j) t[j] = 0;
    std::memcpy(&l, t, 64);
    std::memcpy(&h, t + 8, 64);
    a0 += l * l;
    a1 += h * h;
  }
  return HSum(a0 + a1);
}

// Σ a[i]·b[i] with each product in double.
IRLENS_INLINE double RowDot(const float* a, const float* b, int64_t n) {
  D8 a0 = SplatD(0), a1 = SplatD(0);
  int64_t i = 0;
  for (; i + kWidth <= n; i += kWidth) {
    D8 al, ah, bl, bh;
    Widen(Load(a + i), al, ah);
    Widen(Load(b + i), bl, bh);
    a0 += al * bl;
    a1 += ah * bh;
  }
  if (i < n) {
    D8 al, ah, bl, bh;
    Widen(LoadPartial(a + i, n - i, 0.f), al, ah);
    Widen(LoadPartial(b + i, n - i, 0.f), bl, bh);
    a0 += al * bl;
    a1 += ah * bh;
  }
  return HSum(a0 + a1);
}

// max over a row (at least one element).
IRLENS_INLINE float RowMax(const float* x, int64_t n) {
  F16 m = Splat(-INFINITY);
  int64_t i = 0;
  for (; i + kWidth <= n; i += kWidth) m = Max(Load(x + i), m);
  if (i < n) m = Max(LoadPartial(x + i, n - i, -INFINITY), m);
  return HMax(m);
}

// The shift of a row's log-softmax, written (x − max) − log_sum in float (softmax.cc): shared so
// that a kernel reporting one log-probability (token_choice.cc) matches log-softmax bit for bit.
struct LogSoftmaxShift {
  float max, log_sum;
};
IRLENS_INLINE LogSoftmaxShift RowLogSoftmaxShift(const float* x, int64_t n) {
  const float m = RowMax(x, n);
  const double s = RowSumMapped(x, n, -INFINITY, ExpShift{Splat(m)});
  return {m, float(std::log(s))};
}

}  // namespace vec
}  // namespace irlens
