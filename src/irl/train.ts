/**
 * Training reward models from demonstrations: one loop shared by the preference objectives and
 * by distillation — seeded shuffling, gradients zeroed every step, AdamW, gradient clipping,
 * and model selection on the validation split only (the parameters of the epoch with the lowest
 * validation loss are kept). Test data never enters here.
 */
import { AdamW, Rng, type Module } from '../nn/index.js';
import * as T from '../tensor/index.js';
import type { Tensor } from '../tensor/index.js';
import { TrainingDivergedError } from '../train/errors.js';
import { clipGradNormOrDiverge } from '../train/optimizer.js';
import type { RewardRows } from './demonstrations.js';
import { IrlOptionsError, TooFewDemonstrationsError } from './errors.js';
import { FrozenFeatures, LinearProbe } from './features.js';
import { preferenceLoss, type Objective } from './objectives.js';
import { consecutiveBatches, liveScorer, type RewardModel, type RowScorer, type TrainingMode } from './reward-model.js';

export interface FitOptions {
  /** Passes over the training examples. */
  epochs: number;
  /** Examples (pairs, or texts when distilling) per step. */
  batchSize: number;
  learningRate: number;
  /** AdamW's decoupled weight decay. Default 0. */
  weightDecay?: number;
  /** Clip the global gradient norm to this; null: no clipping. Default 1. */
  maxGradNorm?: number | null;
  /** Seeds the shuffling (the head's initial weights are the caller's, via RewardModel.fromCausalLM's rng). */
  seed: number | string;
  onEpoch?: (record: EpochRecord) => void;
}

export interface EpochRecord {
  /** 1-based. */
  epoch: number;
  /** Mean training loss over the epoch's steps. */
  trainLoss: number;
  validationLoss: number;
  /** Wall-clock seconds of the epoch's training steps (validation excluded). */
  seconds: number;
}

export interface FitResult {
  epochs: EpochRecord[];
  /** The epoch whose parameters the model holds now: the one with the lowest validation loss. */
  bestEpoch: number;
  bestValidationLoss: number;
}

/** What fitByEpochs trains: a loss over batches of example indices, and a validation loss. */
export interface FitTask {
  module: Module;
  trainSize: number;
  batchLoss(indices: readonly number[]): Tensor;
  /** Mean loss over the validation examples (run without gradients, in eval mode). */
  validationLoss(): number;
}

function checkFitOptions(options: FitOptions): void {
  const positiveInteger = (n: number) => Number.isSafeInteger(n) && n > 0;
  if (!positiveInteger(options.epochs)) throw new IrlOptionsError(`epochs must be a positive integer, got ${options.epochs}`);
  if (!positiveInteger(options.batchSize)) throw new IrlOptionsError(`batchSize must be a positive integer, got ${options.batchSize}`);
  if (!(options.learningRate > 0 && options.learningRate < Infinity)) throw new IrlOptionsError(`learningRate must be a finite number > 0, got ${options.learningRate}`);
}

/** Trains the module's parameters that require gradients, keeping the best epoch by validation loss. */
export function fitByEpochs(task: FitTask, options: FitOptions): FitResult {
  checkFitOptions(options);
  const parameters = task.module.parameters().filter((p) => p.requiresGrad);
  const optimizer = new AdamW(parameters, { lr: options.learningRate, weightDecay: options.weightDecay ?? 0 });
  const shuffle = new Rng(options.seed).fork('irl-shuffle');
  const stepsPerEpoch = Math.ceil(task.trainSize / options.batchSize);
  const epochs: EpochRecord[] = [];
  let best: { epoch: number; loss: number; values: Float32Array[] } | null = null;
  for (let epoch = 1; epoch <= options.epochs; epoch++) {
    const began = performance.now();
    const trainLoss = trainEpoch(task, optimizer, shuffle, options, (epoch - 1) * stepsPerEpoch);
    const seconds = (performance.now() - began) / 1000;
    const validationLoss = validate(task);
    // NaN weights give a NaN validation loss (rather than a NaN loss at a next step that may never come): never keep them.
    if (!Number.isFinite(validationLoss)) throw diverged(options, epoch * stepsPerEpoch, 'the validation loss', 'validationLoss', validationLoss);
    const record = { epoch, trainLoss, validationLoss, seconds };
    epochs.push(record);
    options.onEpoch?.(record);
    if (!best || validationLoss < best.loss) best = { epoch, loss: validationLoss, values: parameters.map((p) => p.data.slice()) };
  }
  parameters.forEach((p, i) => T.writeHost(p, best!.values[i]!));
  return { epochs, bestEpoch: best!.epoch, bestValidationLoss: best!.loss };
}

/** A value that turned NaN or infinite at `step`; reward-model training keeps no checkpoints to name. */
function diverged(options: FitOptions, step: number, quantity: string, tensor: string, value: number): TrainingDivergedError {
  return new TrainingDivergedError({
    run: 'reward-model training', step, quantity, tensor, value, learningRate: options.learningRate, lastCheckpoint: null,
    advice: 'Lower the learning rate or add an l2 penalty, and check the demonstrations for NaN.',
  });
}

/**
 * One shuffled pass; returns the mean loss of its steps, numbered on from `stepsBefore`. Host reads:
 * one per step (the loss), where a NaN loss or gradient norm stops the run.
 */
function trainEpoch(task: FitTask, optimizer: AdamW, shuffle: Rng, options: FitOptions, stepsBefore: number): number {
  const { batchSize, maxGradNorm = 1 } = options;
  const order = shuffle.shuffle(Array.from({ length: task.trainSize }, (_, i) => i));
  task.module.train();
  let total = 0;
  let steps = 0;
  for (let start = 0; start < order.length; start += batchSize) {
    const step = stepsBefore + steps + 1;
    optimizer.zeroGrad();
    const loss = T.tidy(() => {
      const value = task.batchLoss(order.slice(start, start + batchSize));
      const number = value.item();
      if (!Number.isFinite(number)) throw diverged(options, step, 'the training loss', 'loss', number);
      value.backward();
      return number;
    });
    clipGradNormOrDiverge(optimizer.params, maxGradNorm, (...found) => diverged(options, step, ...found));
    optimizer.step();
    total += loss;
    steps += 1;
  }
  optimizer.zeroGrad();
  return total / steps;
}

function validate(task: FitTask): number {
  task.module.eval();
  try {
    return T.noGrad(() => task.validationLoss());
  } finally {
    task.module.train();
  }
}

/**
 * The mean of a per-batch mean loss over `count` examples, each batch's weighted by what it averages
 * over (by default its examples; its tokens for a per-token loss), so that it is the mean over
 * every example (token) whatever the batch size; one host read per batch.
 */
export function batchedMeanLoss(count: number, batchSize: number, loss: (indices: number[]) => Tensor, weight: (indices: number[]) => number = (indices) => indices.length): number {
  let total = 0;
  let weights = 0;
  for (const indices of consecutiveBatches(count, batchSize)) {
    const w = weight(indices);
    total += T.tidy(() => loss(indices).item()) * w;
    weights += w;
  }
  return total / weights;
}

export interface TrainRewardOptions extends FitOptions {
  objective: Objective;
  mode: TrainingMode;
  train: RewardRows;
  validation: RewardRows;
  /** For mode 'probe': where the train and validation rows' features are cached (shared across seeds and variants); a fresh one when absent. */
  features?: FrozenFeatures;
}

/** The row scorers of a mode: the live model, or a linear probe on cached features (built when not in `features`). */
export function modeScorers(model: RewardModel, mode: TrainingMode, rows: { train: readonly number[][]; validation: readonly number[][] }, features = new FrozenFeatures()): { train: RowScorer; validation: RowScorer } {
  if (mode.kind !== 'probe') return { train: liveScorer(model, rows.train), validation: liveScorer(model, rows.validation) };
  return { train: new LinearProbe(model.head, features.of(model, rows.train)), validation: new LinearProbe(model.head, features.of(model, rows.validation)) };
}

/** The preference loss of some pairs, scoring expert and baseline texts in one batch. */
function pairBatchLoss(scorer: RowScorer, rows: RewardRows, objective: Objective, indices: readonly number[]): Tensor {
  const pairs = indices.map((i) => rows.pairs[i]!);
  const scores = scorer.scores([...pairs.map((p) => p.expert), ...pairs.map((p) => p.baseline)]);
  return preferenceLoss(objective, T.slice(scores, 0, 0, pairs.length), T.slice(scores, 0, pairs.length));
}

/**
 * Trains `model` so that expert texts score above baseline texts of the same prompt, under
 * `objective`, training what `mode` says. The model ends with its best epoch's parameters.
 */
export function trainReward(model: RewardModel, options: TrainRewardOptions): FitResult {
  for (const [name, rows] of [['training', options.train], ['validation', options.validation]] as const) {
    if (rows.pairs.length === 0) throw new TooFewDemonstrationsError(`the ${name} split has no (expert, baseline) pairs; give it prompts with continuations from both models`);
  }
  model.setTrainingMode(options.mode);
  const scorer = modeScorers(model, options.mode, { train: options.train.rows, validation: options.validation.rows }, options.features);
  const { objective, validation, batchSize } = options;
  return fitByEpochs({
    module: model.classifier,
    trainSize: options.train.pairs.length,
    batchLoss: (indices) => pairBatchLoss(scorer.train, options.train, objective, indices),
    validationLoss: () => batchedMeanLoss(validation.pairs.length, batchSize, (indices) => pairBatchLoss(scorer.validation, validation, objective, indices)),
  }, options);
}

export interface SeedRun {
  seed: number;
  model: RewardModel;
  result: FitResult;
}

/**
 * Trains one reward model per seed (0 .. seeds − 1), each from newModel(seed), and hands each to
 * onSeed as it finishes (to save and score it) rather than keeping them all. In probe mode the
 * features are computed once, from the first seed's backbone (or taken from options.features), and
 * reused: every seed's backbone must be the same frozen copy of the base LM.
 */
export function trainRewardSeeds(seeds: number, newModel: (seed: number) => RewardModel, options: Omit<TrainRewardOptions, 'seed'>, onSeed: (run: SeedRun) => void): FitResult[] {
  if (!(Number.isSafeInteger(seeds) && seeds >= 1)) throw new IrlOptionsError(`seeds must be a positive integer (the reward is not identifiable, so report it over several seeds), got ${seeds}`);
  const results: FitResult[] = [];
  const features = options.features ?? new FrozenFeatures();
  for (let seed = 0; seed < seeds; seed++) {
    const model = newModel(seed);
    const result = trainReward(model, { ...options, seed, features });
    results.push(result);
    onSeed({ seed, model, result });
  }
  return results;
}
