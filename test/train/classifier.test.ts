import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Rng } from '../../src/nn/index.js';
import { TrainDataError, TrainingDivergedError, trainSequenceClassifier, type TrainMetrics, type TrainSequenceClassifierOptions } from '../../src/train/index.js';
import { assertOnlyCheckpoint, robertaTokenizer, sameBits, temporaryDir, tinyRoberta, twoKindsOfText, weightsOf, withoutTiming } from './helpers.js';

const tokenizer = robertaTokenizer();
const rows = twoKindsOfText(200, 5);

describe('trainSequenceClassifier', () => {
  it('trains a tiny RoBERTa from scratch to separate two kinds of text, held-out accuracy ≥ 0.9', () => {
    const evals: TrainMetrics[] = [];
    const result = trainSequenceClassifier({
      model: tinyRoberta(tokenizer, 1), tokenizer, rows, batchSize: 16, maxSteps: 60, learningRate: 3e-3, warmupSteps: 6,
      evalEvery: 20, evalFraction: 0.2, seed: 2, onMetrics: (m) => m.evalLoss !== undefined && evals.push(m),
    });
    assert.equal(result.evalExamples, 40, '20 held out of each label');
    assert.ok(result.evalAccuracy! >= 0.9, `held-out accuracy ${result.evalAccuracy}`);
    assert.ok(result.evalLoss! < 0.3, `held-out loss ${result.evalLoss}`);
    assert.deepEqual(evals.map((m) => m.step), [20, 40, 60]);
    assert.ok(evals.every((m) => m.evalAccuracy !== undefined));
  });

  it('resumes with dropout bit for bit: weights, metrics and the dropout generator', () => {
    // The generator given as dropoutRng must be the model's own; a fresh model starts from other weights.
    const options = (overrides: Partial<TrainSequenceClassifierOptions> = {}, modelSeed = 1): TrainSequenceClassifierOptions => {
      const dropoutRng = new Rng(11);
      return {
        model: tinyRoberta(tokenizer, modelSeed, { dropout: 0.1, dropoutRng }), dropoutRng, tokenizer, rows: rows.slice(0, 48),
        batchSize: 8, maxSteps: 12, learningRate: 3e-3, evalEvery: 4, seed: 2, ...overrides,
      };
    };
    const straight: TrainMetrics[] = [];
    const reference = options({ onMetrics: (m) => straight.push(m) });
    trainSequenceClassifier(reference);

    const dir = temporaryDir();
    const seen: TrainMetrics[] = [];
    const controller = new AbortController();
    assert.throws(() => trainSequenceClassifier(options({
      checkpointDir: dir, signal: controller.signal, onMetrics: (m) => seen.push(m), onProgress: (p) => p.step === 7 && controller.abort(),
    })), (error: unknown) => (error as Error).name === 'AbortError');
    const resumed = options({ checkpointDir: dir, onMetrics: (m) => seen.push(m) }, 8);
    assert.equal(trainSequenceClassifier(resumed).resumedFromStep, 7);
    assert.ok(sameBits(weightsOf(resumed.model), weightsOf(reference.model)));
    assert.deepEqual(seen.map(withoutTiming), straight.map(withoutTiming));
    assert.deepEqual(resumed.dropoutRng!.getState(), reference.dropoutRng!.getState());
  });

  it('stops at the step whose loss is NaN, naming it, and keeps the checkpoint before it as it was', () => {
    const dir = temporaryDir();
    const model = tinyRoberta(tokenizer, 1);
    let atStep2 = new Map<string, Float32Array>();
    const poisonAfterStep2 = (step: number) => {
      if (step !== 2) return;
      atStep2 = weightsOf(model);
      model.namedParameters().find(([name]) => name === 'classifier.dense.weight')![1].data.fill(NaN);
    };
    assert.throws(() => trainSequenceClassifier({
      model, tokenizer, rows: rows.slice(0, 48), batchSize: 8, maxSteps: 6, learningRate: 3e-3, seed: 2, checkpointDir: dir, checkpointEvery: 1,
      onProgress: (p) => poisonAfterStep2(p.step),
    }), (error: unknown) => {
      assert.ok(error instanceof TrainingDivergedError);
      assert.match(error.message, /^the loss is NaN at step 3 of sequence-classifier training \(tensor 'loss'; learning rate 0\.00300 at its peak\)/);
      assert.equal(error.lastCheckpoint?.step, 2);
      return true;
    });
    assertOnlyCheckpoint(dir, 2, atStep2);
  });

  it('says which row has a label the model does not know', () => {
    const base = { model: tinyRoberta(tokenizer, 1), tokenizer, batchSize: 4, maxSteps: 1, learningRate: 1e-3 };
    assert.throws(() => trainSequenceClassifier({ ...base, rows: [...rows.slice(0, 3), { text: 'hi', label: 2 }] }),
      (e: unknown) => e instanceof TrainDataError && /row 3 has label 2/.test(e.message) && /0 \.\. 1/.test(e.message));
    assert.throws(() => trainSequenceClassifier({ ...base, rows: [{ text: 'hi', label: 'toxic' }] }),
      (e: unknown) => e instanceof TrainDataError && /"toxic"/.test(e.message) && /"friendly", "rude"/.test(e.message));
    assert.throws(() => trainSequenceClassifier({ ...base, rows: [] }), TrainDataError);
  });
});
