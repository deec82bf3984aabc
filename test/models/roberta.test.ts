import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ModelInputError } from '../../src/models/errors.js';
import { loadModel } from '../../src/models/load.js';
import { RobertaForSequenceClassification, robertaPositions } from '../../src/models/roberta.js';
import { Rng } from '../../src/nn/index.js';
import * as T from '../../src/tensor/index.js';
import { fixtureGoldens, maxError } from '../helpers/goldens.js';

const { folder, golden, goldenTensor } = fixtureGoldens('roberta-tiny-classifier');

function loadFixture(): RobertaForSequenceClassification {
  const { model, architecture } = loadModel(folder);
  assert.equal(architecture.name, 'RobertaForSequenceClassification');
  assert.equal(architecture.kind, 'sequence-classifier');
  assert.ok(model instanceof RobertaForSequenceClassification);
  return model.eval();
}

/** Row b of the golden batch without its padding, as a batch of one. */
function goldenRow(b: number): { inputIds: T.Tensor; attentionMask: T.Tensor } {
  const ids = golden.get('input_ids')!;
  const mask = golden.get('attention_mask')!;
  const t = ids.shape[1]!;
  const real = [...mask.data.subarray(b * t, (b + 1) * t)].filter((m) => m !== 0).length;
  return {
    inputIds: T.idTensor(Int32Array.from(ids.data.subarray(b * t, b * t + real)), [1, real]),
    attentionMask: T.idTensor(new Int32Array(real).fill(1), [1, real]),
  };
}

describe('RobertaForSequenceClassification', () => {
  it('matches transformers on roberta-tiny-classifier: logits, hidden states, loss and gradients', () => {
    const model = loadFixture();
    const { logits, hidden } = model.forward({ inputIds: goldenTensor('input_ids'), attentionMask: goldenTensor('attention_mask') });
    assert.deepEqual(logits.shape, [4, 2]);
    assert.ok(maxError(logits.data, golden.get('logits')!.data) < 1e-4, 'logits');
    assert.ok(maxError(hidden.data, golden.get('last_hidden_state')!.data) < 1e-4, 'last hidden state');
    const loss = T.crossEntropy(logits, goldenTensor('labels'));
    const expected = golden.get('loss')!.data[0]!;
    assert.ok(Math.abs(loss.item() - expected) / expected < 1e-5, `loss ${loss.item()} vs ${expected}`);
    loss.backward();
    const state = model.stateDict();
    for (const name of [
      'classifier.out_proj.weight',
      'classifier.dense.weight',
      'roberta.encoder.layer.0.attention.self.query.weight',
      'roberta.encoder.layer.1.output.LayerNorm.weight',
      'roberta.embeddings.word_embeddings.weight',
      'roberta.embeddings.position_embeddings.weight',
    ]) {
      const expectedGrad = golden.get(`grad.${name}`)!.data;
      const scale = Math.max(...expectedGrad.map(Math.abs));
      const error = maxError(state.get(name)!.grad!.data, expectedGrad) / Math.min(1, scale);
      assert.ok(error < 1e-4, `gradient of ${name}: relative error ${error}`);
    }
  });

  it('numbers positions after the padding id, counting only real tokens', () => {
    const positions = robertaPositions(T.idTensor([[0, 7, 8, 2, 1, 1], [0, 9, 2, 1, 1, 1]]), 1);
    assert.deepEqual([...positions.ids], [2, 3, 4, 5, 1, 1, 2, 3, 4, 1, 1, 1]);
  });

  it('classifies a text the same alone as inside a padded batch', () => {
    const model = loadFixture();
    const batch = T.noGrad(() => model.forward({ inputIds: goldenTensor('input_ids'), attentionMask: goldenTensor('attention_mask') }).logits);
    for (const b of [1, 3]) {
      const alone = T.noGrad(() => model.forward(goldenRow(b)).logits);
      assert.ok(maxError(alone.data, batch.data.subarray(b * 2, b * 2 + 2)) < 1e-5, `row ${b}`);
    }
  });

  it('refuses a text longer than its position embeddings allow, saying how long it may be', () => {
    const model = loadFixture();
    const tooLong = T.idTensor(new Int32Array(129).fill(5), [1, 129]);
    assert.throws(() => model.forward({ inputIds: tooLong }), (error: unknown) => error instanceof ModelInputError && /at most 128/.test(error.message));
    assert.doesNotThrow(() => T.noGrad(() => model.forward({ inputIds: T.idTensor(new Int32Array(128).fill(5), [1, 128]) })));
  });

  it('applies hidden dropout only in training and only when given a dropout rng', () => {
    const loaded = loadFixture();
    const config = { ...loaded.config, hiddenDropoutProb: 0.3 };
    const inputs = goldenRow(0);
    const withRng = new RobertaForSequenceClassification(config, { dropoutRng: new Rng(3) });
    const withoutRng = new RobertaForSequenceClassification(config);
    withRng.loadStateDict(loaded.stateDict());
    withoutRng.loadStateDict(loaded.stateDict());
    const reference = T.noGrad(() => loaded.forward(inputs).logits.toArray());
    const run = (model: RobertaForSequenceClassification) => T.noGrad(() => model.forward(inputs).logits.toArray());
    assert.deepEqual(run(withoutRng.train()), reference, 'no rng: never drops out');
    assert.notDeepEqual(run(withRng.train()), reference, 'rng and training: drops out');
    assert.deepEqual(run(withRng.eval()), reference, 'eval: identity');
  });
});
