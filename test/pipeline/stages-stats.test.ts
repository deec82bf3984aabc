import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng } from '../../src/nn/index.js';
import { bootstrapMeanInterval, normalQuantile, wilsonInterval } from '../../src/pipeline/stages/index.js';

test('normal quantiles', () => {
  assert.ok(Math.abs(normalQuantile(0.975) - 1.959964) < 1e-5);
  assert.ok(Math.abs(normalQuantile(0.5)) < 1e-12);
  assert.ok(Math.abs(normalQuantile(0.001) + 3.090232) < 1e-5);
});

test('Wilson intervals match known values', () => {
  const a = wilsonInterval(5, 10);
  assert.ok(Math.abs(a.low - 0.2366) < 1e-4 && Math.abs(a.high - 0.7634) < 1e-4, JSON.stringify(a));
  const b = wilsonInterval(0, 20);
  assert.equal(b.low, 0);
  assert.ok(Math.abs(b.high - 0.1611) < 1e-4);
});

test('bootstrap intervals are seeded and cover the mean', () => {
  const values = Array.from({ length: 200 }, (_, i) => (i % 10) / 10);
  const a = bootstrapMeanInterval(values, new Rng(1));
  const b = bootstrapMeanInterval(values, new Rng(1));
  assert.deepEqual(a, b);
  assert.ok(a.low < 0.45 && a.high > 0.45 && a.high - a.low < 0.2);
});
