// FrozenFeatures: scoring texts with a head on a frozen backbone's cached features gives what
// running the reward model gives, bit for bit, for every pooling; caches are built once per
// (pooling, rows) and shared; and no backend buffer is left behind (IRLENS_STRICT=1, set before
// the engine loads).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

process.env.IRLENS_STRICT = '1';
const T = await import('../../src/tensor/index.js');
const { FrozenFeatures, POOLINGS, RewardModel, trainReward } = await import('../../src/irl/index.js');
const { Rng } = await import('../../src/nn/index.js');
const { seededModel, tinyConfig } = await import('../helpers/tiny-gpt.js');
const { markerSplits } = await import('./marker-task.js');

type Pooling = (typeof POOLINGS)[number];

const base = seededModel(tinyConfig({ pad_token_id: 1 }), 21);
const newModel = (pooling: Pooling, seed: number) => RewardModel.fromCausalLM(base, { pooling, rng: new Rng(seed).fork('head') });
// Texts of 6 to 10 tokens; the test split's ~100 spans several batches of 16, the last one short.
const data = markerSplits(80);

describe('FrozenFeatures', () => {
  for (const pooling of POOLINGS) {
    it(`scores as scoreRows does, bit for bit, with a trained probe's head and an untrained one ('${pooling}')`, () => {
      const features = new FrozenFeatures();
      const probe = newModel(pooling, 1);
      trainReward(probe, {
        objective: { name: 'logistic' }, mode: { kind: 'probe' }, features, train: data.train, validation: data.validation, epochs: 2, batchSize: 8, learningRate: 1e-2, seed: 0,
      });
      const random = newModel(pooling, 2);
      const live = T.liveBufferCount();
      for (const [name, model] of [['probe', probe], ['random head', random]] as const) {
        for (const rows of [data.validation.rows, data.test.rows]) assert.deepEqual(features.scoreRows(model, rows), model.scoreRows(rows), `${name}, ${rows.length} texts`);
      }
      assert.equal(T.liveBufferCount(), live, 'no buffer left unreleased');
      [probe, random].forEach((model) => model.classifier.dispose());
    });
  }

  it('builds the features of a (pooling, rows) once, from whichever model asks first, until released', () => {
    const features = new FrozenFeatures();
    const rows = data.validation.rows;
    const [a, b] = [newModel('mean', 3), newModel('mean', 4)];
    const cache = features.of(a, rows);
    assert.equal(features.of(b, rows), cache);
    assert.notEqual(features.of(newModel('last', 3), rows), cache, 'another pooling, other features');
    assert.notEqual(features.of(a, [...rows]), cache, 'rows are known by identity');
    features.release('mean');
    assert.notEqual(features.of(a, rows), cache);
  });
});
