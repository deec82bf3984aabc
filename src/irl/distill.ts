/**
 * Distillation: a standalone reward model regressed onto the closed-form log-ratio reward, so the
 * reward the RLHF run implies can be saved as one folder and used without either policy. Any
 * pooling and training mode of reward-model.ts works; the loss is the mean squared error to the
 * targets, with the same epoch loop and validation-only model selection as preference training.
 */
import * as T from '../tensor/index.js';
import type { Tensor } from '../tensor/index.js';
import { DemonstrationsError, TooFewDemonstrationsError } from './errors.js';
import type { FrozenFeatures } from './features.js';
import type { RewardModel, RowScorer, TrainingMode } from './reward-model.js';
import { batchedMeanLoss, fitByEpochs, modeScorers, type FitOptions, type FitResult } from './train.js';

/** Texts (as the reward model's input ids) and the reward each should get. */
export interface RegressionRows {
  rows: number[][];
  targets: number[];
}

export interface DistilOptions extends FitOptions {
  mode: TrainingMode;
  train: RegressionRows;
  validation: RegressionRows;
  /** For mode 'probe': where the rows' features are cached, to reuse across seeds; a fresh one when absent. */
  features?: FrozenFeatures;
}

function squaredError(scorer: RowScorer, data: RegressionRows, indices: readonly number[]): Tensor {
  const gap = T.sub(scorer.scores(indices), T.tensor(Float32Array.from(indices, (i) => data.targets[i]!), [indices.length]));
  return T.mean(T.mul(gap, gap));
}

function checkRows(name: string, data: RegressionRows): void {
  if (data.rows.length === 0) throw new TooFewDemonstrationsError(`the ${name} split has no texts to distil the reward on`);
  if (data.targets.length !== data.rows.length) throw new DemonstrationsError(`the ${name} split has ${data.rows.length} texts but ${data.targets.length} targets`);
  if (!data.targets.every(Number.isFinite)) throw new DemonstrationsError(`the ${name} split has a target that is not a finite number`);
}

/** Trains `model` to output each text's target (e.g. logRatioReward); the model ends with its best validation epoch. */
export function distilReward(model: RewardModel, options: DistilOptions): FitResult {
  checkRows('training', options.train);
  checkRows('validation', options.validation);
  model.setTrainingMode(options.mode);
  const { train, validation } = options;
  const scorer = modeScorers(model, options.mode, { train: train.rows, validation: validation.rows }, options.features);
  return fitByEpochs({
    module: model.classifier,
    trainSize: train.rows.length,
    batchLoss: (indices) => squaredError(scorer.train, train, indices),
    validationLoss: () => batchedMeanLoss(validation.rows.length, options.batchSize, (indices) => squaredError(scorer.validation, validation, indices)),
  }, options);
}
