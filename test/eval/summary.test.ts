import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MetricInputError, summariseSeeds } from '../../src/eval/index.js';

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
