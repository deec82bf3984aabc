/**
 * A metric's spread over seeds: the reward is not identifiable, so every figure irlens reports is
 * a distribution over training seeds, summarised here with a t-interval for its mean.
 */
import { studentTQuantile } from './distributions.js';
import { checkVectors, mean, type Vector } from './input.js';
import type { Interval } from './intervals.js';

export interface SeedSummary {
  n: number;
  mean: number | null;
  /** The sample standard deviation (n − 1 in the denominator); null for fewer than two seeds. */
  sd: number | null;
  min: number | null;
  max: number | null;
  /** mean ± t₀.₉₇₅,ₙ₋₁ · sd/√n, cut to the figure's range when given; null for fewer than two seeds (one seed says nothing of the spread). */
  ci95: Interval | null;
}

/** The range of a share or a probability, for summariseSeeds. */
export const SHARE: readonly [number, number] = [0, 1];
/** The range of a figure that cannot be negative (a KL, a length, a distance). */
export const NON_NEGATIVE: readonly [number, number] = [0, Infinity];

/**
 * Summarises one value per seed. With no values everything but n is null; with one, sd and ci95.
 * `range` is what the figure can take (an AUROC's [0, 1]): the t-interval of a few seeds can
 * overrun it, and is cut to it.
 */
export function summariseSeeds(values: Vector, range: readonly [number, number] = [-Infinity, Infinity]): SeedSummary {
  const n = values.length;
  if (n === 0) return { n, mean: null, sd: null, min: null, max: null, ci95: null };
  checkVectors('summariseSeeds', { values });
  const m = mean(values);
  let min = Infinity;
  let max = -Infinity;
  let squares = 0;
  for (let i = 0; i < n; i++) {
    min = Math.min(min, values[i]!);
    max = Math.max(max, values[i]!);
    squares += (values[i]! - m) ** 2;
  }
  if (n === 1) return { n, mean: m, sd: null, min, max, ci95: null };
  const sd = Math.sqrt(squares / (n - 1));
  const half = (studentTQuantile(0.975, n - 1) * sd) / Math.sqrt(n);
  return { n, mean: m, sd, min, max, ci95: { low: Math.max(range[0], m - half), high: Math.min(range[1], m + half), confidence: 0.95, method: 't' } };
}
