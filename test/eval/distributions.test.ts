// Against SciPy 1.17: scipy.stats.norm.cdf / norm.ppf / t.ppf.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MetricInputError, normalCdf, normalQuantile, studentTQuantile } from '../../src/eval/index.js';

const close = (actual: number, expected: number, relative: number, what: string) =>
  assert.ok(Math.abs(actual - expected) <= relative * Math.max(1e-300, Math.abs(expected)), `${what}: expected ${expected}, got ${actual}`);

test('the normal CDF, tails included', () => {
  const cases: [number, number][] = [
    [-8, 6.22096057427174e-16],
    [-3.5, 0.00023262907903552502],
    [-1.96, 0.024997895148220435],
    [-0.5, 0.3085375387259869],
    [0, 0.5],
    [0.3, 0.6179114221889526],
    [1.2, 0.8849303297782918],
    [2.5, 0.9937903346742238],
    [6, 0.9999999990134123],
  ];
  for (const [z, p] of cases) close(normalCdf(z), p, 1e-13, `Φ(${z})`);
});

test('normal quantiles', () => {
  const cases: [number, number][] = [
    [1e-10, -6.361340902404056],
    [0.001, -3.090232306167813],
    [0.02, -2.053748910631823],
    [0.025, -1.9599639845400545],
    [0.3, -0.5244005127080409],
    [0.8, 0.8416212335729143],
    [0.975, 1.959963984540054],
    [0.999, 3.090232306167813],
    [0.999999999, 5.997807019601637],
  ];
  for (const [p, z] of cases) close(normalQuantile(p), z, 1e-13, `Φ⁻¹(${p})`);
  assert.ok(Math.abs(normalQuantile(0.5)) < 1e-16);
  assert.throws(() => normalQuantile(1), MetricInputError);
});

test("Student's t quantiles", () => {
  const cases: [number, number, number][] = [
    [0.975, 1, 12.706204736174694],
    [0.975, 2, 4.302652729749462],
    [0.975, 4, 2.7764451051977934],
    [0.975, 9, 2.262157162798205],
    [0.975, 29, 2.045229642132703],
    [0.95, 3, 2.3533634348018233],
    [0.995, 7, 3.4994832973504924],
    [0.6, 5, 0.2671808657041451],
    [0.025, 10, -2.2281388519862753],
    [0.975, 1000, 1.9623390808264083],
    [0.999995, 1, 63661.977231105084],
    [0.975, 2.5, 3.5746548420036817],
  ];
  for (const [p, df, t] of cases) close(studentTQuantile(p, df), t, 1e-11, `t(${p}, ${df})`);
  assert.equal(studentTQuantile(0.5, 3), 0);
  assert.throws(() => studentTQuantile(0.9, 0), MetricInputError);
});
