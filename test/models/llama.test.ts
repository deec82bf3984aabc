import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseConfig, type LlamaConfig } from '../../src/io/index.js';
import { KVCache } from '../../src/models/kv-cache.js';
import { LlamaForCausalLM } from '../../src/models/llama.js';
import { loadModel } from '../../src/models/load.js';
import { Rng, initWeights } from '../../src/nn/index.js';
import * as T from '../../src/tensor/index.js';
import { referenceBackend } from '../../src/tensor/reference/index.js';
import { fixtureGoldens, maxError } from '../helpers/goldens.js';
import { gradcheck } from '../helpers/gradcheck.js';

const { folder, golden, goldenTensor } = fixtureGoldens('llama-tiny');

/** Labels = input_ids shifted by one, padding ignored (golden.json's loss). */
function shiftedLabels(ids: T.Tensor, mask: T.Tensor): T.Tensor {
  const [batch, t] = ids.shape as [number, number];
  const labels = new Int32Array(batch * t).fill(-100);
  for (let b = 0; b < batch; b++) for (let i = 0; i + 1 < t; i++) if (mask.ids[b * t + i + 1]) labels[b * t + i] = ids.ids[b * t + i + 1]!;
  return T.idTensor(labels, [batch, t]);
}

/** Columns start..end-1 of an int32 [batch, t] tensor. */
function columns(ids: T.Tensor, start: number, end: number): T.Tensor {
  const [batch, t] = ids.shape as [number, number];
  const out = new Int32Array(batch * (end - start));
  for (let b = 0; b < batch; b++) out.set(ids.ids.subarray(b * t + start, b * t + end), b * (end - start));
  return T.idTensor(out, [batch, end - start]);
}

function loadFixture(): LlamaForCausalLM {
  const { model, architecture } = loadModel(folder);
  assert.equal(architecture.name, 'LlamaForCausalLM');
  assert.ok(model instanceof LlamaForCausalLM);
  return model.eval();
}

describe('LlamaForCausalLM', () => {
  it('matches transformers on llama-tiny: logits, hidden states, loss and gradients', () => {
    const model = loadFixture();
    const inputIds = goldenTensor('input_ids');
    const attentionMask = goldenTensor('attention_mask');
    const { logits, hidden } = model.forward({ inputIds, attentionMask, positionIds: goldenTensor('position_ids') });
    assert.ok(maxError(logits.data, golden.get('logits')!.data) < 1e-4, 'logits');
    assert.ok(maxError(hidden.data, golden.get('last_hidden_state')!.data) < 1e-4, 'last hidden state');
    const loss = T.crossEntropy(logits, shiftedLabels(inputIds, attentionMask));
    const expected = golden.get('loss')!.data[0]!;
    assert.ok(Math.abs(loss.item() - expected) / expected < 1e-5, `loss ${loss.item()} vs ${expected}`);
    loss.backward();
    const state = model.stateDict();
    // The tied embedding collects the head's gradient and the lookup's, except for the padding row's lookup.
    for (const name of ['model.embed_tokens.weight', 'model.norm.weight', 'model.layers.0.self_attn.k_proj.weight', 'model.layers.1.mlp.gate_proj.weight']) {
      const expectedGrad = golden.get(`grad.${name}`)!.data;
      const scale = Math.max(...expectedGrad.map(Math.abs));
      const error = maxError(state.get(name)!.grad!.data, expectedGrad) / Math.min(1, scale);
      assert.ok(error < 1e-4, `gradient of ${name}: relative error ${error}`);
    }
  });

  it('ties the head to the token embeddings: one tensor under both names, loaded from a checkpoint without lm_head', () => {
    const model = loadFixture();
    assert.equal(model.lmHead.weight, model.model.embedTokens.weight);
    const state = model.stateDict();
    assert.equal(state.get('lm_head.weight'), state.get('model.embed_tokens.weight'));
    assert.ok(!model.namedParameters().some(([name]) => name === 'lm_head.weight'), 'the tied tensor is listed once, as the embedding');
    assert.equal(model.lmHead.weight.name, 'model.embed_tokens.weight');
    const untied = new LlamaForCausalLM({ ...model.config, tieWordEmbeddings: false });
    assert.notEqual(untied.lmHead.weight, untied.model.embedTokens.weight);
  });

  it('numbers positions over the attention mask when not given them', () => {
    const model = loadFixture();
    const inputs = { inputIds: goldenTensor('input_ids'), attentionMask: goldenTensor('attention_mask') };
    const { logits } = T.noGrad(() => model.forward(inputs));
    assert.ok(maxError(logits.data, golden.get('logits')!.data) < 1e-4);
  });

  it('gives the same logits with a KV cache, one new token at a time, as in one pass', () => {
    const model = loadFixture();
    const ids = goldenTensor('input_ids');
    const mask = goldenTensor('attention_mask');
    const [batch, t] = ids.shape as [number, number];
    const full = T.noGrad(() => model.forward({ inputIds: ids, attentionMask: mask }).logits);
    const cache = new KVCache(model.config.numHiddenLayers);
    const prefix = 12;
    T.noGrad(() => model.forward({ inputIds: columns(ids, 0, prefix), attentionMask: columns(mask, 0, prefix), cache }));
    for (let i = prefix; i < t; i++) {
      const step = T.noGrad(() => model.forward({ inputIds: columns(ids, i, i + 1), attentionMask: columns(mask, 0, i + 1), cache }).logits);
      const expected = T.slice(full, 1, i, i + 1);
      assert.ok(maxError(step.data, expected.data) < 1e-4, `position ${i}`);
    }
    assert.equal(cache.length, t);
    assert.equal(batch, 3);
    cache.dispose();
  });

  it('passes a finite-difference check of every parameter gradient with grouped-query attention', () => {
    const config = parseConfig({
      model_type: 'llama', vocab_size: 7, hidden_size: 8, num_hidden_layers: 1, num_attention_heads: 4, num_key_value_heads: 2,
      intermediate_size: 12, initializer_range: 0.5, tie_word_embeddings: true, pad_token_id: null, rope_theta: 100,
    }) as LlamaConfig;
    T.withBackend(referenceBackend, () => {
      const model = new LlamaForCausalLM(config);
      initWeights(model, new Rng(5), { std: config.initializerRange });
      const inputIds = T.idTensor([[1, 4, 2, 6, 0], [3, 3, 5, 1, 2]]);
      const attentionMask = T.idTensor([[1, 1, 1, 1, 1], [0, 1, 1, 1, 1]]);
      const labels = T.idTensor([[4, 2, 6, 0, -100], [-100, 5, 1, 2, -100]]);
      gradcheck('1-layer Llama', () => T.crossEntropy(model.forward({ inputIds, attentionMask }).logits, labels), model.parameters());
    });
  });

  it('gives the padding row of the embedding no gradient from the lookup, as torch padding_idx does', () => {
    const config = parseConfig({
      model_type: 'llama', vocab_size: 6, hidden_size: 8, num_hidden_layers: 1, num_attention_heads: 2,
      intermediate_size: 8, tie_word_embeddings: false, pad_token_id: 0,
    }) as LlamaConfig;
    const model = new LlamaForCausalLM(config);
    initWeights(model, new Rng(2), { std: 0.3 });
    const embedding = model.model.embedTokens.weight;
    assert.ok(embedding.data.slice(0, 8).every((v) => v === 0), 'initialised with a zero padding row');
    embedding.data.fill(0.1, 0, 8);
    const { logits } = model.forward({ inputIds: T.idTensor([[0, 0, 3, 4]]), attentionMask: T.idTensor([[1, 1, 1, 1]]) });
    T.sum(logits).backward();
    assert.ok(embedding.grad!.data.slice(0, 8).every((v) => v === 0), 'padding row');
    assert.ok(embedding.grad!.data.slice(24, 32).some((v) => v !== 0), 'a real token');
  });
});
