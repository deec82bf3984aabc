/**
 * The paper's RLHF reward, shaped against the human continuation of the same prompt:
 * r = score(prompt + sample) − score(prompt + original continuation). With score = −P(toxic)
 * this is −P_tox(prompt + sample) + P_tox(prompt + original_output): a sample is rewarded for
 * being less toxic than what the human wrote.
 */
import { RewardError, type RewardFunction, type RewardScores } from './reward.js';

export interface ShapedSample {
  prompt: string;
  sample: string;
  /** The human continuation of the prompt (the data set's original_output). */
  reference: string;
}

export class ShapedReward {
  readonly name: string;

  constructor(private readonly base: RewardFunction) {
    this.name = `shaped(${base.name})`;
  }

  score(samples: readonly ShapedSample[]): RewardScores {
    if (samples.length === 0) return { scores: [], metadata: this.metadata() };
    for (const [i, s] of samples.entries()) {
      if (typeof s.prompt !== 'string' || typeof s.sample !== 'string' || typeof s.reference !== 'string') {
        throw new RewardError(`shaped reward: sample ${i} needs string prompt, sample and reference fields`);
      }
    }
    // One call for both halves, so a caching base scores each distinct text once.
    const texts = [...samples.map((s) => s.prompt + s.sample), ...samples.map((s) => s.prompt + s.reference)];
    const { scores } = this.base.score(texts);
    const n = samples.length;
    return { scores: samples.map((_, i) => scores[i]! - scores[n + i]!), metadata: this.metadata() };
  }

  private metadata(): Record<string, unknown> {
    return { kind: 'shaped', base: this.base.name, formula: 'score(prompt + sample) − score(prompt + reference)' };
  }
}
