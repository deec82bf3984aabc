/**
 * The errors a user of irl/ can cause. Each message says what was wrong and what to do; callers
 * can catch IrlError for all of them or the subclass for one.
 */
import { UserError } from '../errors.js';
export class IrlError extends UserError {
  override name = 'IrlError';
}

/** The expert and the baseline (or two LMs compared token by token) do not share a tokenizer. */
export class TokenizerMismatchError extends IrlError {
  override name = 'TokenizerMismatchError';
}

/** A folder that cannot be a recovered reward: not a causal-LM sequence classifier with one output. */
export class RewardFolderError extends IrlError {
  override name = 'RewardFolderError';
}

/** Not enough demonstrations (prompts, pairs) for the split or the training asked for. */
export class TooFewDemonstrationsError extends IrlError {
  override name = 'TooFewDemonstrationsError';
}

/** Demonstrations that are malformed: empty continuations, ids outside the vocabulary, ... */
export class DemonstrationsError extends IrlError {
  override name = 'DemonstrationsError';
}

/** Settings that cannot work: zero seeds, a negative margin, more top layers than the model has. */
export class IrlOptionsError extends IrlError {
  override name = 'IrlOptionsError';
}
