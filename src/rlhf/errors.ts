/**
 * Errors of RLHF that a caller can fix — arrays whose sizes do not match, a mask that is not a
 * right-padded 0/1 mask, a setting that cannot work, a run that drifted too far from its
 * reference — each saying what was wrong and what to do. A run that diverged raises PpoDivergedError,
 * a TrainingDivergedError like the other training loops'.
 */
import { TrainingDivergedError, type Divergence } from '../train/errors.js';
import { UserError } from '../errors.js';

export class RlhfError extends UserError {
  override name = 'RlhfError';
}

/** A PPO setting or input that cannot work. */
export class RlhfConfigError extends RlhfError {
  override name = 'RlhfConfigError';
}

/**
 * A reward, loss, gradient or weight became NaN or infinite: the supervised loops' divergence
 * (caught as TrainingDivergedError with them), with PPO's own advice. The last good checkpoint is kept.
 */
export class PpoDivergedError extends TrainingDivergedError {
  override name = 'PpoDivergedError';
  constructor(divergence: Omit<Divergence, 'run' | 'advice'>) {
    super({ ...divergence, run: 'PPO', advice: 'Lower the learning rate, clip gradients (max_grad_norm), or check the reward for NaN.' });
  }
}

/** The policy drifted further from the reference than the configured ceiling allows. */
export class KlCeilingError extends RlhfError {
  override name = 'KlCeilingError';
  constructor(readonly step: number, readonly kl: number, readonly ceiling: number, lastCheckpoint: string | null) {
    super(
      `PPO stopped at step ${step}: the KL to the reference is ${kl.toFixed(3)} nats per sequence, above the ceiling ` +
        `${ceiling}. Raise init_kl_coef or lower kl_target or the learning rate; raise kl_ceiling if this drift is intended.` +
        (lastCheckpoint ? ` The last good checkpoint is ${lastCheckpoint}.` : ''),
    );
  }
}
