import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  TrainCheckpointError, TrainDataError, TrainOptionsError, TrainingDivergedError, loadLatestTrainingCheckpoint, trainCausalLM,
  type CheckpointPlace, type TrainCausalLMOptions, type TrainMetrics,
} from '../../src/train/index.js';
import { seededModel, tinyConfig } from '../helpers/tiny-gpt.js';
import { assertOnlyCheckpoint, gptTokenizer, sameBits, temporaryDir, weightsOf, withoutTiming } from './helpers.js';

const tokenizer = gptTokenizer();
const config = tinyConfig({ vocab_size: tokenizer.vocabSize });
const sentence = 'the quick brown fox jumps over the lazy dog.';
const texts = Array.from({ length: 40 }, () => sentence);

/** A short run on the repeated sentence; overrides change any option. */
function options(overrides: Partial<TrainCausalLMOptions> = {}): TrainCausalLMOptions {
  return {
    model: seededModel(config, 1), tokenizer, texts, blockSize: 16, batchSize: 4, maxSteps: 24, learningRate: 1e-2,
    warmupSteps: 3, evalEvery: 5, seed: 3, ...overrides,
  };
}

describe('trainCausalLM', () => {
  it('learns a short repeated text: held-out loss falls from ~log(vocab) below 0.1 within 60 steps', () => {
    const metrics: TrainMetrics[] = [];
    const progress: number[] = [];
    const result = trainCausalLM(options({ batchSize: 8, maxSteps: 60, evalEvery: 20, onMetrics: (m) => metrics.push(m), onProgress: (p) => progress.push(p.step) }));
    assert.ok(metrics[0]!.loss > 5, `the first loss is near log(512) = 6.2, got ${metrics[0]!.loss}`);
    assert.ok(result.evalLoss! < 0.1, `final held-out loss ${result.evalLoss}`);
    assert.ok(result.loss < 0.1, `final training loss ${result.loss}`);
    assert.equal(result.steps, 60);
    assert.deepEqual(metrics.filter((m) => m.evalLoss !== undefined).map((m) => m.step), [20, 40, 60]);
    assert.deepEqual(progress, Array.from({ length: 60 }, (_, i) => i + 1));
    assert.equal(metrics[0]!.lr, 0, 'linear warm-up starts at 0');
    assert.ok(Math.abs(metrics[3]!.lr - 1e-2) < 1e-12, 'and reaches the peak after warmupSteps');
    assert.ok(metrics[59]!.lr < 1e-4, 'cosine decay ends near 0');
    assert.ok(metrics.every((m) => m.tokensPerSecond > 0 && m.gradNorm > 0));
    // Each epoch ends with a partial batch: whole epochs of every block, then full batches.
    const batchesPerEpoch = Math.ceil(result.trainExamples / 8);
    assert.equal(result.tokensSeen, (Math.floor(60 / batchesPerEpoch) * result.trainExamples + (60 % batchesPerEpoch) * 8) * 16);
    assert.ok(result.evalExamples > 0 && result.trainExamples > result.evalExamples);
  });

  it('stopped by an AbortSignal and resumed, gives the same weights and metrics bit for bit as an uninterrupted run', () => {
    const straight: TrainMetrics[] = [];
    const reference = options({ onMetrics: (m) => straight.push(m) });
    const expected = trainCausalLM(reference);

    const dir = temporaryDir();
    const seen: TrainMetrics[] = [];
    const controller = new AbortController();
    const first = options({ checkpointDir: dir, checkpointEvery: 10, signal: controller.signal, onMetrics: (m) => seen.push(m), onProgress: (p) => p.step === 13 && controller.abort() });
    assert.throws(() => trainCausalLM(first), (error: unknown) => (error as Error).name === 'AbortError');
    assert.deepEqual(readdirSync(dir), ['step-00000013'], 'stopping saved a checkpoint at step 13 and removed the one at 10');

    let resumedAt: number | undefined;
    // A fresh model with other weights: the checkpoint's weights replace them.
    const second = options({ model: seededModel(config, 99), checkpointDir: dir, checkpointEvery: 10, onMetrics: (m) => seen.push(m), onResume: (s) => (resumedAt = s) });
    const result = trainCausalLM(second);
    assert.equal(resumedAt, 13);
    assert.equal(result.resumedFromStep, 13);
    assert.ok(sameBits(weightsOf(second.model), weightsOf(reference.model)), 'identical final weights');
    assert.deepEqual(seen.map(withoutTiming), straight.map(withoutTiming), 'identical metrics, step by step');
    assert.deepEqual({ ...result, resumedFromStep: null }, expected);
  });

  it('killed between checkpoints, redoes the steps since the last one and still ends bit-identical', () => {
    const reference = options();
    trainCausalLM(reference);
    const dir = temporaryDir();
    const byStep = new Map<number, TrainMetrics>();
    const crash = options({
      checkpointDir: dir, checkpointEvery: 5, onMetrics: (m) => byStep.set(m.step, m),
      onProgress: (p) => {
        if (p.step === 17) throw new Error('simulated crash');
      },
    });
    assert.throws(() => trainCausalLM(crash), /simulated crash/);
    const resumed = options({ model: seededModel(config, 5), checkpointDir: dir, checkpointEvery: 5, onMetrics: (m) => byStep.set(m.step, m) });
    assert.equal(trainCausalLM(resumed).resumedFromStep, 15);
    assert.ok(sameBits(weightsOf(resumed.model), weightsOf(reference.model)));
    assert.equal(byStep.size, 24);

    // A finished run's checkpoint resumes to nothing left to do: the same result, no step taken.
    let steps = 0;
    const again = options({ model: seededModel(config, 6), checkpointDir: dir, onMetrics: () => steps++ });
    const result = trainCausalLM(again);
    assert.equal(steps, 0);
    assert.equal(result.steps, 24);
    assert.ok(sameBits(weightsOf(again.model), weightsOf(reference.model)));
  });

  it('refuses to resume a checkpoint made with other settings or data, naming what differs', () => {
    const dir = temporaryDir();
    trainCausalLM(options({ maxSteps: 3, checkpointDir: dir }));
    assert.throws(
      () => trainCausalLM(options({ maxSteps: 3, checkpointDir: dir, batchSize: 8 })),
      (error: unknown) => error instanceof TrainCheckpointError && /batchSize: 4 then, 8 now/.test(error.message) && /delete the checkpoint folder/.test(error.message),
    );
    assert.throws(
      () => trainCausalLM(options({ maxSteps: 3, checkpointDir: dir, texts: texts.map((t) => t.toUpperCase()) })),
      (error: unknown) => error instanceof TrainCheckpointError && /data:/.test(error.message),
    );
  });

  it('stops with a typed error naming the step, the tensor and the learning rate when the loss turns NaN', () => {
    const poisoned = options();
    poisoned.model.namedParameters().find(([name]) => name.endsWith('embed_out.weight'))![1].data[7] = NaN;
    assert.throws(() => trainCausalLM(poisoned), (error: unknown) => {
      assert.ok(error instanceof TrainingDivergedError);
      assert.equal(error.step, 1);
      assert.equal(error.tensor, 'loss');
      assert.match(error.message, /^the loss is NaN at step 1 of causal-lm training \(tensor 'loss'; learning rate 0\.0100 at its peak\): training diverged/);
      assert.match(error.message, /Lower the learning rate/);
      assert.equal(error.lastCheckpoint, null);
      return true;
    });
  });

  describe('a parameter turned NaN mid-run (as a bad kernel or memory fault would)', () => {
    const poison = (model: TrainCausalLMOptions['model']) => (model.namedParameters().find(([name]) => name.endsWith('.dense.weight'))![1].data[0] = NaN);

    it('after a checkpoint: the next loss stops the run, and that checkpoint is kept as it was and resumes', () => {
      const dir = temporaryDir();
      const run = options({ maxSteps: 6, warmupSteps: 0, checkpointDir: dir, checkpointEvery: 1 });
      let atStep3 = new Map<string, Float32Array>();
      run.onProgress = (p) => {
        if (p.step !== 3) return;
        atStep3 = weightsOf(run.model);
        poison(run.model);
      };
      assert.throws(() => trainCausalLM(run), (error: unknown) => {
        assert.ok(error instanceof TrainingDivergedError);
        assert.deepEqual([error.step, error.tensor, error.value], [4, 'loss', NaN]);
        assert.match(error.message, /^the loss is NaN at step 4 of causal-lm training \(tensor 'loss'/);
        assert.ok(error.message.endsWith(`The last good checkpoint, from step 3, is ${join(dir, 'step-00000003')}.`), error.message);
        return true;
      });
      assertOnlyCheckpoint(dir, 3, atStep3);
      const resumed = trainCausalLM(options({ maxSteps: 6, warmupSteps: 0, checkpointDir: dir, checkpointEvery: 1 }));
      assert.equal(resumed.resumedFromStep, 3);
      assert.ok(Number.isFinite(resumed.loss));
    });

    it('before a checkpoint: the weights are checked first, so no checkpoint holding NaN is written', () => {
      const dir = temporaryDir();
      const run = options({ maxSteps: 6, warmupSteps: 0, checkpointDir: dir, checkpointEvery: 1 });
      let atStep2 = new Map<string, Float32Array>();
      run.onMetrics = (m) => {
        if (m.step === 2) atStep2 = weightsOf(run.model);
        if (m.step === 3) poison(run.model);
      };
      assert.throws(() => trainCausalLM(run), (error: unknown) => {
        assert.ok(error instanceof TrainingDivergedError);
        assert.deepEqual([error.step, error.tensor], [3, 'gpt_neox.layers.0.attention.dense.weight']);
        assert.match(error.message, /^a weight is NaN at step 3 of causal-lm training \(tensor 'gpt_neox\.layers\.0\.attention\.dense\.weight'/);
        assert.equal(error.lastCheckpoint?.step, 2);
        return true;
      });
      assertOnlyCheckpoint(dir, 2, atStep2);
    });

    it('without a checkpoint folder, the run still refuses to finish with NaN weights', () => {
      const run = options({ maxSteps: 3, evalEvery: 0 });
      run.onMetrics = (m) => m.step === 3 && poison(run.model);
      assert.throws(() => trainCausalLM(run), (error: unknown) => error instanceof TrainingDivergedError && error.step === 3 && /^a weight is NaN/.test(error.message));
    });
  });

  it('an absurd learning rate diverges after its warm-up begins, and the checkpoint before it is the only one left, with finite weights', () => {
    const dir = temporaryDir();
    const huge = options({ learningRate: 1e38, warmupSteps: 3, maxGradNorm: null, checkpointDir: dir, checkpointEvery: 1 });
    let lastGood: CheckpointPlace | null = null;
    assert.throws(() => trainCausalLM(huge), (error: unknown) => {
      assert.ok(error instanceof TrainingDivergedError, String(error));
      assert.ok(error.step > 1, 'the warm-up begins at a learning rate of 0');
      assert.match(error.message, new RegExp(`at step ${error.step} of causal-lm training \\(tensor '[^']+'; learning rate 1\\.00e\\+38 at its peak\\)`));
      lastGood = error.lastCheckpoint;
      assert.equal(lastGood?.step, error.step - 1);
      assert.ok(error.message.includes(lastGood!.dir), 'the message points at the last good checkpoint');
      return true;
    });
    const saved = loadLatestTrainingCheckpoint(dir)!;
    assert.deepEqual({ step: saved.step, dir: saved.dir }, lastGood);
    assert.equal(readdirSync(dir).length, 1);
    for (const [name, record] of saved.weights) assert.ok((record.data as Float32Array).every(Number.isFinite), `${name} is finite`);
  });

  it('says what is wrong with unusable data and options', () => {
    const fails = (overrides: Partial<TrainCausalLMOptions>, type: new (...args: never[]) => Error, pattern: RegExp) =>
      assert.throws(() => trainCausalLM(options(overrides)), (error: unknown) => error instanceof type && pattern.test((error as Error).message));
    fails({ texts: [] }, TrainDataError, /no training texts/);
    fails({ texts: ['a b'], evalFraction: 0 }, TrainDataError, /too few for one block of 16/);
    fails({ texts: texts.slice(0, 6), blockSize: 64 }, TrainDataError, /held-out texts make \d+ tokens/);
    fails({ tokenizer: undefined }, TrainOptionsError, /a tokenizer is needed/);
    fails({ batchSize: 0 }, TrainOptionsError, /batchSize must be a positive integer/);
    fails({ warmupSteps: 50 }, TrainOptionsError, /warmupSteps \(50\) is longer than the whole run/);
    fails({ blockSize: 4096 }, TrainOptionsError, /max_position_embeddings/);
    fails({ texts: undefined, documents: [[1, 2, 3, 600, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18]], evalFraction: 0 }, TrainDataError, /token id 600, outside the model's vocabulary/);
  });

  it('trains on pre-tokenised documents and explicit held-out documents', () => {
    const docs = texts.map((t) => tokenizer.encode(t));
    const result = trainCausalLM(options({ texts: undefined, tokenizer: undefined, documents: docs, evalDocuments: docs.slice(0, 4), eosTokenId: 0, maxSteps: 2, warmupSteps: 0 }));
    assert.equal(result.steps, 2);
    assert.equal(result.trainExamples, Math.floor((docs.length * (docs[0]!.length + 1) - 1) / 16));
    assert.ok(Number.isFinite(result.evalLoss));
  });
});
