import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { writeConfig, writeSafetensors, type TensorMap } from '../../src/io/index.js';
import { ModelInputError } from '../../src/models/errors.js';
import { GPTNeoXForCausalLM } from '../../src/models/gpt-neox.js';
import { LlamaForCausalLM } from '../../src/models/llama.js';
import { loadModel } from '../../src/models/load.js';
import {
  GPTNeoXForSequenceClassification,
  LlamaForSequenceClassification,
  lastTokenIndices,
  type SequenceClassifierInputs,
  type SequenceClassifierOutputs,
} from '../../src/models/sequence-classification.js';
import { Rng, type Module } from '../../src/nn/index.js';
import * as T from '../../src/tensor/index.js';
import { fixture } from '../helpers/fixtures.js';

type Classifier = Module & { forward(inputs: SequenceClassifierInputs): SequenceClassifierOutputs };

function rewardModels(): { name: string; lm: GPTNeoXForCausalLM | LlamaForCausalLM; reward: Classifier; backbone: string }[] {
  const neox = loadModel(fixture('gpt-neox-tiny')).model as GPTNeoXForCausalLM;
  const llama = loadModel(fixture('llama-tiny')).model as LlamaForCausalLM;
  return [
    { name: 'GPT-NeoX', lm: neox, reward: GPTNeoXForSequenceClassification.fromCausalLM(neox, { rng: new Rng(1) }), backbone: 'gpt_neox' },
    { name: 'Llama', lm: llama, reward: LlamaForSequenceClassification.fromCausalLM(llama, { rng: new Rng(1) }), backbone: 'model' },
  ];
}

const texts = [
  [11, 12, 13, 14, 15, 16],
  [21, 22, 23],
  [31, 32, 33, 34, 35],
];
const PAD = 1;

/** The texts padded to one length on the given side, with their attention mask. */
function padded(side: 'left' | 'right'): SequenceClassifierInputs {
  const t = Math.max(...texts.map((row) => row.length));
  const ids: number[] = [];
  const mask: number[] = [];
  for (const row of texts) {
    const pad = new Array<number>(t - row.length).fill(PAD);
    const real = new Array<number>(row.length).fill(1);
    const none = new Array<number>(t - row.length).fill(0);
    ids.push(...(side === 'left' ? [...pad, ...row] : [...row, ...pad]));
    mask.push(...(side === 'left' ? [...none, ...real] : [...real, ...none]));
  }
  return { inputIds: T.idTensor(ids, [texts.length, t]), attentionMask: T.idTensor(mask, [texts.length, t]) };
}

function maxDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst;
}

describe('sequence-classification heads on causal LMs (reward / value models)', () => {
  it('start from a copy of the loaded LM body, with a transformers-shaped score head and config', () => {
    for (const { name, lm, reward, backbone } of rewardModels()) {
      const own = reward.stateDict();
      const body = [...lm.stateDict()].filter(([key]) => key.startsWith(`${backbone}.`));
      assert.equal(own.size, body.length + 1, `${name}: the body's parameters and score.weight`);
      for (const [key, tensor] of body) {
        const copy = own.get(key);
        assert.ok(copy, `${name}: ${key}`);
        assert.notEqual(copy, tensor, `${name}: ${key} is a copy, so training the reward model leaves the LM alone`);
        assert.deepEqual(copy.data, tensor.data, `${name}: ${key} has the LM's values`);
      }
      const score = own.get('score.weight')!;
      assert.deepEqual(score.shape, [1, lm.config.hiddenSize]);
      assert.ok(score.data.some((v) => v !== 0), `${name}: score drawn from the rng`);
      const config = (reward as unknown as { config: typeof lm.config }).config;
      assert.equal(config.numLabels, 1);
      assert.deepEqual(config.architectures, [`${name === 'Llama' ? 'Llama' : 'GPTNeoX'}ForSequenceClassification`]);
      assert.deepEqual(config.id2label, { 0: 'LABEL_0' });
    }
  });

  it('read the score at the last real token: left and right padding give the same logits as each text alone', () => {
    for (const { name, reward } of rewardModels()) {
      reward.eval();
      const right = T.noGrad(() => reward.forward(padded('right')));
      const left = T.noGrad(() => reward.forward(padded('left')));
      assert.deepEqual(right.logits.shape, [3, 1]);
      assert.ok(maxDifference(right.logits.data, left.logits.data) < 1e-5, `${name}: left vs right padding`);
      texts.forEach((row, b) => {
        const alone = T.noGrad(() => reward.forward({ inputIds: T.idTensor([row]) }).logits);
        assert.ok(Math.abs(alone.data[0]! - right.logits.data[b]!) < 1e-5, `${name}: text ${b} alone`);
      });
    }
  });

  it('pass gradients to the body and the score head, and none to the LM they came from', () => {
    for (const { name, lm, reward, backbone } of rewardModels()) {
      const { logits } = reward.forward(padded('left'));
      // The max-margin loss: first text as expert, second as baseline.
      const margin = T.sub(T.slice(logits, 0, 0, 1), T.slice(logits, 0, 1, 2));
      T.neg(T.sum(margin)).backward();
      const state = reward.stateDict();
      for (const key of ['score.weight', `${backbone}.layers.0.${name === 'Llama' ? 'self_attn.q_proj' : 'attention.query_key_value'}.weight`]) {
        assert.ok(state.get(key)!.grad?.data.some((v) => v !== 0), `${name}: ${key} has a gradient`);
      }
      assert.ok(lm.parameters().every((p) => p.grad === null), `${name}: the LM's own parameters got no gradient`);
    }
  });

  it('save and load through the registry as transformers names them', () => {
    const folder = mkdtempSync(join(tmpdir(), 'irlens-reward-'));
    try {
      for (const { reward } of rewardModels()) {
        const config = (reward as unknown as { config: Parameters<typeof writeConfig>[1] }).config;
        const weights: TensorMap = new Map([...reward.stateDict()].map(([key, t]) => [key, { dtype: 'float32', shape: [...t.shape], data: t.data }]));
        writeSafetensors(join(folder, 'model.safetensors'), weights);
        writeConfig(folder, config);
        const loaded = loadModel(folder);
        assert.equal(loaded.architecture.name, config.architectures[0]);
        assert.equal(loaded.architecture.kind, 'sequence-classifier');
        const inputs = padded('right');
        const before = T.noGrad(() => reward.forward(inputs).logits.toArray());
        const after = T.noGrad(() => (loaded.model as Classifier).forward(inputs).logits.toArray());
        assert.deepEqual(after, before);
      }
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it('take the last real token from the attention mask, and refuse a row with none', () => {
    const ids = T.idTensor([[5, 6, 1, 1], [1, 1, 5, 6], [5, 6, 7, 8]]);
    assert.deepEqual(lastTokenIndices('test', ids, T.idTensor([[1, 1, 0, 0], [0, 0, 1, 1], [1, 1, 1, 1]])), [1, 3, 3]);
    assert.deepEqual(lastTokenIndices('test', ids), [3, 3, 3]);
    const { reward } = rewardModels()[0]!;
    assert.throws(
      () => reward!.forward({ inputIds: T.idTensor([[5, 6], [1, 1]]), attentionMask: T.idTensor([[1, 1], [0, 0]]) }),
      (error: unknown) => error instanceof ModelInputError && /row 1 .* no real token/.test(error.message),
    );
  });
});
