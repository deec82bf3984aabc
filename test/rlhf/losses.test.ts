import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RlhfError } from '../../src/rlhf/errors.js';
import { klPenaltyRewards, ppoLoss } from '../../src/rlhf/losses.js';
import * as T from '../../src/tensor/index.js';

const close = (actual: number, expected: number, what: string, tolerance = 1e-6) =>
  assert.ok(Math.abs(actual - expected) <= tolerance, `${what}: ${actual} vs ${expected}`);
const closeAll = (actual: ArrayLike<number>, expected: readonly number[], what: string) =>
  expected.forEach((v, i) => close(actual[i]!, v, `${what}[${i}]`));
const row = (values: number[], requiresGrad = false) => T.tensor([values], undefined, requiresGrad);

describe('ppoLoss', () => {
  it('matches hand-computed clipped losses and statistics on a padded row', () => {
    // One row of three tokens, the last one padding (its 7s and 9s must not count).
    const inputs = {
      logprobs: row([Math.log(1.5), Math.log(0.9), 7], true),
      oldLogprobs: row([0, 0, 0]),
      advantages: row([2, -1, 5]),
      values: row([1, 0.5, 9], true),
      oldValues: row([0.5, 0.4, 0]),
      returns: row([2, 0, 0]),
      mask: row([1, 1, 0]),
    };
    const { loss, stats } = ppoLoss(inputs, { cliprange: 0.2, clipRangeValue: 0.2, vfCoef: 0.5 });
    // Policy, ratio r = [1.5, 0.9]:
    //   token 0: −A·r = −3,   −A·clip(r) = −2·1.2 = −2.4 → max −2.4 (the clip binds)
    //   token 1: −A·r = 0.9,  −A·clip(r) = 0.9        → 0.9 (inside the range, a tie)
    //   policy loss (−2.4 + 0.9)/2 = −0.75; clip fraction 1/2.
    // Value, clip to old ± 0.2:
    //   token 0: V 1 → clip [0.3, 0.7] = 0.7; (1 − 2)² = 1, (0.7 − 2)² = 1.69 → 1.69 (clipped)
    //   token 1: V 0.5 inside [0.2, 0.6];     (0.5 − 0)² = 0.25 both        → 0.25
    //   value loss 0.5·(1.69 + 0.25)/2 = 0.485; clip fraction 1/2; value error (1 + 0.25)/2 = 0.625.
    // Total −0.75 + 0.5·0.485 = −0.5075.
    // approx KL: ((1.5 − 1) − ln 1.5 + (0.9 − 1) − ln 0.9)/2 = (0.0945349 + 0.0053605)/2 = 0.0499477.
    close(loss.item(), -0.5075, 'loss');
    close(stats.loss.item(), -0.5075, 'stats.loss');
    close(stats.policyLoss.item(), -0.75, 'policy loss');
    close(stats.valueLoss.item(), 0.485, 'value loss');
    close(stats.policyClipFraction.item(), 0.5, 'policy clip fraction');
    close(stats.valueClipFraction.item(), 0.5, 'value clip fraction');
    close(stats.valueError.item(), 0.625, 'value error');
    close(stats.approxKl.item(), (0.5 - Math.log(1.5) + (-0.1 - Math.log(0.9))) / 2, 'approx KL');
    close(stats.ratio.item(), 1.2, 'mean ratio');
    assert.equal(stats.approxKl.requiresGrad, false);

    loss.backward();
    // d loss / d log π = d(policy term)/dr · r / 2 tokens: token 0 is clipped (0), token 1 is
    // −A·r/2 = 1·0.9/2 = 0.45, padding 0.
    closeAll(inputs.logprobs.grad!.data, [0, 0.45, 0], 'grad logprobs');
    // d loss / d V = vfCoef·0.5·2(V − R)/2 tokens where unclipped: token 1: 0.5·0.5·2·0.5/2 = 0.125.
    closeAll(inputs.values.grad!.data, [0, 0.125, 0], 'grad values');
  });

  it('passes exactly zero policy gradient where the ratio is outside the clip range on the binding side', () => {
    // r = [1.5, 1.5, 0.5, 0.5], A = [1, −1, 1, −1], cliprange 0.2:
    //   r > 1.2, A > 0: −A·clip = −1.2 > −1.5       → clipped, constant: gradient 0
    //   r > 1.2, A < 0: −A·r = 1.5 > 1.2            → unclipped: d/d log π = −A·r/4 = 0.375
    //   r < 0.8, A > 0: −A·r = −0.5 > −0.8          → unclipped: −A·r/4 = −0.125
    //   r < 0.8, A < 0: −A·clip = 0.8 > 0.5         → clipped, constant: gradient 0
    const logprobs = row([Math.log(1.5), Math.log(1.5), Math.log(0.5), Math.log(0.5)], true);
    const zeros = row([0, 0, 0, 0]);
    const { loss, stats } = ppoLoss(
      { logprobs, oldLogprobs: zeros, advantages: row([1, -1, 1, -1]), values: zeros, oldValues: zeros, returns: zeros, mask: row([1, 1, 1, 1]) },
      { cliprange: 0.2, clipRangeValue: 0.2, vfCoef: 1 },
    );
    loss.backward();
    const grad = logprobs.grad!.data;
    assert.equal(grad[0], 0);
    assert.equal(grad[3], 0);
    close(grad[1]!, 0.375, 'unclipped, ratio above');
    close(grad[2]!, -0.125, 'unclipped, ratio below');
    close(stats.policyClipFraction.item(), 0.5, 'policy clip fraction');
  });

  it('refuses inputs whose shapes differ from the mask', () => {
    const a = row([0, 0]);
    assert.throws(
      () => ppoLoss({ logprobs: row([0]), values: a, oldLogprobs: a, oldValues: a, advantages: a, returns: a, mask: a }, { cliprange: 0.2, clipRangeValue: 0.2, vfCoef: 1 }),
      RlhfError,
    );
  });
});

describe('klPenaltyRewards', () => {
  it('charges −β·(log π − log π_ref) per real token and adds the score at the last real token', () => {
    const logprobs = Float32Array.from([-1, -2, -0.5, -1, -1, -3]);
    const refLogprobs = Float32Array.from([-1.5, -2.5, -1, -2, -0.5, -9]);
    const mask = Uint8Array.from([1, 1, 1, 1, 1, 0]);
    const out = klPenaltyRewards(logprobs, refLogprobs, mask, 0.1, Float32Array.from([2, -1]));
    // log π − log π_ref: row 0 [0.5, 0.5, 0.5] (sum 1.5), row 1 [1, −0.5] (sum 0.5; the padded 6 is ignored).
    //   rewards row 0: [−0.05, −0.05, −0.05 + 2 = 1.95]; row 1: [−0.1, 0.05 − 1 = −0.95, 0].
    //   mean KL per sequence (1.5 + 0.5)/2 = 1; per token 2/5 = 0.4.
    closeAll(out.rewards, [-0.05, -0.05, 1.95, -0.1, -0.95, 0], 'rewards');
    close(out.meanKl, 1, 'mean KL', 1e-12);
    close(out.meanKlPerToken, 0.4, 'mean KL per token', 1e-12);
  });

  it('refuses empty responses, empty batches and mismatched sizes', () => {
    const two = new Float32Array(2);
    assert.throws(() => klPenaltyRewards(two, two, Uint8Array.from([1, 0]), 0.1, Float32Array.from([1, 1])), /no real response token/);
    assert.throws(() => klPenaltyRewards(two, two, Uint8Array.from([1, 1]), 0.1, new Float32Array(0)), RlhfError);
    assert.throws(() => klPenaltyRewards(two, new Float32Array(3), Uint8Array.from([1, 1]), 0.1, Float32Array.from([1])), RlhfError);
  });
});
