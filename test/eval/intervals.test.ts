import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng } from '../../src/nn/rng.js';
import { auroc, bootstrapInterval, bootstrapMeanInterval, MetricInputError, pairedBootstrapInterval, pearson, wilsonInterval } from '../../src/eval/index.js';

function mean(values: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i]!;
  return sum / values.length;
}

test('Wilson intervals match known values', () => {
  const a = wilsonInterval(5, 10);
  assert.ok(Math.abs(a.low - 0.2366) < 1e-4 && Math.abs(a.high - 0.7634) < 1e-4, JSON.stringify(a));
  const b = wilsonInterval(0, 20);
  assert.equal(b.low, 0);
  assert.ok(Math.abs(b.high - 0.1611) < 1e-4);
  assert.deepEqual(wilsonInterval(0, 0), { low: 0, high: 1, confidence: 0.95, method: 'wilson' });
});

test('a bootstrap interval is fixed by its seed', () => {
  const values = Array.from({ length: 200 }, (_, i) => (i % 10) / 10);
  const a = bootstrapInterval(mean, values, { seed: 1 });
  assert.deepEqual(bootstrapInterval(mean, values, { seed: 1 }), a);
  assert.notDeepEqual(bootstrapInterval(mean, values, { seed: 2 }), a);
  assert.deepEqual(bootstrapInterval(mean, values, { seed: new Rng(1) }), a);
  assert.ok(a && a.low < 0.45 && a.high > 0.45 && a.high - a.low < 0.2);
  assert.equal(a.estimate, mean(values));
  assert.equal(a.undefinedResamples, 0);
});

test('percentiles interpolate between order statistics', () => {
  // The mean of two resampled values from {0, 1} is 0, ½ or 1 with probabilities ¼, ½, ¼: with
  // thousands of resamples the 2.5% and 97.5% points are exactly 0 and 1, the 50% one ½.
  assert.deepEqual(bootstrapInterval(mean, [0, 1], { seed: 3, resamples: 4000 }), { low: 0, high: 1, confidence: 0.95, method: 'bootstrap(4000)', estimate: 0.5, undefinedResamples: 0 });
  const middle = bootstrapInterval(mean, [0, 1], { seed: 3, resamples: 4000, confidence: 0.01 })!;
  assert.equal(middle.low, 0.5);
  assert.equal(middle.high, 0.5);
  assert.deepEqual(bootstrapInterval(mean, [3, 3, 3], { seed: 0 }), { low: 3, high: 3, confidence: 0.95, method: 'bootstrap(1000)', estimate: 3, undefinedResamples: 0 });
});

test('90% bootstrap intervals for a normal mean cover it about 90% of the time', () => {
  const rng = new Rng(11);
  const trials = 200;
  let covered = 0;
  for (let t = 0; t < trials; t++) {
    const sample = Array.from({ length: 60 }, () => rng.normal(1, 2));
    const interval = bootstrapInterval(mean, sample, { seed: rng, resamples: 400, confidence: 0.9 })!;
    if (interval.low <= 1 && 1 <= interval.high) covered++;
  }
  // The percentile bootstrap runs slightly short of its level at n = 60; 200 trials give ±4%.
  assert.ok(covered / trials > 0.8 && covered / trials < 0.97, `coverage ${covered / trials}`);
});

test('a paired bootstrap keeps each text’s two values together', () => {
  const x = Array.from({ length: 30 }, (_, i) => Math.sin(i));
  const y = x.map((v) => 3 * v - 1);
  // Perfectly correlated pairs stay perfectly correlated in every resample.
  const interval = pairedBootstrapInterval(pearson, x, y, { seed: 4 })!;
  assert.ok(Math.abs(interval.low - 1) < 1e-12 && Math.abs(interval.high - 1) < 1e-12);
});

test('resamples where the statistic is undefined are left out and counted', () => {
  // One toxic text in eight: a resample without it has no AUROC.
  const g = [-1, 1, 2, 3, 4, 5, 6, 7];
  const r = [-2, 1, 0.5, 3, 2, 5, 4, 7];
  const interval = pairedBootstrapInterval(auroc, g, r, { seed: 5, resamples: 500 })!;
  assert.ok(interval.undefinedResamples > 100 && interval.undefinedResamples < 250, `${interval.undefinedResamples}`);
  assert.equal(interval.high, 1);
  // Undefined on the sample itself: no interval.
  assert.equal(pairedBootstrapInterval(pearson, [1, 2, 3], [4, 4, 4], { seed: 0 }), null);
});

test('bad options and inputs raise MetricInputError', () => {
  assert.throws(() => bootstrapInterval(mean, [1, 2], { seed: 0, resamples: 0 }), MetricInputError);
  assert.throws(() => bootstrapInterval(mean, [1, 2], { seed: 0, confidence: 1 }), MetricInputError);
  assert.throws(() => bootstrapInterval(mean, [], { seed: 0 }), MetricInputError);
  assert.throws(() => pairedBootstrapInterval(pearson, [1, 2], [1], { seed: 0 }), MetricInputError);
});

test('bootstrapMeanInterval continues a generator’s stream; no values, no interval', () => {
  const values = Array.from({ length: 200 }, (_, i) => (i % 10) / 10);
  const a = bootstrapMeanInterval(values, new Rng(1));
  assert.deepEqual(bootstrapMeanInterval(values, new Rng(1)), a);
  assert.deepEqual(a, bootstrapInterval(mean, values, { seed: 1 }));
  assert.equal(bootstrapMeanInterval([], new Rng(1)), null);
});
