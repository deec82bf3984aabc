/**
 * Errors of the training loops that a user can fix: bad options, data too small to train on, a
 * run that diverged, a checkpoint folder that belongs to a different run. Each says what was
 * wrong and what to do.
 */

export class TrainError extends Error {
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

/** The loss or the gradients became NaN or infinite: training diverged. Nothing was updated at this step. */
export class TrainingDivergedError extends TrainError {
  override name = 'TrainingDivergedError';
  constructor(
    /** The step (1-based, as in the metrics) whose loss or gradient was not finite. */
    readonly step: number,
    readonly quantity: 'loss' | 'gradient norm',
    readonly value: number,
    readonly learningRate: number,
    lastCheckpoint?: { step: number; dir: string },
  ) {
    super(
      `training diverged at step ${step}: the ${quantity} is ${value} (learning rate ${learningRate.toPrecision(3)}). ` +
        'Lower the learning rate (try a tenth of it), lengthen the warm-up or clip gradients harder, and check the data and ' +
        'the starting weights for NaN.' +
        (lastCheckpoint ? ` The last checkpoint, at step ${lastCheckpoint.step}, is in ${lastCheckpoint.dir}.` : ''),
    );
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
