import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Linear, Rng, initWeights } from '../../src/nn/index.js';
import * as T from '../../src/tensor/index.js';
import {
  GroupedAdamW, TrainCheckpointError, loadLatestTrainingCheckpoint, restoreWeights, saveTrainingCheckpoint,
} from '../../src/train/index.js';
import { writeFolderAtomic } from '../../src/io/atomic.js';
import { sameBits, temporaryDir, weightsOf } from './helpers.js';

/** A linear layer after one AdamW step, so the optimizer has moments to save. */
function trainedLayer(seed: number) {
  const layer = new Linear(3, 2);
  initWeights(layer, new Rng(seed));
  const optimizer = new GroupedAdamW(layer, { learningRate: 0.1, weightDecay: 0.01, betas: [0.9, 0.999], eps: 1e-8 });
  T.sum(layer.forward(T.tensor([1, 2, 3], [1, 3]))).backward();
  optimizer.step();
  return { layer, optimizer };
}

describe('training checkpoints', () => {
  it('round-trip weights, moments, step counts and the trainer state, keeping only the newest step', () => {
    const dir = temporaryDir();
    const { layer, optimizer } = trainedLayer(1);
    saveTrainingCheckpoint(dir, 4, { model: layer, optimizer: optimizer.stateDict(), trainer: { note: 'four' } });
    saveTrainingCheckpoint(dir, 9, { model: layer, optimizer: optimizer.stateDict(), trainer: { note: 'nine', nested: { a: [1, 2] } } });
    assert.deepEqual(readdirSync(dir), ['step-00000009']);
    assert.deepEqual(readdirSync(join(dir, 'step-00000009')).sort(), ['model.safetensors', 'optimizer.safetensors', 'trainer.json']);

    const saved = loadLatestTrainingCheckpoint(dir)!;
    assert.equal(saved.step, 9);
    assert.deepEqual(saved.trainer, { note: 'nine', nested: { a: [1, 2] } });
    const other = trainedLayer(2);
    restoreWeights(other.layer, saved.weights, saved.dir);
    other.optimizer.loadStateDict(saved.optimizer);
    assert.ok(sameBits(weightsOf(other.layer), weightsOf(layer)));
    assert.deepEqual(other.optimizer.stateDict(), optimizer.stateDict());
    assert.equal(loadLatestTrainingCheckpoint(join(dir, 'none')), null);
  });

  it('never shows a partial folder: a write that fails midway leaves the previous checkpoint as it was', () => {
    const dir = temporaryDir();
    const { layer, optimizer } = trainedLayer(1);
    saveTrainingCheckpoint(dir, 1, { model: layer, optimizer: optimizer.stateDict(), trainer: {} });
    assert.throws(
      () => writeFolderAtomic(join(dir, 'step-00000002'), (tmp) => {
        writeFileSync(join(tmp, 'model.safetensors'), 'half');
        assert.deepEqual(readdirSync(dir).filter((n) => !n.startsWith('.')), ['step-00000001'], 'not visible while being written');
        throw new Error('disk full');
      }),
      /disk full/,
    );
    assert.deepEqual(readdirSync(dir), ['step-00000001'], 'no partial folder and no temporary left');
    assert.equal(loadLatestTrainingCheckpoint(dir)!.step, 1);
  });

  it('ignores and removes what a killed save left behind', () => {
    const dir = temporaryDir();
    const { layer, optimizer } = trainedLayer(1);
    saveTrainingCheckpoint(dir, 3, { model: layer, optimizer: optimizer.stateDict(), trainer: {} });
    const leftover = join(dir, '.step-00000006.tmp-1234-abcd');
    mkdirSync(leftover);
    writeFileSync(join(leftover, 'model.safetensors'), 'torn');
    assert.equal(loadLatestTrainingCheckpoint(dir)!.step, 3);
    assert.ok(!existsSync(leftover));
  });

  it('refuses a damaged checkpoint or one from another model, saying what to do', () => {
    const dir = temporaryDir();
    const { layer, optimizer } = trainedLayer(1);
    const folder = saveTrainingCheckpoint(dir, 2, { model: layer, optimizer: optimizer.stateDict(), trainer: {} });
    const saved = loadLatestTrainingCheckpoint(dir)!;
    assert.throws(() => restoreWeights(new Linear(4, 2), saved.weights, saved.dir), (e: unknown) => e instanceof TrainCheckpointError && /shape \[2, 3\].*\[2, 4\]/.test(e.message));
    writeFileSync(join(folder, 'trainer.json'), '{"format": "irlens-training-checkpoint"');
    assert.throws(() => loadLatestTrainingCheckpoint(dir), (e: unknown) => e instanceof TrainCheckpointError && /cannot read trainer.json/.test(e.message) && /delete/.test(e.message));
  });
});
