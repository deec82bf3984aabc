import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { auroc } from '../../src/eval/index.js';
import { FrozenFeatures, IrlOptionsError, RewardModel, TooFewDemonstrationsError, trainReward, trainRewardSeeds, type Pooling, type RewardRows, type TrainRewardOptions } from '../../src/irl/index.js';
import { Rng } from '../../src/nn/index.js';
import { TrainingDivergedError } from '../../src/train/index.js';
import { seededModel, tinyConfig } from '../helpers/tiny-gpt.js';
import { markerSplits } from './marker-task.js';

const config = tinyConfig({ pad_token_id: 1 });
const base = seededModel(config, 21);
const newModel = (pooling: Pooling, seed: number) => RewardModel.fromCausalLM(base, { pooling, rng: new Rng(seed).fork('head') });
const data = markerSplits(80);

/** AUROC of expert (positive ground truth) against baseline texts: P(baseline scores below expert). */
function heldOutAuroc(model: RewardModel, rows: RewardRows): number {
  return auroc(rows.groundTruth, model.scoreRows(rows.rows))!;
}

const options = (overrides: Partial<TrainRewardOptions>): TrainRewardOptions => ({
  objective: { name: 'max-margin', l2: 0.01 }, mode: { kind: 'full' }, train: data.train, validation: data.validation,
  epochs: 12, batchSize: 8, learningRate: 1e-2, seed: 0, ...overrides,
});

describe('reward learning on a marker task', () => {
  for (const [pooling, objective] of [['last', 'max-margin'], ['mean', 'logistic']] as const) {
    it(`recovers a reward that ranks held-out expert texts first ('${pooling}' pooling, ${objective}, whole backbone)`, (t) => {
      const model = newModel(pooling, 1);
      const untrained = heldOutAuroc(model, data.test);
      const result = trainReward(model, options({ objective: { name: objective, l2: 0.01 } }));
      const trained = heldOutAuroc(model, data.test);
      t.diagnostic(`test AUROC untrained ${untrained.toFixed(3)}, trained ${trained.toFixed(3)} (best epoch ${result.bestEpoch} of ${result.epochs.length}, ${data.train.pairs.length} training pairs, ${data.test.rows.length} test texts)`);
      assert.ok(trained > 0.9, `trained AUROC ${trained}`);
      assert.ok(Math.abs(untrained - 0.5) < 0.25, `untrained AUROC ${untrained} should be near chance`);
      assert.ok(result.epochs.every((e) => Number.isFinite(e.validationLoss)));
      assert.equal(result.bestValidationLoss, Math.min(...result.epochs.map((e) => e.validationLoss)), 'the kept epoch is the one best on validation');
    });
  }

  for (const pooling of ['last', 'token-min'] as const) {
    it(`the linear probe on cached features trains the head exactly as live features do ('${pooling}')`, (t) => {
      const live = newModel(pooling, 2);
      const probe = newModel(pooling, 2);
      const liveResult = trainReward(live, options({ mode: { kind: 'top', layers: 0 }, epochs: 3 }));
      const probeResult = trainReward(probe, options({ mode: { kind: 'probe' }, epochs: 3 }));
      const a = live.head.weight.data;
      const b = probe.head.weight.data;
      const worst = a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);
      t.diagnostic(`max |head(live) − head(probe)| = ${worst.toExponential(2)}`);
      assert.ok(worst <= 1e-5);
      probeResult.epochs.forEach((e, i) => assert.ok(Math.abs(e.validationLoss - liveResult.epochs[i]!.validationLoss) < 1e-5));
    });
  }

  it('an epoch of the probe costs a small fraction of an epoch through the backbone (measured, not asserted)', (t) => {
    // A backbone a little less tiny than the others, so that the ratio says something about real models.
    const wider = seededModel(tinyConfig({ pad_token_id: 1, hidden_size: 128, intermediate_size: 512, num_hidden_layers: 4 }), 5);
    const make = () => RewardModel.fromCausalLM(wider, { pooling: 'last', rng: new Rng(3) });
    const perEpoch = (r: { epochs: { seconds: number }[] }) => r.epochs.reduce((s, e) => s + e.seconds, 0) / r.epochs.length;
    const full = perEpoch(trainReward(make(), options({ epochs: 2 })));
    const probeModel = make();
    const began = performance.now();
    const features = new FrozenFeatures();
    features.of(probeModel, data.train.rows);
    features.of(probeModel, data.validation.rows);
    const cacheSeconds = (performance.now() - began) / 1000;
    const probe = perEpoch(trainReward(probeModel, options({ mode: { kind: 'probe' }, epochs: 2, features })));
    t.diagnostic(`seconds per epoch (${data.train.pairs.length} pairs): whole backbone ${full.toFixed(4)}, probe ${probe.toFixed(4)}, ratio ${(full / probe).toFixed(1)}×; caching the features once took ${cacheSeconds.toFixed(3)} s`);
  });

  it('trains one model per seed, reusing one feature cache in probe mode', () => {
    const seen: number[] = [];
    const results = trainRewardSeeds(3, (seed) => newModel('mean', seed), { ...options({ mode: { kind: 'probe' }, epochs: 2 }) }, ({ seed, model }) => {
      seen.push(seed);
      assert.equal(model.pooling, 'mean');
    });
    assert.deepEqual(seen, [0, 1, 2]);
    assert.equal(results.length, 3);
    assert.throws(() => trainRewardSeeds(0, (seed) => newModel('mean', seed), options({}), () => {}), IrlOptionsError);
  });

  it('stops at the step whose loss is NaN, numbering steps across epochs, and names the tensor', () => {
    const model = newModel('last', 4);
    const stepsPerEpoch = Math.ceil(data.train.pairs.length / 8);
    assert.throws(() => trainReward(model, options({ epochs: 3, onEpoch: (e) => e.epoch === 1 && model.head.weight.data.fill(NaN) })), (error: unknown) => {
      assert.ok(error instanceof TrainingDivergedError);
      assert.deepEqual([error.step, error.tensor, error.lastCheckpoint], [stepsPerEpoch + 1, 'loss', null]);
      assert.match(error.message, new RegExp(`^the training loss is NaN at step ${stepsPerEpoch + 1} of reward-model training \\(tensor 'loss'; learning rate 0\\.0100 at its peak\\)`));
      assert.match(error.message, /add an l2 penalty/);
      return true;
    });
  });

  it('an absurd learning rate whose one step leaves NaN weights stops the run rather than keeping them as the best epoch', () => {
    // One epoch of one step: its loss is finite, and the NaN it leaves shows only in the validation loss.
    const oneStep = options({ mode: { kind: 'probe' }, learningRate: 1e38, maxGradNorm: null, epochs: 1, batchSize: data.train.pairs.length });
    assert.throws(() => trainReward(newModel('last', 5), oneStep), (error: unknown) => {
      assert.ok(error instanceof TrainingDivergedError, String(error));
      assert.deepEqual([error.step, error.tensor], [1, 'validationLoss']);
      assert.match(error.message, /^the validation loss is (NaN|Infinity) at step 1 of reward-model training \(tensor 'validationLoss'; learning rate 1\.00e\+38 at its peak\)/);
      return true;
    });
  });

  it('refuses a split without pairs', () => {
    const empty: RewardRows = { rows: [], fromExpert: [], groundTruth: [], pairs: [] };
    assert.throws(() => trainReward(newModel('last', 0), options({ validation: empty })), TooFewDemonstrationsError);
  });
});
