// Portable SIMD building blocks for the element-wise, norm, softmax, cross-entropy and
// optimizer kernels.
//
// The kernels use GCC vector extensions of a fixed 16-float width: one zmm register when a
// function is compiled for AVX-512, two ymm for AVX2, four xmm for the baseline, four NEON
// registers on aarch64 (Advanced SIMD is part of the aarch64 baseline, so there is one version
// there). On x86-64 hot functions are compiled for all three with IRLENS_CLONES and picked at
// load time by the CPU. Because the
// vector width and the operation sequence are the same in every clone (and -ffp-contract=off
// keeps the compiler from fusing multiply-adds), every clone computes bit-identical results.
//
// The math helpers are inline (always inlined into the calling clone, which gives them the
// clone's instruction set).
#pragma once
#pragma GCC diagnostic ignored "-Wpsabi"

#include <cmath>
#include <cstdint>
#include <cstring>

// target_clones is x86-specific (an aarch64 compiler rejects these targets) and needs ifunc, which
// macOS lacks; elsewhere the compiler's target flags decide, which on aarch64 always include NEON.
#if defined(IRLENS_NO_CLONES) || !defined(__x86_64__) || defined(__APPLE__)
#define IRLENS_CLONES
#else
#define IRLENS_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#endif
#define IRLENS_INLINE inline __attribute__((always_inline))

namespace irlens {
namespace vec {

constexpr int kWidth = 16;
typedef float F16 __attribute__((vector_size(64)));
typedef int32_t I16 __attribute__((vector_size(64)));
typedef uint32_t U16 __attribute__((vector_size(64)));
typedef float F8 __attribute__((vector_size(32)));
typedef double D8 __attribute__((vector_size(64)));

// The instruction set IRLENS_CLONES functions run with here (the clone the loader picks, by the
// same CPU checks in the same order), for `irlens doctor`.
inline const char* VectorSimdName() {
#if defined(__x86_64__) && !defined(IRLENS_NO_CLONES) && !defined(__APPLE__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f")) return "avx512";
  if (__builtin_cpu_supports("avx2")) return "avx2";
  return "sse2";
#elif defined(__aarch64__)
  return "neon";
#elif defined(__x86_64__)
  return "sse2";
#else
  return "generic";
#endif
}

IRLENS_INLINE F16 Splat(float v) { return F16{} + v; }
IRLENS_INLINE D8 SplatD(double v) { return D8{} + v; }

IRLENS_INLINE F16 Load(const float* p) {
  F16 v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
IRLENS_INLINE void Store(float* p, const F16& v) { std::memcpy(p, &v, sizeof v); }

// Loads n < 16 floats; the other lanes hold `fill`.
IRLENS_INLINE F16 LoadPartial(const float* p, int64_t n, float fill) {
  float tmp[kWidth];
  for (int i = 0; i < kWidth; ++i) tmp[i] = i < n ? p[i] : fill;
  return Load(tmp);
}
IRLENS_INLINE void StorePartial(float* p, const F16& v, int64_t n) {
  float tmp[kWidth];
  Store(tmp, v);
  for (int64_t i = 0; i < n; ++i) p[i] = tmp[i];
}

// Lane-wise max/min that keep the first operand when the comparison fails (as `a > b ? a : b`).
IRLENS_INLINE F16 Max(const F16& a, const F16& b) { return a > b ? a : b; }
IRLENS_INLINE F16 Min(const F16& a, const F16& b) { return a < b ? a : b; }
IRLENS_INLINE F16 Abs(const F16& a) { return a < Splat(0.f) ? -a : a; }

// Horizontal reductions in a fixed lane order.
IRLENS_INLINE float HMax(const F16& v) {
  float t[kWidth];
  Store(t, v);
  float m = t[0];
  for (int i = 1; i < kWidth; ++i) m = t[i] > m ? t[i] : m;
  return m;
}
IRLENS_INLINE double HSum(const D8& v) {
  double t[8];
  std::memcpy(t, &v, sizeof t);
  return ((t[0] + t[1]) + (t[2] + t[3])) + ((t[4] + t[5]) + (t[6] + t[7]));
}

// Widens 16 floats to two vectors of 8 doubles.
IRLENS_INLINE void Widen(const F16& v, D8& lo, D8& hi) {
  F8 a, b;
  std::memcpy(&a, &v, sizeof a);
  std::memcpy(&b, reinterpret_cast<const char*>(&v) + sizeof a, sizeof b);
  lo = __builtin_convertvector(a, D8);
  hi = __builtin_convertvector(b, D8);
}
// acc_lo/acc_hi += v (widened to double).
IRLENS_INLINE void AccumulateD(const F16& v, D8& acc_lo, D8& acc_hi) {
  D8 lo, hi;
  Widen(v, lo, hi);
  acc_lo += lo;
  acc_hi += hi;
}

// The core both exponentials share: splits xc = n·ln 2 + r (n rounded to an integer, r small)
// and returns the polynomial approximation of exp(r); the caller scales it by 2^n.
IRLENS_INLINE F16 ExpOfRemainder(const F16& xc, F16& n) {
  n = (xc * Splat(1.44269504088896341f) + Splat(12582912.f)) - Splat(12582912.f);
  F16 r = xc - n * Splat(0.693359375f);
  r = r - n * Splat(-2.12194440e-4f);
  F16 p = Splat(1.9875691500e-4f);
  p = p * r + Splat(1.3981999507e-3f);
  p = p * r + Splat(8.3334519073e-3f);
  p = p * r + Splat(4.1665795894e-2f);
  p = p * r + Splat(1.6666665459e-1f);
  p = p * r + Splat(5.0000001201e-1f);
  return p * (r * r) + r + Splat(1.f);
}

// exp(x), Cephes-style: range reduction by ln 2 and a degree-6 polynomial; max relative error
// about 1e-7 over the normal range. Underflows to 0 below -87.34 (no denormals); +inf above
// 88.72; NaN propagates.
IRLENS_INLINE F16 Exp(const F16& x) {
  const float lo = -87.3365478515625f, hi = 88.72283935546875f;
  F16 xc = Min(Max(x, Splat(lo)), Splat(hi));
  F16 n;
  F16 y = ExpOfRemainder(xc, n);
  I16 ni = __builtin_convertvector(n, I16);
  I16 n1 = ni >> 1;
  I16 n2 = ni - n1;
  U16 b1 = U16(n1 + 127) << 23, b2 = U16(n2 + 127) << 23;
  F16 s1, s2;
  std::memcpy(&s1, &b1, sizeof s1);
  std::memcpy(&s2, &b2, sizeof s2);
  y = y * s1 * s2;
  y = x < Splat(lo) ? Splat(0.f) : y;
  y = x > Splat(hi) ? Splat(INFINITY) : y;
  y = x != x ? x : y;
  return y;
}

// exp(x) for x ≤ 0 (or −∞ or NaN), as in a softmax after subtracting the row max: the same
// approximation as Exp without the overflow handling, with a single 2^n scaling (n ∈ [−126, 0]).
// NaN propagates; below −87.34 the result is 0.
IRLENS_INLINE F16 ExpNonPositive(const F16& x) {
  const float lo = -87.3365478515625f;
  F16 xc = Splat(lo) > x ? Splat(lo) : x;  // keeps NaN
  F16 n;
  F16 y = ExpOfRemainder(xc, n);
  U16 b = U16(__builtin_convertvector(n, I16) + 127) << 23;
  F16 scale;
  std::memcpy(&scale, &b, sizeof scale);
  y = y * scale;
  return x < Splat(lo) ? Splat(0.f) : y;
}

// 1 / (1 + exp(-x)).
IRLENS_INLINE F16 Sigmoid(const F16& x) { return Splat(1.f) / (Splat(1.f) + Exp(-x)); }

// exp(−x²/2 + extra), accurate for large |x| where rounding x² would cost relative accuracy:
// x = hi + lo with hi keeping the top 12 significant bits, so hi² is exact and
// exp(−x²/2 + extra) = exp(−hi²/2) · exp(extra − lo·(x + hi)/2).
IRLENS_INLINE F16 ExpNegHalfSquare(const F16& x, const F16& extra) {
  I16 bits;
  std::memcpy(&bits, &x, sizeof bits);
  bits &= I16{} + int32_t(0xFFFFF000u);
  F16 hi;
  std::memcpy(&hi, &bits, sizeof hi);
  const F16 lo = x - hi;
  return Exp(Splat(-0.5f) * (hi * hi)) * Exp(extra - Splat(0.5f) * (lo * (x + hi)));
}

// Φ(x), the standard normal CDF = 0.5·(1 + erf(x/√2)), with good relative accuracy in the lower
// tail: 0.5·erfc(|z|) by the Numerical Recipes erfcc fit (fractional error < 1.2e-7),
// erfc(z) = t·exp(−z² + P(t)), t = 1/(1 + z/2), for |z| ≥ 0.5, and the Taylor series of erf for
// |z| < 0.5. x is clamped to ±20, beyond which Φ rounds to 0 or 1.
IRLENS_INLINE F16 NormalCdf(const F16& x) {
  const F16 xc = Min(Max(x, Splat(-20.f)), Splat(20.f));
  const F16 z = xc * Splat(0.707106781186547524f);
  const F16 az = Abs(z);
  const F16 t = Splat(1.f) / (Splat(1.f) + Splat(0.5f) * az);
  F16 p = Splat(0.17087277f);
  p = p * t + Splat(-0.82215223f);
  p = p * t + Splat(1.48851587f);
  p = p * t + Splat(-1.13520398f);
  p = p * t + Splat(0.27886807f);
  p = p * t + Splat(-0.18628806f);
  p = p * t + Splat(0.09678418f);
  p = p * t + Splat(0.37409196f);
  p = p * t + Splat(1.00002368f);
  p = p * t + Splat(-1.26551223f);
  const F16 half_erfc = Splat(0.5f) * t * ExpNegHalfSquare(xc, p);  // −z² = −x²/2
  const F16 big = xc < Splat(0.f) ? half_erfc : Splat(1.f) - half_erfc;
  // erf(z) = 2/√π · (z − z³/3 + z⁵/10 − z⁷/42 + z⁹/216 − z¹¹/1320 + z¹³/9360)
  const F16 z2 = z * z;
  F16 s = Splat(1.f / 9360.f);
  s = Splat(-1.f / 1320.f) + z2 * s;
  s = Splat(1.f / 216.f) + z2 * s;
  s = Splat(-1.f / 42.f) + z2 * s;
  s = Splat(1.f / 10.f) + z2 * s;
  s = Splat(-1.f / 3.f) + z2 * s;
  s = Splat(1.f) + z2 * s;
  const F16 small = Splat(0.5f) + (Splat(0.564189583547756287f) * z) * s;
  return az < Splat(0.5f) ? small : big;
}

// The standard normal density φ(x) = exp(−x²/2)/√(2π).
IRLENS_INLINE F16 NormalPdf(const F16& x) {
  return ExpNegHalfSquare(x, Splat(0.f)) * Splat(0.398942280401432678f);
}

}  // namespace vec
}  // namespace irlens
