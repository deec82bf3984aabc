import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MetricInputError, summariseOverSeeds, summariseSeeds } from '../../src/eval/index.js';

test('a summary over seeds: sample sd and a t-interval for the mean', () => {
  // Expected values: NumPy's std(ddof=1) and scipy.stats.t.interval(0.95, 4, ...).
  const s = summariseSeeds([0.61, 0.72, 0.55, 0.68, 0.7]);
  assert.equal(s.n, 5);
  assert.ok(Math.abs(s.mean! - 0.652) < 1e-15);
  assert.ok(Math.abs(s.sd! - 0.07049822692805825) < 1e-15);
  assert.equal(s.min, 0.55);
  assert.equal(s.max, 0.72);
  assert.ok(Math.abs(s.ci95!.low - 0.5644648896862309) < 1e-12 && Math.abs(s.ci95!.high - 0.739535110313769) < 1e-12);
  assert.equal(s.ci95!.method, 't');
});

test('one seed has no spread; no seeds have nothing', () => {
  assert.deepEqual(summariseSeeds([0.7]), { n: 1, mean: 0.7, sd: null, min: 0.7, max: 0.7, ci95: null });
  assert.deepEqual(summariseSeeds([]), { n: 0, mean: null, sd: null, min: null, max: null, ci95: null });
  assert.deepEqual(summariseSeeds([2, 2]).ci95, { low: 2, high: 2, confidence: 0.95, method: 't' });
  assert.throws(() => summariseSeeds([1, NaN]), MetricInputError);
});

test("a bounded figure's interval is cut to its range; the figures are not", () => {
  // Three experts' AUROCs: the t-interval of three runs reaches above 1.
  const plain = summariseSeeds([0.966, 0.943, 0.893]);
  assert.ok(plain.ci95!.high > 1);
  const cut = summariseSeeds([0.966, 0.943, 0.893], [0, 1]);
  assert.deepEqual({ ...cut, ci95: null }, { ...plain, ci95: null });
  assert.deepEqual(cut.ci95, { ...plain.ci95!, high: 1 });
});

test('summariseOverSeeds cuts each bounded metric to its range, and leaves unbounded ones', () => {
  const perSeed = [{ auroc: 0.99, euclidean: 0.1 }, { auroc: 0.8, euclidean: 5 }, { auroc: 0.95, euclidean: 0.2 }];
  const s = summariseOverSeeds(perSeed, ['auroc', 'euclidean']);
  assert.equal(s.auroc.ci95!.high, 1);
  assert.equal(s.euclidean.ci95!.low, 0);
  assert.ok(s.euclidean.ci95!.high > 5);
});
