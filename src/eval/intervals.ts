/**
 * Confidence intervals: Wilson's for a proportion, and percentile bootstrap intervals for any
 * statistic of one sample or of two paired vectors (a metric of r against g resamples texts,
 * keeping each text's two values together). Seeded, so a report's intervals are reproducible.
 */
// The project's one generator, so a seed means the same stream here as in training.
import { Rng } from '../nn/rng.js';
import { MetricInputError } from './errors.js';
import { checkVectors, mean, type Vector } from './input.js';
import { normalQuantile } from './distributions.js';

export interface Interval {
  low: number;
  high: number;
  confidence: number;
  method: string;
}

/** Wilson's score interval for a proportion of `successes` in `n` trials; [0, 1] when n = 0. */
export function wilsonInterval(successes: number, n: number, confidence = 0.95): Interval {
  if (n === 0) return { low: 0, high: 1, confidence, method: 'wilson' };
  const z = normalQuantile(1 - (1 - confidence) / 2);
  const p = successes / n;
  const denominator = 1 + (z * z) / n;
  const centre = (p + (z * z) / (2 * n)) / denominator;
  const half = (z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n))) / denominator;
  return { low: Math.max(0, centre - half), high: Math.min(1, centre + half), confidence, method: 'wilson' };
}

export interface BootstrapOptions {
  /** A seed, or a generator to draw from (successive intervals then continue its stream). */
  seed: number | string | Rng;
  /** How many resamples; default 1000. */
  resamples?: number;
  /** Default 0.95. */
  confidence?: number;
}

export interface BootstrapInterval extends Interval {
  /** The statistic on the sample itself. */
  estimate: number;
  /** Resamples on which the statistic was undefined (null, e.g. AUROC with one class): left out. */
  undefinedResamples: number;
}

/**
 * Percentile bootstrap: the statistic on `resamples` samples drawn with replacement, the interval
 * its (1 − confidence)/2 and (1 + confidence)/2 quantiles, interpolated linearly between order
 * statistics (NumPy's default percentile). Null when the statistic is undefined on the sample, or
 * on every resample. The statistic is handed the same buffers each time: it must not keep them.
 */
export function bootstrapInterval(statistic: (sample: Float64Array) => number | null, sample: Vector, options: BootstrapOptions): BootstrapInterval | null {
  checkVectors('bootstrapInterval', { sample });
  return vectorsInterval((vectors) => statistic(vectors[0]!), [sample], options);
}

/**
 * The same for a statistic of two vectors over the same texts (Pearson, AUROC, …): each resample
 * draws texts, so a text's values stay paired.
 */
export function pairedBootstrapInterval(
  statistic: (a: Float64Array, b: Float64Array) => number | null,
  a: Vector,
  b: Vector,
  options: BootstrapOptions,
): BootstrapInterval | null {
  checkVectors('pairedBootstrapInterval', { a, b });
  return vectorsInterval((vectors) => statistic(vectors[0]!, vectors[1]!), [a, b], options);
}

/** A percentile bootstrap interval for the mean of `values`; null when there are none. */
export function bootstrapMeanInterval(values: Vector, rng: Rng, resamples = 1000, confidence = 0.95): BootstrapInterval | null {
  if (values.length === 0) return null;
  return bootstrapInterval(mean, values, { seed: rng, resamples, confidence });
}

/**
 * The same for a statistic of how often each of n texts was drawn (ResampledAgreement's metrics):
 * the same draws as pairedBootstrapInterval, so the same interval up to rounding, with no sample
 * rebuilt. The estimate is the statistic with every text drawn once.
 */
export function drawCountsBootstrapInterval(statistic: (counts: Float64Array) => number | null, n: number, options: BootstrapOptions): BootstrapInterval | null {
  if (!(Number.isInteger(n) && n >= 1)) throw new MetricInputError(`bootstrap: the number of texts must be a positive integer, got ${n}`);
  const counts = new Float64Array(n);
  return resampledInterval(() => statistic(counts.fill(1)), (draw) => {
    counts.fill(0);
    for (let i = 0; i < n; i++) counts[draw()]!++;
    return statistic(counts);
  }, n, options);
}

/** A statistic of vectors over the same texts, each resample drawing texts with their values together. */
function vectorsInterval(statistic: (vectors: Float64Array[]) => number | null, vectors: Vector[], options: BootstrapOptions): BootstrapInterval | null {
  const n = vectors[0]!.length;
  const drawn = vectors.map(() => new Float64Array(n));
  return resampledInterval(() => statistic(vectors.map((v) => Float64Array.from(v))), (draw) => {
    for (let i = 0; i < n; i++) {
      const pick = draw();
      for (let v = 0; v < vectors.length; v++) drawn[v]![i] = vectors[v]![pick]!;
    }
    return statistic(drawn);
  }, n, options);
}

/** The percentile interval of `resample` (handed a draw of one of n texts) over the resamples; null when `estimate` is. */
function resampledInterval(estimateOf: () => number | null, resample: (draw: () => number) => number | null, n: number, options: BootstrapOptions): BootstrapInterval | null {
  const resamples = options.resamples ?? 1000;
  const confidence = options.confidence ?? 0.95;
  if (!(Number.isInteger(resamples) && resamples >= 1)) throw new MetricInputError(`bootstrap: resamples must be a positive integer, got ${resamples}`);
  if (!(confidence > 0 && confidence < 1)) throw new MetricInputError(`bootstrap: confidence must be in (0, 1), got ${confidence}`);
  const estimate = estimateOf();
  if (estimate === null) return null;

  const rng = options.seed instanceof Rng ? options.seed : new Rng(options.seed);
  const draw = () => rng.int(n);
  const values: number[] = [];
  for (let s = 0; s < resamples; s++) {
    const value = resample(draw);
    if (value !== null) values.push(value);
  }
  if (values.length === 0) return null;
  values.sort((x, y) => x - y);
  const tail = (1 - confidence) / 2;
  return {
    low: percentile(values, tail),
    high: percentile(values, 1 - tail),
    confidence,
    method: `bootstrap(${resamples})`,
    estimate,
    undefinedResamples: resamples - values.length,
  };
}

/** The q-quantile of sorted values, interpolating linearly at position q·(m − 1). */
function percentile(sorted: readonly number[], q: number): number {
  const position = q * (sorted.length - 1);
  const below = Math.floor(position);
  const above = Math.min(below + 1, sorted.length - 1);
  return sorted[below]! + (position - below) * (sorted[above]! - sorted[below]!);
}
