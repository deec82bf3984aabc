import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { POOLINGS, RewardModel, padRows, type Pooling } from '../../src/irl/index.js';
import { Rng } from '../../src/nn/index.js';
import * as T from '../../src/tensor/index.js';
import { seededModel, tinyConfig } from '../helpers/tiny-gpt.js';

const ROWS = [[3, 9, 4, 17, 5, 11], [8, 2], [30, 12, 6, 6]];

function model(pooling: Pooling): RewardModel {
  return RewardModel.fromCausalLM(seededModel(tinyConfig({ pad_token_id: 1 }), 3), { pooling, rng: new Rng(4) });
}

/** Each row's per-token scores w·h_t, from the body run on that row alone (no padding at all). */
function tokenScores(reward: RewardModel, row: number[]): number[] {
  const hidden = T.noGrad(() => reward.body.forward({ inputIds: T.idTensor(row, [1, row.length]) }));
  const w = reward.head.weight.data;
  const size = w.length;
  return row.map((_, t) => w.reduce((s, wi, i) => s + wi * hidden.data[t * size + i]!, 0));
}

/** The pooled reward of one row, computed directly on the host. */
function direct(reward: RewardModel, row: number[]): number {
  const scores = tokenScores(reward, row);
  switch (reward.pooling) {
    case 'last':
      return scores[scores.length - 1]!;
    case 'mean':
    case 'token-mean':
      // score is linear and bias-free, so score(mean h) = mean score(h).
      return scores.reduce((s, v) => s + v, 0) / scores.length;
    case 'token-min':
      return Math.min(...scores);
    case 'token-sum':
      return scores.reduce((s, v) => s + v, 0);
  }
}

describe('reward model poolings', () => {
  for (const pooling of POOLINGS) {
    it(`'${pooling}' on a right-padded batch equals the direct computation on each unpadded text`, () => {
      const reward = model(pooling);
      const batched = reward.scoreRows(ROWS);
      ROWS.forEach((row, i) => assert.ok(Math.abs(batched[i]! - direct(reward, row)) < 1e-5, `row ${i}: ${batched[i]} vs ${direct(reward, row)}`));
    });
  }

  it('scores each row the same, bit for bit, whatever batch and padding it is scored in', () => {
    for (const pooling of POOLINGS) {
      const reward = model(pooling);
      const rows = [...ROWS, [7, 7], [4, 19, 2, 8, 13, 6, 21], [5]];
      assert.deepEqual(reward.scoreRows(rows, 2), rows.map((row) => reward.scoreRows([row])[0]), pooling);
    }
  });

  it("'last' is what the sequence classifier itself computes (transformers' convention)", () => {
    const reward = model('last');
    const batch = padRows(ROWS, reward.padId);
    const logits = T.noGrad(() => reward.classifier.forward({ inputIds: batch.inputIds, attentionMask: batch.attentionMask }).logits);
    const ours = reward.scoreRows(ROWS);
    logits.toArray().forEach((v, i) => assert.ok(Math.abs(v - ours[i]!) < 1e-6));
  });

  it('training modes: full, top k layers with the final norm, or the head alone', () => {
    const reward = model('mean');
    const trainable = () => reward.classifier.namedParameters().filter(([, p]) => p.requiresGrad).map(([n]) => n);
    reward.setTrainingMode({ kind: 'full' });
    assert.equal(trainable().length, reward.classifier.parameters().length);
    reward.setTrainingMode({ kind: 'top', layers: 1 });
    assert.ok(trainable().every((n) => n.startsWith('gpt_neox.layers.1.') || n.startsWith('gpt_neox.final_layer_norm.') || n === 'score.weight'));
    assert.ok(trainable().includes('gpt_neox.final_layer_norm.weight') && trainable().includes('score.weight'));
    reward.setTrainingMode({ kind: 'probe' });
    assert.deepEqual(trainable(), ['score.weight']);
    assert.throws(() => reward.setTrainingMode({ kind: 'top', layers: 3 }), /top layers must be an integer from 0 to 2/);
  });
});
