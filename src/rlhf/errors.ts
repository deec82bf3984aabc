/**
 * Errors of the RLHF (PPO) code that a caller can fix: arrays whose sizes do not match, a mask
 * that is not a right-padded 0/1 mask, a hyperparameter that cannot work. Each says what to do.
 */
export class RlhfError extends Error {
  override name = 'RlhfError';
}
