/**
 * Errors of the training loops that a user can fix: bad options, data too small to train on, a
 * run that diverged, a checkpoint folder that belongs to a different run. Each says what was
 * wrong and what to do.
 */
import { UserError } from '../errors.js';

export class TrainError extends UserError {
  override name = 'TrainError';
}

/** An option that cannot work: a batch size of 0, a negative learning rate, ... */
export class TrainOptionsError extends TrainError {
  override name = 'TrainOptionsError';
}

/** Training data that cannot be trained on: empty, too short for one block, a bad label. */
export class TrainDataError extends TrainError {
  override name = 'TrainDataError';
}

/** Where a run's newest complete checkpoint is. */
export interface CheckpointPlace {
  step: number;
  dir: string;
}

/** What turned NaN or infinite, where, and what the run had saved before it. */
export interface Divergence {
  /** The run, as its user knows it: 'causal-lm training', 'PPO', 'reward-model training'. */
  run: string;
  /** The step (1-based, as in the metrics) that produced the value. */
  step: number;
  /** The value's name: 'loss', a parameter's dotted name, a gradient ('<parameter>.grad'), 'reward'. */
  tensor: string;
  /** What it is, in words, for the message: 'the loss', 'the gradient norm', 'a weight'. */
  quantity: string;
  value: number;
  /** The run's configured (peak) learning rate: the setting the advice asks to lower. */
  learningRate: number;
  /** The newest checkpoint saved before it (left as it was), or null when there is none. */
  lastCheckpoint: CheckpointPlace | null;
  /** What to try; defaults to advice for supervised training. */
  advice?: string;
}

const SUPERVISED_ADVICE = 'Lower the learning rate (try a tenth of it), lengthen the warm-up or clip gradients harder, and check the data and the starting weights for NaN.';

/**
 * A loss, gradient, reward or weight became NaN or infinite: training diverged. Every loop finds
 * it at a step boundary (in the values it reads anyway) and stops before saving anything from that
 * step, so the last good checkpoint stays as it was.
 */
export class TrainingDivergedError extends TrainError {
  override name = 'TrainingDivergedError';
  readonly run: string;
  readonly step: number;
  readonly tensor: string;
  readonly value: number;
  readonly lastCheckpoint: CheckpointPlace | null;

  constructor(divergence: Divergence) {
    const { run, step, tensor, quantity, value, learningRate, lastCheckpoint, advice = SUPERVISED_ADVICE } = divergence;
    super(
      `${quantity} is ${value} at step ${step} of ${run} (tensor '${tensor}'; learning rate ${learningRate.toPrecision(3)} at its peak): training diverged and ` +
        `stopped without saving this step. ${advice}` +
        (lastCheckpoint ? ` The last good checkpoint, from step ${lastCheckpoint.step}, is ${lastCheckpoint.dir}.` : ''),
    );
    this.run = run;
    this.step = step;
    this.tensor = tensor;
    this.value = value;
    this.lastCheckpoint = lastCheckpoint;
  }
}

/** A checkpoint folder that cannot be resumed from: unreadable, or written by a different run. */
export class TrainCheckpointError extends TrainError {
  override name = 'TrainCheckpointError';
  constructor(
    readonly dir: string,
    problem: string,
    fix = 'delete the checkpoint folder to start over, or pass the options and data the checkpoint was made with',
  ) {
    super(`checkpoint ${dir}: ${problem}; ${fix}`);
  }
}
