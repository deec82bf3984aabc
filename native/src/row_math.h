// Row reductions accumulated in double, in a fixed lane order (4 × 8 double lanes, then a
// fixed pairwise sum), shared by the norm, softmax and cross-entropy kernels. Inline: each
// kernel's IRLENS_CLONES functions compile them for their instruction set.
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

}  // namespace vec
}  // namespace irlens
