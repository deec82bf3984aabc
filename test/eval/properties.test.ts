// Properties the metrics must have whatever the data: invariances that make them fit a reward
// that is only identified up to a monotone transform, or up to a per-prompt constant and scale.
// Values are small integers, so ties are common and transforms cannot merge distinct values.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { accuracy, auroc, chooseThreshold, epicDistance, kendallTauB, pairwiseAccuracy, spearman, starcDistance } from '../../src/eval/index.js';

const value = fc.integer({ min: -12, max: 12 });
/** Two aligned vectors of n ≥ 2 small integers. */
const pairedVectors = fc.integer({ min: 2, max: 60 }).chain((n) => fc.tuple(fc.array(value, { minLength: n, maxLength: n }), fc.array(value, { minLength: n, maxLength: n })));
/** Strictly increasing, and exact enough on these integers to keep them distinct. */
const increasing = [(v: number) => v ** 3 + 5 * v, (v: number) => Math.exp(v / 3), (v: number) => 10 * v - 7];

const sameOrNull = (a: number | null, b: number | null, tolerance = 1e-12) => (a === null ? b === null : b !== null && Math.abs(a - b) <= tolerance);

test('rank metrics do not change under a strictly increasing transform of r', () => {
  fc.assert(
    fc.property(pairedVectors, fc.constantFrom(...increasing), ([g, r], f) => {
      const transformed = r.map(f);
      assert.ok(sameOrNull(spearman(g, transformed), spearman(g, r)));
      assert.ok(sameOrNull(kendallTauB(g, transformed), kendallTauB(g, r)));
      assert.ok(sameOrNull(auroc(g, transformed), auroc(g, r)));
      assert.ok(sameOrNull(pairwiseAccuracy(g, transformed), pairwiseAccuracy(g, r)));
    }),
  );
});

test('Kendall τ-b is symmetric and in [−1, 1]; reversing r negates it', () => {
  fc.assert(
    fc.property(pairedVectors, ([x, y]) => {
      const tau = kendallTauB(x, y);
      assert.ok(sameOrNull(tau, kendallTauB(y, x)));
      assert.ok(sameOrNull(kendallTauB(x, y.map((v) => -v)), tau === null ? null : -tau));
      if (tau !== null) assert.ok(tau >= -1 && tau <= 1);
    }),
  );
});

test('for a binary ground truth, pairwise accuracy is the AUROC', () => {
  fc.assert(
    fc.property(pairedVectors, ([g, r]) => {
      const binary = g.map((v) => (v < 0 ? -1 : 1));
      assert.ok(sameOrNull(pairwiseAccuracy(binary, r), auroc(binary, r)));
    }),
  );
});

/** Rewards over texts with prompt ids (a handful of prompts, so several texts share one). */
const groupedRewards = fc.integer({ min: 2, max: 40 }).chain((n) =>
  fc.record({
    a: fc.array(value, { minLength: n, maxLength: n }),
    b: fc.array(value, { minLength: n, maxLength: n }),
    prompts: fc.array(fc.integer({ min: 0, max: 5 }), { minLength: n, maxLength: n }),
    shifts: fc.array(fc.integer({ min: -50, max: 50 }), { minLength: 6, maxLength: 6 }),
    scale: fc.constantFrom(0.25, 1, 3, 1000),
  }),
);

test('EPIC and STARC ignore a per-prompt constant and a positive scale, and STARC = 2 × EPIC', () => {
  fc.assert(
    fc.property(groupedRewards, ({ a, b, prompts, shifts, scale }) => {
      const shaped = b.map((v, i) => scale * v + shifts[prompts[i]!]!);
      const epic = epicDistance(a, b, prompts);
      assert.ok(sameOrNull(epicDistance(a, shaped, prompts), epic, 1e-9));
      assert.ok(Math.abs(starcDistance(a, shaped, prompts) - starcDistance(a, b, prompts)) <= 1e-9);
      if (epic !== null) assert.ok(Math.abs(starcDistance(a, b, prompts) - 2 * epic) <= 1e-9);
    }),
  );
});

test('the chosen threshold is at least as accurate as any value of r or 0 as a threshold', () => {
  fc.assert(
    fc.property(pairedVectors, ([g, r]) => {
      const chosen = chooseThreshold(g, r);
      assert.equal(accuracy(g, r, { threshold: chosen.threshold }), chosen.accuracy);
      for (const threshold of [0, ...r]) assert.ok(accuracy(g, r, { threshold }) <= chosen.accuracy);
    }),
  );
});
