import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MetricInputError, proportionDifferenceInterval, twoProportionZTest } from '../../src/eval/index.js';

test('the pooled two-proportion z-test', () => {
  // Expected values: the pooled formula evaluated with scipy.stats.norm.sf.
  const cases: [number, number, number, number, number, number][] = [
    [30, 200, 18, 210, 2.0237466523808973, 0.04299622577082097],
    [5, 50, 0, 40, 2.0579830217101063, 0.039591763236690364],
    [83, 100, 70, 100, 2.1680221041884598, 0.030157004779830944],
  ];
  for (const [x1, n1, x2, n2, z, p] of cases) {
    const result = twoProportionZTest(x1, n1, x2, n2);
    assert.ok(Math.abs(result.z! - z) < 1e-12 && Math.abs(result.pValue! - p) < 1e-12, JSON.stringify(result));
    assert.equal(result.difference, x1 / n1 - x2 / n2);
  }
  assert.deepEqual(twoProportionZTest(0, 10, 0, 20), { difference: 0, z: null, pValue: null });
  assert.deepEqual(twoProportionZTest(10, 10, 20, 20), { difference: 0, z: null, pValue: null });
});

test("Newcombe's interval reproduces his 1998 worked examples", () => {
  // Newcombe (1998), Statistics in Medicine 17:873, Table II, method 10.
  const a = proportionDifferenceInterval(56, 70, 48, 80);
  assert.ok(Math.abs(a.low - 0.0524) < 5e-5 && Math.abs(a.high - 0.3339) < 5e-5, JSON.stringify(a));
  const b = proportionDifferenceInterval(9, 10, 3, 10);
  assert.ok(Math.abs(b.low - 0.1705) < 5e-5 && Math.abs(b.high - 0.809) < 5e-5, JSON.stringify(b));
  // To full precision against the formula evaluated in NumPy, at 90% and at zero counts.
  const c = proportionDifferenceInterval(30, 200, 18, 210, 0.9);
  assert.ok(Math.abs(c.low - 0.011871838251918239) < 1e-12 && Math.abs(c.high - 0.11765508858973889) < 1e-12);
  const d = proportionDifferenceInterval(0, 10, 0, 20);
  assert.ok(Math.abs(d.low + 0.16112515805281938) < 1e-12 && Math.abs(d.high - 0.2775327998628892) < 1e-12);
  assert.equal(d.method, 'newcombe');
});

test('counts a caller can get wrong raise MetricInputError', () => {
  assert.throws(() => twoProportionZTest(1, 0, 1, 2), MetricInputError);
  assert.throws(() => twoProportionZTest(3, 2, 1, 2), MetricInputError);
  assert.throws(() => proportionDifferenceInterval(1.5, 2, 1, 2), MetricInputError);
});
