import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseConfig, type LlamaConfig } from '../../src/io/config.js';
import { LlamaForCausalLM } from '../../src/models/llama.js';
import { Rng, initWeights } from '../../src/nn/index.js';
import { HydraPolicy, ValueHead, layOutBatch } from '../../src/rlhf/index.js';
import * as T from '../../src/tensor/index.js';
import { tinyPolicy } from '../helpers/tiny-policy.js';

const rows = [
  { promptIds: [5, 9, 2], responseIds: [40, 17, 3, 0] },
  { promptIds: [33], responseIds: [8] },
  { promptIds: [8, 8, 1, 60, 2], responseIds: [61, 62] },
];

/** log π(response token) from a plain full forward of one row, alone and unpadded. */
function logprobsAlone(model: ReturnType<typeof tinyPolicy>, row: (typeof rows)[number]): number[] {
  const ids = [...row.promptIds, ...row.responseIds];
  return T.tidy(() => T.noGrad(() => {
    const logProbs = T.logSoftmax(model.forward({ inputIds: T.idTensor([ids]) }).logits, -1);
    const vocab = logProbs.shape[2]!;
    return row.responseIds.map((token, i) => logProbs.data[(row.promptIds.length - 1 + i) * vocab + token]!);
  }));
}

describe('layOutBatch', () => {
  it('left-pads prompts and right-pads responses, with positions over real tokens', () => {
    const { batch, responseMask, responseLength } = layOutBatch(rows, 1);
    assert.equal(batch.promptLength, 5);
    assert.equal(responseLength, 4);
    assert.deepEqual(Array.from(batch.inputIds.ids.subarray(0, 9)), [1, 1, 5, 9, 2, 40, 17, 3, 0]);
    assert.deepEqual(Array.from(batch.attentionMask.data.subarray(9, 18)), [0, 0, 0, 0, 1, 1, 0, 0, 0]);
    assert.deepEqual(Array.from(batch.positionIds.ids.subarray(9, 15)), [1, 1, 1, 1, 0, 1]);
    assert.deepEqual(Array.from(responseMask), [1, 1, 1, 1, 1, 0, 0, 0, 1, 1, 0, 0]);
    assert.deepEqual(Array.from(batch.responseIds.ids.subarray(4, 8)), [8, 1, 1, 1]);
  });
});

describe('HydraPolicy', () => {
  for (const unfrozen of [-1, 0, 1, 3]) {
    it(`with ${unfrozen} layers unfrozen, gives the full model's log-probabilities for the policy and the reference`, () => {
      const model = tinyPolicy(3);
      const expected = rows.map((row) => logprobsAlone(model, row));
      const hydra = new HydraPolicy(model, new ValueHead(32, new Rng(1)), unfrozen);
      const { batch, responseLength } = layOutBatch(rows, 1);
      T.noGrad(() => {
        const trunk = hydra.trunk(batch);
        const policy = hydra.policyOutputs(batch, trunk, { entropy: true }).logprobs.data;
        const reference = hydra.referenceLogprobs(batch, trunk).data;
        rows.forEach((row, b) => row.responseIds.forEach((_, i) => {
          assert.ok(Math.abs(policy[b * responseLength + i]! - expected[b]![i]!) < 1e-5, `policy row ${b} token ${i}`);
          assert.ok(Math.abs(reference[b * responseLength + i]! - expected[b]![i]!) < 1e-5, `reference row ${b} token ${i}`);
        }));
      });
    });
  }

  it('copies only the top layers, and the frozen bottom gets no gradient', () => {
    const model = tinyPolicy(4);
    const hydra = new HydraPolicy(model, new ValueHead(32, new Rng(1)), 1);
    const parameters = (prefix: string) => model.namedParameters().filter(([name]) => name.startsWith(prefix)).reduce((n, [, p]) => n + p.size, 0);
    assert.equal(hydra.referenceParameterCount, parameters('gpt_neox.layers.2.') + parameters('gpt_neox.final_layer_norm.') + parameters('embed_out.'));
    const { batch, responseMask } = layOutBatch(rows, 1);
    T.tidy(() => {
      const out = hydra.policyOutputs(batch, hydra.trunk(batch));
      T.sum(T.mul(T.add(out.logprobs, out.values), T.tensor(responseMask, out.values.shape))).backward();
    });
    for (const [name, p] of hydra.trainable.namedParameters()) {
      const trains = /layers\.2\.|final_layer_norm|embed_out|v_head/.test(name);
      assert.equal(p.requiresGrad, trains, name);
      assert.equal(p.grad !== null, trains, `${name} gradient`);
    }
  });

  it('keeps the reference at the starting policy while the policy changes', () => {
    const model = tinyPolicy(5);
    const hydra = new HydraPolicy(model, new ValueHead(32, new Rng(1)), 2);
    const { batch } = layOutBatch(rows, 1);
    const before = T.noGrad(() => hydra.referenceLogprobs(batch, hydra.trunk(batch)).data.slice());
    for (const p of hydra.trainable.parameters()) if (p.requiresGrad) p.data.forEach((v, i) => (p.data[i] = v * 1.5));
    const after = T.noGrad(() => ({ reference: hydra.referenceLogprobs(batch, hydra.trunk(batch)).data, policy: hydra.policyOutputs(batch, hydra.trunk(batch)).logprobs.data }));
    assert.deepEqual(Array.from(after.reference), Array.from(before));
    assert.notDeepEqual(Array.from(after.policy), Array.from(before));
  });

  it('keeps a head tied to the frozen embedding frozen, so the trunk cannot move under the reference (Llama)', () => {
    const config = parseConfig({
      model_type: 'llama', vocab_size: 80, hidden_size: 16, num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2,
      intermediate_size: 32, tie_word_embeddings: true, max_position_embeddings: 64,
    }) as LlamaConfig;
    const model = new LlamaForCausalLM(config);
    initWeights(model, new Rng(6), { std: 0.2 });
    const expected = rows.map((row) => logprobsAlone(model as never, row));
    const hydra = new HydraPolicy(model, new ValueHead(16, new Rng(1)), 1);
    assert.equal(model.model.embedTokens.weight.requiresGrad, false);
    const { batch, responseLength } = layOutBatch(rows, 1);
    const reference = T.noGrad(() => hydra.referenceLogprobs(batch, hydra.trunk(batch)).data);
    rows.forEach((row, b) => row.responseIds.forEach((_, i) => assert.ok(Math.abs(reference[b * responseLength + i]! - expected[b]![i]!) < 1e-5)));
  });
});
