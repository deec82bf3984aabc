/**
 * The few distribution functions the intervals and tests need: the standard normal's CDF and
 * quantile, and Student's t quantile, accurate to about 1e-14 — through the regularised
 * incomplete gamma and beta functions, evaluated by their series and continued fractions.
 */
import { MetricInputError } from './errors.js';

const LANCZOS = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];

/** ln Γ(x) for x > 0 (Lanczos, g = 7). */
function logGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x); // reflection
  x -= 1;
  let sum = LANCZOS[0]!;
  for (let k = 1; k < LANCZOS.length; k++) sum += LANCZOS[k]! / (x + k);
  const t = x + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(sum);
}

const EPSILON = 1e-16;
const TINY = 1e-300;
const MAX_TERMS = 10_000;

/** Evaluates b0 + a1/(b1 + a2/(b2 + …)) by the modified Lentz method; term(k) gives [a_k, b_k]. */
function continuedFraction(b0: number, term: (k: number) => [number, number]): number {
  let f = b0 === 0 ? TINY : b0;
  let c = f;
  let d = 0;
  for (let k = 1; k <= MAX_TERMS; k++) {
    const [a, b] = term(k);
    d = b + a * d;
    d = 1 / (d === 0 ? TINY : d);
    c = b + a / c;
    if (c === 0) c = TINY;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < EPSILON) return f;
  }
  return f;
}

/** Q(a, x) = Γ(a, x)/Γ(a), the regularised upper incomplete gamma function, for a > 0, x ≥ 0. */
function upperIncompleteGamma(a: number, x: number): number {
  if (x === 0) return 1;
  const front = Math.exp(a * Math.log(x) - x - logGamma(a));
  if (x < a + 1) {
    // P(a, x) = x^a e^−x / Γ(a+1) · Σ x^k / ((a+1)…(a+k))
    let term = 1 / a;
    let sum = term;
    for (let k = 1; k <= MAX_TERMS && Math.abs(term) > Math.abs(sum) * EPSILON; k++) {
      term *= x / (a + k);
      sum += term;
    }
    return 1 - front * sum;
  }
  // Q(a, x) = x^a e^−x / Γ(a) · 1/(x+1−a − 1(1−a)/(x+3−a − 2(2−a)/(x+5−a − …)))
  return front / continuedFraction(x + 1 - a, (k) => [-k * (k - a), x + 2 * k + 1 - a]);
}

/** I_x(a, b), the regularised incomplete beta function, for a, b > 0 and 0 ≤ x ≤ 1. */
function incompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  // The continued fraction converges fast below (a+1)/(a+b+2); above, use I_x(a,b) = 1 − I_{1−x}(b,a).
  if (x > (a + 1) / (a + b + 2)) return 1 - incompleteBeta(1 - x, b, a);
  const front = Math.exp(a * Math.log(x) + b * Math.log1p(-x) + logGamma(a + b) - logGamma(a) - logGamma(b)) / a;
  const fraction = continuedFraction(1, (k) => {
    const m = Math.floor(k / 2);
    const numerator = k % 2 === 0 ? (m * (b - m) * x) / ((a + 2 * m - 1) * (a + 2 * m)) : (-(a + m) * (a + b + m) * x) / ((a + 2 * m) * (a + 2 * m + 1));
    return [numerator, 1];
  });
  return front / fraction;
}

/** Φ(z), the standard normal CDF: ½ erfc(−z/√2), with erfc(u) = Q(½, u²) for u ≥ 0. */
export function normalCdf(z: number): number {
  const tail = 0.5 * upperIncompleteGamma(0.5, (z * z) / 2); // P(Z > |z|)
  return z < 0 ? tail : 1 - tail;
}

function checkProbability(name: string, p: number): void {
  if (!(p > 0 && p < 1)) throw new MetricInputError(`${name}: p must be in (0, 1), got ${p}`);
}

/**
 * Φ⁻¹(p): Acklam's rational approximation (relative error 1.15e-9), then one Halley step on the
 * exact CDF, which brings it to double precision. Upper quantiles come from the lower tail by
 * symmetry, where Φ − p does not cancel.
 */
export function normalQuantile(p: number): number {
  checkProbability('normalQuantile', p);
  if (p > 0.5) return -normalQuantile(1 - p);
  const x = acklam(p);
  const e = normalCdf(x) - p;
  const u = e * Math.sqrt(2 * Math.PI) * Math.exp((x * x) / 2);
  return x - u / (1 + (x * u) / 2);
}

/** Acklam's approximation for p ≤ 0.5: a rational function in the centre, another in the tail. */
function acklam(p: number): number {
  const a = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const low = 0.02425;
  if (p < low) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  }
  const q = p - 0.5;
  const r = q * q;
  return ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) / (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1);
}

/** P(T > t) for t ≥ 0 under Student's t with ν degrees of freedom: ½ I_{ν/(ν+t²)}(ν/2, ½). */
function studentTTail(t: number, df: number): number {
  return 0.5 * incompleteBeta(df / (df + t * t), df / 2, 0.5);
}

/**
 * The p-quantile of Student's t with `df` > 0 degrees of freedom. Newton's method on the upper
 * tail from t = 0: the CDF is concave for t > 0, so every step lands short of the root and the
 * iteration climbs to it without overshooting.
 */
export function studentTQuantile(p: number, df: number): number {
  checkProbability('studentTQuantile', p);
  if (!(df > 0)) throw new MetricInputError(`studentTQuantile: the degrees of freedom must be positive, got ${df}`);
  if (p < 0.5) return -studentTQuantile(1 - p, df);
  const tail = 1 - p;
  const logDensityScale = logGamma((df + 1) / 2) - logGamma(df / 2) - 0.5 * Math.log(df * Math.PI);
  let t = 0;
  for (let step = 0; step < 1000; step++) {
    const density = Math.exp(logDensityScale - ((df + 1) / 2) * Math.log1p((t * t) / df));
    const next = t + (studentTTail(t, df) - tail) / density;
    if (!(next > t) || next - t <= 1e-15 * next) return Math.max(t, next);
    t = next;
  }
  return t;
}
