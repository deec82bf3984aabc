import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bradleyTerryLoss, hingeLoss, maxMarginLoss, preferenceLoss, rewardPenalty, squaredLoss } from '../../src/irl/index.js';
import * as T from '../../src/tensor/index.js';
import type { Tensor } from '../../src/tensor/index.js';

const DELTAS = [2, -1, 0.5, -3, 0];
const n = DELTAS.length;

/** The loss of DELTAS and its gradient with respect to each Δ. */
function valueAndGradient(loss: (delta: Tensor) => Tensor): { value: number; gradient: number[] } {
  const delta = T.tensor(DELTAS, [n], true);
  const value = loss(delta);
  value.backward();
  return { value: value.item(), gradient: delta.grad!.toArray() };
}

function close(actual: number[], expected: number[], tolerance = 1e-6): void {
  assert.equal(actual.length, expected.length);
  actual.forEach((a, i) => assert.ok(Math.abs(a - expected[i]!) <= tolerance, `element ${i}: ${a} vs ${expected[i]}`));
}

const softplus = (x: number) => Math.log1p(Math.exp(x));
const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

describe('pair objectives on Δ = R(expert) − R(baseline)', () => {
  it("maxMarginLoss is the paper's −Δ for Δ > 0 and −2Δ otherwise", () => {
    const { value, gradient } = valueAndGradient(maxMarginLoss);
    // Per pair: −2, 2, −0.5, 6, 0; slopes −1, −2, −1, −2, and −1.5 at the tie Δ = 0.
    close([value], [(-2 + 2 - 0.5 + 6 + 0) / n]);
    close(gradient, [-1, -2, -1, -2, -1.5].map((g) => g / n));
  });

  it('hingeLoss is max(0, margin − Δ)', () => {
    const { value, gradient } = valueAndGradient((d) => hingeLoss(d, 1));
    close([value], [(0 + 2 + 0.5 + 4 + 1) / n]);
    close(gradient, [0, -1, -1, -1, -1].map((g) => g / n));
  });

  it('bradleyTerryLoss is softplus(−Δ) with gradient −σ(−Δ), also at Δ = 0 and for large |Δ|', () => {
    const { value, gradient } = valueAndGradient(bradleyTerryLoss);
    close([value], [DELTAS.reduce((s, d) => s + softplus(-d), 0) / n]);
    close(gradient, DELTAS.map((d) => -sigmoid(-d) / n));
    const extreme = T.tensor([200, -200], [2], true);
    const loss = bradleyTerryLoss(extreme);
    loss.backward();
    close([loss.item()], [(0 + 200) / 2], 1e-4);
    close(extreme.grad!.toArray(), [0, -0.5]);
  });

  it('squaredLoss is (Δ − margin)²', () => {
    const { value, gradient } = valueAndGradient((d) => squaredLoss(d, 1));
    close([value], [DELTAS.reduce((s, d) => s + (d - 1) ** 2, 0) / n]);
    close(gradient, DELTAS.map((d) => (2 * (d - 1)) / n));
  });

  it('the penalties are l2·mean(R²) + centring·mean(R)², over both sides of the pairs', () => {
    const expert = T.tensor([1, 3], [2], true);
    const baseline = T.tensor([-1, 0], [2], true);
    const loss = preferenceLoss({ name: 'hinge', margin: 1, l2: 0.5, centring: 2 }, expert, baseline);
    loss.backward();
    // Δ = 2, 3: hinge 0. mean(R²) = 11/4, mean(R) = 3/4.
    close([loss.item()], [0.5 * (11 / 4) + 2 * (3 / 4) ** 2]);
    // d/dR_i: l2·2R_i/4 + centring·2·mean(R)/4.
    const slope = (r: number) => 0.5 * (2 * r) / 4 + 2 * 2 * (3 / 4) / 4;
    close(expert.grad!.toArray(), [1, 3].map(slope));
    close(baseline.grad!.toArray(), [-1, 0].map(slope));
    assert.equal(rewardPenalty(expert, {}), null, 'no penalty unless asked for');
  });
});
