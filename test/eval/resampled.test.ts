// The bootstrap's metrics of draw counts must be the plain metrics of the sample the counts
// describe (each text repeated as often as it was drawn), ties and undefined cases included.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { accuracy, auroc, drawCountsBootstrapInterval, f1Score, kendallTauB, MetricInputError, pairedBootstrapInterval, pairwiseAccuracy, pearson, ResampledAgreement, spearman } from '../../src/eval/index.js';

const PLAIN = {
  accuracy: (g: number[], r: number[]) => accuracy(g, r),
  f1: (g: number[], r: number[]) => f1Score(g, r),
  auroc, pairwiseAccuracy, pearson, spearman, kendall: kendallTauB,
} as const;

/** n ≥ 1 texts of small integers (ties are common; some are negative, so some are toxic) and a draw count for each, at least one drawn. */
const drawnTexts = fc.integer({ min: 1, max: 40 }).chain((n) => fc.tuple(
  fc.array(fc.integer({ min: -5, max: 5 }), { minLength: n, maxLength: n }),
  fc.array(fc.integer({ min: -5, max: 5 }), { minLength: n, maxLength: n }),
  fc.array(fc.integer({ min: 0, max: 3 }), { minLength: n, maxLength: n }),
)).filter(([, , counts]) => counts.some((c) => c > 0));

const sameOrNull = (a: number | null, b: number | null) => (a === null ? b === null : b !== null && Math.abs(a - b) <= 1e-12);

test('every metric of draw counts equals the plain metric of the repeated texts', () => {
  fc.assert(
    fc.property(drawnTexts, ([g, r, counts]) => {
      const sample = new ResampledAgreement(g, r);
      const repeat = (values: number[]) => values.flatMap((v, i) => new Array<number>(counts[i]!).fill(v));
      for (const [name, plain] of Object.entries(PLAIN)) {
        const got = sample[name as keyof typeof PLAIN](Float64Array.from(counts));
        assert.ok(sameOrNull(got, plain(repeat(g), repeat(r))), `${name}: ${got} against ${plain(repeat(g), repeat(r))}`);
      }
    }),
    { numRuns: 300 },
  );
});

test('an interval from draw counts is the paired bootstrap interval of the same draws', () => {
  const g = Array.from({ length: 50 }, (_, i) => Math.sin(i) * 3);
  const r = g.map((v, i) => v + Math.cos(7 * i));
  const sample = new ResampledAgreement(g, r);
  for (const [name, plain] of Object.entries(PLAIN)) {
    const a = drawCountsBootstrapInterval((counts) => sample[name as keyof typeof PLAIN](counts), g.length, { seed: 3, resamples: 300 })!;
    const b = pairedBootstrapInterval((x, y) => plain(Array.from(x), Array.from(y)), g, r, { seed: 3, resamples: 300 })!;
    for (const key of ['low', 'high', 'estimate'] as const) assert.ok(Math.abs(a[key] - b[key]) <= 1e-12, `${name} ${key}: ${a[key]} against ${b[key]}`);
    assert.equal(a.undefinedResamples, b.undefinedResamples);
  }
});

test('draw counts need at least one text', () => {
  assert.throws(() => drawCountsBootstrapInterval(() => 0, 0, { seed: 1 }), MetricInputError);
});
