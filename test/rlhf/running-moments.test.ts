import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RlhfError } from '../../src/rlhf/errors.js';
import { RunningMoments, clipAndScaleScores, clipRewards, scaleRewards } from '../../src/rlhf/running-moments.js';

/** Mean and unbiased std of all values, directly, in float64. */
function direct(values: number[]): { mean: number; std: number } {
  const mean = values.reduce((s, v) => s + v, 0) / values.length;
  const variance = values.reduce((s, v) => s + (v - mean) ** 2, 0) / (values.length - 1);
  return { mean, std: Math.sqrt(variance) };
}

/** A deterministic batch of float32 values that differ in scale and offset from batch to batch. */
const batchOf = (index: number, size: number) =>
  Float32Array.from({ length: size }, (_, i) => Math.sin(index * 7.1 + i * 1.3) * (1 + index) + index * 0.5);

describe('RunningMoments', () => {
  it('tracks the mean and unbiased std of everything seen, and returns each batch’s own', () => {
    const moments = new RunningMoments();
    const seen: number[] = [];
    [5, 1, 12, 3, 8].forEach((size, index) => {
      const xs = batchOf(index, size);
      seen.push(...xs);
      const batch = moments.update(xs);
      const own = direct([...xs]);
      // A batch of one has no unbiased std (NaN, as torch's .std() gives).
      if (size === 1) assert.ok(Number.isNaN(batch.std));
      else assert.ok(Math.abs(batch.std - own.std) < 1e-6);
      assert.ok(Math.abs(batch.mean - own.mean) < 1e-6);
      const all = direct(seen);
      assert.ok(Math.abs(moments.mean - all.mean) < 1e-6, `mean after batch ${index}`);
      assert.ok(Math.abs(moments.std - all.std) < 1e-6, `std after batch ${index}`);
    });
  });

  it('continues identically after state() and restore()', () => {
    const moments = new RunningMoments();
    moments.update(batchOf(0, 6));
    const resumed = new RunningMoments();
    resumed.restore(JSON.parse(JSON.stringify(moments.state())));
    assert.deepEqual(resumed.state(), moments.state());
    moments.update(batchOf(1, 4));
    resumed.update(batchOf(1, 4));
    assert.equal(resumed.mean, moments.mean);
    assert.equal(resumed.std, moments.std);
    assert.throws(() => resumed.restore({ mean: 0, variance: -1, count: 3 }), RlhfError);
    assert.throws(() => moments.update(new Float32Array(0)), RlhfError);
  });
});

describe('reward clipping and scaling', () => {
  it('clips first and scales second, as trlx’s make_experience does', () => {
    const scores = Float32Array.from([30, -4, 2, 0]);
    // Clipped to ±10: [10, −4, 2, 0]; mean 2, squared deviations 64 + 36 + 0 + 4 = 104, so the
    // unbiased std is √(104/3) ≈ 5.888. The running moments see only this batch, so their std is
    // the same, and the scaled scores are [10, −4, 2, 0] / √(104/3).
    // (Scaling first would divide 30 by the std of the unclipped scores: mean 7, squared
    // deviations 529 + 121 + 25 + 49 = 724, √(724/3) ≈ 15.53, leaving 1.93 after the clip.)
    const std = Math.sqrt(104 / 3);
    const running = clipAndScaleScores(scores, { scaleReward: 'running', cliprangeReward: 10 }, new RunningMoments(), null);
    [10 / std, -4 / std, 2 / std, 0].forEach((v, i) => assert.ok(Math.abs(running.scores[i]! - v) < 1e-6, `score ${i}`));
    assert.ok(Math.abs(running.stats.mean - 2) < 1e-12);
    assert.ok(Math.abs(running.stats.std - std) < 1e-9);
    assert.ok(Math.abs(running.stats.runningStd - std) < 1e-9);
    assert.ok(Math.abs(running.refStd - std) < 1e-9);
  });

  it("'ref' keeps dividing by the first rollout's std; null leaves the clipped scores alone", () => {
    const moments = new RunningMoments();
    const first = clipAndScaleScores(Float32Array.from([1, 3]), { scaleReward: 'ref', cliprangeReward: null }, moments, null);
    // First rollout [1, 3]: unbiased std √2.
    assert.ok(Math.abs(first.refStd - Math.SQRT2) < 1e-12);
    const second = clipAndScaleScores(Float32Array.from([4, 40]), { scaleReward: 'ref', cliprangeReward: 0 }, moments, first.refStd);
    assert.equal(second.refStd, first.refStd);
    assert.ok(Math.abs(second.scores[1]! - 40 / Math.SQRT2) < 1e-5);
    const plain = clipAndScaleScores(Float32Array.from([-12, 3]), { scaleReward: null, cliprangeReward: 10 }, moments, null);
    assert.deepEqual([...plain.scores], [-10, 3]);
  });

  it('scaleRewards and clipRewards on their own', () => {
    const moments = new RunningMoments();
    moments.update(Float32Array.from([0, 2]));
    // Running std of [0, 2]: √2.
    assert.ok(Math.abs(scaleRewards(Float32Array.from([2]), 'running', moments)[0]! - Math.SQRT2) < 1e-6);
    assert.deepEqual([...scaleRewards(Float32Array.from([2]), 'ref', moments, 4)], [0.5]);
    assert.throws(() => scaleRewards(Float32Array.from([2]), 'ref', moments), /reference std/);
    assert.deepEqual([...clipRewards(Float32Array.from([-3, 0.5, 3]), 1)], [-1, 0.5, 1]);
    assert.throws(() => clipRewards(Float32Array.from([1]), -1), RlhfError);
  });
});
