import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { generalizedAdvantageEstimate, whiten } from '../../src/rlhf/advantages.js';
import { RlhfError } from '../../src/rlhf/errors.js';

function assertClose(actual: ArrayLike<number>, expected: readonly number[], tolerance = 1e-6): void {
  assert.equal(actual.length, expected.length);
  for (let i = 0; i < expected.length; i++) {
    assert.ok(Math.abs(actual[i]! - expected[i]!) <= tolerance, `index ${i}: ${actual[i]} vs ${expected[i]}`);
  }
}

describe('generalizedAdvantageEstimate', () => {
  it('matches a hand-computed 2×3 batch with gamma 1, lam 0.95 and a padded row', () => {
    // Row 1's last slot is padding; the 9 and 7 there must not reach anything.
    const rewards = Float32Array.from([1, 0, 2, 0.5, -1, 9]);
    const values = Float32Array.from([0.5, 1, 1.5, 2, 1, 7]);
    const mask = Uint8Array.from([1, 1, 1, 1, 1, 0]);
    const { advantages, returns } = generalizedAdvantageEstimate(rewards, values, mask, 2, 3, { gamma: 1, lam: 0.95 });
    // Row 0, from the end (V after the last token is 0):
    //   t=2: δ = 2 + 0 − 1.5 = 0.5;    A = 0.5;                      R = 0.5 + 1.5 = 2
    //   t=1: δ = 0 + 1.5 − 1 = 0.5;    A = 0.5 + 0.95·0.5 = 0.975;   R = 1.975
    //   t=0: δ = 1 + 1 − 0.5 = 1.5;    A = 1.5 + 0.95·0.975 = 2.42625; R = 2.92625
    // Row 1 (real length 2; the padded slot gets A = R = 0):
    //   t=1: δ = −1 + 0 − 1 = −2;      A = −2;                       R = −1
    //   t=0: δ = 0.5 + 1 − 2 = −0.5;   A = −0.5 + 0.95·(−2) = −2.4;  R = −0.4
    assertClose(advantages, [2.42625, 0.975, 0.5, -2.4, -2, 0]);
    assertClose(returns, [2.92625, 1.975, 2, -0.4, -1, 0]);
  });

  it('accepts a float mask and rejects left padding, non-0/1 masks and wrong sizes', () => {
    const ones = new Float32Array(4).fill(1);
    const out = generalizedAdvantageEstimate(ones, new Float32Array(4), Float32Array.from([1, 1, 1, 0]), 2, 2, { gamma: 1, lam: 1 });
    // Rewards-to-go: row 0 [2, 1], row 1 [1, 0 (padding)].
    assertClose(out.returns, [2, 1, 1, 0]);
    const options = { gamma: 1, lam: 0.95 };
    assert.throws(() => generalizedAdvantageEstimate(ones, ones, Uint8Array.from([0, 1, 1, 1]), 2, 2, options), /right-padded/);
    assert.throws(() => generalizedAdvantageEstimate(ones, ones, Float32Array.from([1, 0.5, 1, 1]), 2, 2, options), /only 0/);
    assert.throws(() => generalizedAdvantageEstimate(ones, ones, Uint8Array.from([1, 1, 1]), 2, 2, options), RlhfError);
    assert.throws(() => generalizedAdvantageEstimate(ones, ones, ones, 2, 2, { gamma: 1.5, lam: 0.95 }), RlhfError);
  });

  /** A random right-padded batch: values in [−10, 10], each row's real length in [0, length]. */
  const paddedBatch = fc
    .record({ batch: fc.integer({ min: 1, max: 4 }), length: fc.integer({ min: 1, max: 8 }) })
    .chain(({ batch, length }) =>
      fc.record({
        batch: fc.constant(batch),
        length: fc.constant(length),
        rewards: fc.float32Array({ minLength: batch * length, maxLength: batch * length, min: -10, max: 10, noNaN: true }),
        values: fc.float32Array({ minLength: batch * length, maxLength: batch * length, min: -10, max: 10, noNaN: true }),
        realLengths: fc.array(fc.integer({ min: 0, max: length }), { minLength: batch, maxLength: batch }),
      }),
    );
  const maskOf = (realLengths: number[], length: number) =>
    Uint8Array.from(realLengths.flatMap((n) => Array.from({ length }, (_, t) => (t < n ? 1 : 0))));

  it('with gamma = lam = 1, returns are the reward-to-go (property)', () => {
    fc.assert(
      fc.property(paddedBatch, ({ batch, length, rewards, values, realLengths }) => {
        const { returns } = generalizedAdvantageEstimate(rewards, values, maskOf(realLengths, length), batch, length, { gamma: 1, lam: 1 });
        const expected = realLengths.flatMap((n, row) =>
          Array.from({ length }, (_, t) => {
            let toGo = 0;
            for (let k = t; k < n; k++) toGo += rewards[row * length + k]!;
            return toGo;
          }),
        );
        assertClose(returns, expected, 1e-4);
      }),
    );
  });

  it('with lam = 0, advantages are the one-step TD errors (property)', () => {
    fc.assert(
      fc.property(paddedBatch, fc.double({ min: 0, max: 1, noNaN: true }), ({ batch, length, rewards, values, realLengths }, gamma) => {
        const { advantages } = generalizedAdvantageEstimate(rewards, values, maskOf(realLengths, length), batch, length, { gamma, lam: 0 });
        const expected = realLengths.flatMap((n, row) =>
          Array.from({ length }, (_, t) => {
            if (t >= n) return 0;
            const next = t + 1 < n ? values[row * length + t + 1]! : 0;
            return rewards[row * length + t]! + gamma * next - values[row * length + t]!;
          }),
        );
        assertClose(advantages, expected, 1e-5);
      }),
    );
  });
});

describe('whiten', () => {
  it('uses only the real tokens, with the unbiased variance, and zeroes padding', () => {
    const values = Float32Array.from([1, 2, 3, 100, 5, -7]);
    const mask = Uint8Array.from([1, 1, 1, 0, 0, 0]);
    // Real tokens 1, 2, 3: mean 2, unbiased variance ((−1)² + 0² + 1²) / (3 − 1) = 1, so
    // (x − 2)·rsqrt(1 + 1e-8) ≈ −1, 0, 1. (The biased variance 2/3 would give ±1.2247.)
    const scale = 1 / Math.sqrt(1 + 1e-8);
    assertClose(whiten(values, mask), [-scale, 0, scale, 0, 0, 0]);
    // shiftMean false adds the mean 2 back on real tokens only.
    assertClose(whiten(values, mask, { shiftMean: false }), [2 - scale, 2, 2 + scale, 0, 0, 0]);
  });

  it('takes the variance of fewer than two real tokens as 0 instead of NaN', () => {
    assertClose(whiten(Float32Array.from([4, 9]), Uint8Array.from([1, 0])), [0, 0]);
    assertClose(whiten(Float32Array.from([4, 9]), Uint8Array.from([1, 0]), { shiftMean: false }), [4, 0]);
    assertClose(whiten(Float32Array.from([4, 9]), Uint8Array.from([0, 0])), [0, 0]);
  });
});
