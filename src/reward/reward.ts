/**
 * The one interface every reward in irlens implements: a batch of texts in, one score per text
 * out (higher is better, i.e. less toxic for the toxicity rewards), plus metadata describing how
 * the scores were made. Ground-truth classifiers, lexicons and the reward models IRL recovers
 * all plug into RLHF and evaluation through it.
 */
import { UserError } from '../errors.js';
export interface RewardScores {
  scores: number[];
  /** How the scores were made: the reward's kind and settings, for manifests and reports. */
  metadata: Record<string, unknown>;
}

export interface RewardFunction {
  readonly name: string;
  score(texts: readonly string[]): RewardScores;
}

/** A reward was asked for something it cannot do (unknown label, empty batch of mismatched inputs). */
export class RewardError extends UserError {
  override name = 'RewardError';
}
