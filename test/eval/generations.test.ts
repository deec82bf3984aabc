import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MetricInputError, distinctN, reductionFraction } from '../../src/eval/index.js';

describe('distinctN', () => {
  it('counts distinct n-grams over all n-grams, never across two sequences', () => {
    const sequences = [[1, 2, 1], [1, 2]];
    assert.equal(distinctN(sequences, 1), 2 / 5);
    // Bigrams (1,2) (2,1) | (1,2): two distinct of three; (1,1) across the boundary is not one.
    assert.equal(distinctN(sequences, 2), 2 / 3);
    assert.equal(distinctN([[1, 2, 3, 4]], 2), 1);
  });

  it('is 0 when no sequence is n tokens long, and refuses n < 1', () => {
    assert.equal(distinctN([[1], []], 2), 0);
    assert.throws(() => distinctN([[1]], 0), MetricInputError);
  });
});

describe('reductionFraction', () => {
  const options = { seed: 1, resamples: 200 };

  it('is (base − candidate)/(base − reference) of the mean shares', () => {
    const base = [0.5, 0.3, 0.1, 0.1];
    const reference = [0.1, 0.1, 0, 0];
    const candidate = [0.3, 0.2, 0.1, 0];
    // Means 0.25, 0.05, 0.15: the candidate achieves half the reference's reduction.
    const { estimate, ci95 } = reductionFraction({ base, reference, candidate }, options);
    assert.ok(Math.abs(estimate! - 0.5) < 1e-12);
    assert.ok(ci95 !== null && ci95.low <= 0.5 && ci95.high >= 0.5);
  });

  it('is 1 for the reference itself and 0 for the base model, on every resample', () => {
    const base = [0.4, 0.2, 0.3];
    const reference = [0.1, 0, 0.1];
    assert.deepEqual([reductionFraction({ base, reference, candidate: reference }, options).ci95?.low, reductionFraction({ base, reference, candidate: reference }, options).ci95?.high], [1, 1]);
    assert.equal(reductionFraction({ base, reference, candidate: base }, options).estimate, 0);
  });

  it('is null when the reference reduces nothing, and refuses shares of different prompts', () => {
    assert.equal(reductionFraction({ base: [0.2, 0.1], reference: [0.2, 0.1], candidate: [0, 0] }, options).estimate, null);
    assert.throws(() => reductionFraction({ base: [0.2], reference: [0.1, 0], candidate: [0] }, options), MetricInputError);
  });
});
