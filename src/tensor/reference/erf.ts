/**
 * The error function, which JavaScript lacks, to double precision (about 1e-15 relative).
 *
 * Two classical expansions (Abramowitz & Stegun, Handbook of Mathematical Functions):
 * - 7.1.6, for |x| < 3: erf(x) = 2/√π · e^(-x²) · Σₙ 2ⁿ x^(2n+1) / (1·3·5···(2n+1)).
 *   Every term is positive, so there is no cancellation.
 * - 7.1.14, for x ≥ 3: erfc(x) = e^(-x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + 2/(x + ...))))),
 *   evaluated from the tail with a fixed depth. It gives erfc to full relative precision where
 *   1 − erf(x) would cancel, which keeps GELU accurate for large negative inputs.
 */

const TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);
const ONE_OVER_SQRT_PI = 1 / Math.sqrt(Math.PI);
const SERIES_LIMIT = 3;
/** Enough continued-fraction terms to converge to double precision for every x ≥ 3. */
const CONTINUED_FRACTION_DEPTH = 80;

/** erf(x) by A&S 7.1.6; only used for |x| < SERIES_LIMIT, where it converges in < 80 terms. */
function erfSeries(x: number): number {
  const twoXSquared = 2 * x * x;
  let term = x;
  let sum = x;
  for (let n = 1; Math.abs(term) > 1e-17 * Math.abs(sum); n++) {
    term *= twoXSquared / (2 * n + 1);
    sum += term;
  }
  return TWO_OVER_SQRT_PI * Math.exp(-x * x) * sum;
}

/** erfc(x) for x ≥ SERIES_LIMIT by the continued fraction A&S 7.1.14. */
function erfcContinuedFraction(x: number): number {
  let tail = x;
  for (let k = CONTINUED_FRACTION_DEPTH; k >= 1; k--) tail = x + k / 2 / tail;
  return (ONE_OVER_SQRT_PI * Math.exp(-x * x)) / tail;
}

export function erf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (Math.abs(x) < SERIES_LIMIT) return erfSeries(x);
  const tail = erfcContinuedFraction(Math.abs(x));
  return x > 0 ? 1 - tail : tail - 1;
}

/** erfc(x) = 1 − erf(x), accurate in relative terms for large positive x too. */
export function erfc(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x >= SERIES_LIMIT) return erfcContinuedFraction(x);
  if (x <= -SERIES_LIMIT) return 2 - erfcContinuedFraction(-x);
  return 1 - erfSeries(x);
}

/** Φ(x), the standard normal cumulative distribution function. */
export function normalCdf(x: number): number {
  return 0.5 * erfc(-x / Math.SQRT2);
}

/** φ(x), the standard normal density. */
export function normalPdf(x: number): number {
  return Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI);
}
