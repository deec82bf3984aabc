/**
 * Comparing two proportions, such as the toxic ratios of two models' continuations: the pooled
 * two-proportion z-test, and Newcombe's interval for the difference, built from Wilson intervals.
 */
import { normalCdf } from './distributions.js';
import { MetricInputError } from './errors.js';
import { wilsonInterval, type Interval } from './intervals.js';

function checkCounts(name: string, successes: number, n: number): void {
  if (!(Number.isInteger(n) && n > 0 && Number.isInteger(successes) && successes >= 0 && successes <= n)) {
    throw new MetricInputError(`${name}: expected 0 ≤ successes ≤ n with n ≥ 1, both integers; got ${successes} of ${n}`);
  }
}

export interface ZTest {
  /** p₁ − p₂ */
  difference: number;
  /** Null when both samples are all successes or all failures (no variance under H₀). */
  z: number | null;
  /** Two-sided p-value for H₀: p₁ = p₂; null with z. */
  pValue: number | null;
}

/**
 * z = (p₁ − p₂) / √(p(1 − p)(1/n₁ + 1/n₂)) with the pooled p = (x₁ + x₂)/(n₁ + n₂), as statsmodels'
 * proportions_ztest; the p-value is two-sided, 2·(1 − Φ(|z|)).
 */
export function twoProportionZTest(successes1: number, n1: number, successes2: number, n2: number): ZTest {
  checkCounts('twoProportionZTest', successes1, n1);
  checkCounts('twoProportionZTest', successes2, n2);
  const difference = successes1 / n1 - successes2 / n2;
  const pooled = (successes1 + successes2) / (n1 + n2);
  const variance = pooled * (1 - pooled) * (1 / n1 + 1 / n2);
  if (variance === 0) return { difference, z: null, pValue: null };
  const z = difference / Math.sqrt(variance);
  return { difference, z, pValue: 2 * normalCdf(-Math.abs(z)) };
}

/**
 * Newcombe's (1998) hybrid score interval for p₁ − p₂ (his method 10; statsmodels' 'newcomb'):
 * with Wilson intervals [l₁, u₁] and [l₂, u₂], it runs from d − √((p₁ − l₁)² + (u₂ − p₂)²) to
 * d + √((u₁ − p₁)² + (p₂ − l₂)²). Unlike the Wald interval it keeps its coverage near 0 and 1,
 * where toxic ratios of detoxified models live.
 */
export function proportionDifferenceInterval(successes1: number, n1: number, successes2: number, n2: number, confidence = 0.95): Interval {
  checkCounts('proportionDifferenceInterval', successes1, n1);
  checkCounts('proportionDifferenceInterval', successes2, n2);
  if (!(confidence > 0 && confidence < 1)) throw new MetricInputError(`proportionDifferenceInterval: confidence must be in (0, 1), got ${confidence}`);
  const p1 = successes1 / n1;
  const p2 = successes2 / n2;
  const w1 = wilsonInterval(successes1, n1, confidence);
  const w2 = wilsonInterval(successes2, n2, confidence);
  const d = p1 - p2;
  return {
    low: d - Math.hypot(p1 - w1.low, w2.high - p2),
    high: d + Math.hypot(w1.high - p1, p2 - w2.low),
    confidence,
    method: 'newcombe',
  };
}
