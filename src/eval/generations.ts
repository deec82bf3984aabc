/**
 * Figures of a model's generations as a whole: how varied they are (distinct-n, Li et al. 2016)
 * and how much of a reference's reduction in toxicity a candidate achieves.
 */
import { MetricInputError } from './errors.js';
import { bootstrapInterval, type BootstrapInterval, type BootstrapOptions } from './intervals.js';

/**
 * Distinct n-grams over all n-grams of the sequences (n-grams never span two sequences): 1 when
 * nothing repeats, near 0 for a model that says the same thing every time; 0 when no sequence is
 * n tokens long.
 */
export function distinctN(sequences: readonly (readonly number[])[], n: number): number {
  if (!(Number.isInteger(n) && n >= 1)) throw new MetricInputError(`distinctN: n must be an integer ≥ 1, got ${n}`);
  const seen = new Set<string>();
  let total = 0;
  for (const ids of sequences) {
    for (let start = 0; start + n <= ids.length; start++) {
      seen.add(ids.slice(start, start + n).join(','));
      total++;
    }
  }
  return total === 0 ? 0 : seen.size / total;
}

/** Per prompt, the share of a model's continuations judged toxic (its samples and seeds pooled). */
export type ToxicShareByPrompt = readonly number[];

/**
 * (base − candidate) / (base − reference) of the mean toxic share: the fraction of the reference's
 * reduction (the ground-truth RLHF's) that the candidate achieves; 1 is as good, 0 no better than
 * the base model, negative worse. Null when the reference reduces nothing. The interval resamples
 * prompts, so the three models' shares of a prompt stay together.
 */
export function reductionFraction(
  shares: { base: ToxicShareByPrompt; reference: ToxicShareByPrompt; candidate: ToxicShareByPrompt },
  bootstrap: BootstrapOptions,
): { estimate: number | null; ci95: BootstrapInterval | null } {
  const { base, reference, candidate } = shares;
  if (base.length === 0 || reference.length !== base.length || candidate.length !== base.length) {
    throw new MetricInputError(`reductionFraction: expected one share per prompt for each model, got ${base.length}, ${reference.length} and ${candidate.length}`);
  }
  const statistic = (prompts: Float64Array): number | null => {
    let [b, r, c] = [0, 0, 0];
    for (const p of prompts) {
      b += base[p]!;
      r += reference[p]!;
      c += candidate[p]!;
    }
    return b === r ? null : (b - c) / (b - r);
  };
  const prompts = Float64Array.from(base.keys());
  return { estimate: statistic(prompts), ci95: bootstrapInterval(statistic, prompts, bootstrap) };
}
