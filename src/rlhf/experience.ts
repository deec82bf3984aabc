/**
 * make_experience: what PPO learns from, for a round of rollouts. The policy, value head and
 * reference read each batch of prompt + response once (the frozen trunk shared among them); the
 * per-token reward is −β·(log π − log π_ref) on every response token, with the scaled score added
 * at the row's last token, as trlx builds it.
 */
import * as T from '../tensor/index.js';
import type { HydraPolicy } from './hydra.js';
import { klPenaltyRewards } from './losses.js';
import { layOutBatch, splitRows, type TokenRow } from './rollouts.js';

/** One rollout with its values at collection time, over its response tokens. */
export interface ExperienceRow extends TokenRow {
  logprobs: Float32Array;
  values: Float32Array;
  rewards: Float32Array;
}

export interface ExperienceStats {
  /** Mean over rollouts of Σ_t (log π − log π_ref): the KL per sequence, the estimator the penalty uses. */
  klPerSequence: number;
  /** The same per response token. */
  klPerToken: number;
}

/**
 * Old log-probabilities, values and per-token rewards of each rollout, computed `batchSize`
 * rollouts at a time; scores are the (clipped, scaled) rewards, one per rollout.
 */
export function collectExperience(
  hydra: HydraPolicy, rollouts: readonly TokenRow[], scores: Float32Array, klCoef: number, padTokenId: number, batchSize: number,
): { rows: ExperienceRow[]; stats: ExperienceStats } {
  const rows: ExperienceRow[] = [];
  let klSum = 0;
  let tokens = 0;
  for (let start = 0; start < rollouts.length; start += batchSize) {
    const chunk = rollouts.slice(start, start + batchSize);
    const lengths = chunk.map((r) => r.responseIds.length);
    const { logprobs, values, refLogprobs, responseLength, responseMask } = T.noGrad(() => T.tidy(() => {
      const laidOut = layOutBatch(chunk, padTokenId);
      const trunk = hydra.trunk(laidOut.batch);
      const policy = hydra.policyOutputs(laidOut.batch, trunk);
      const reference = hydra.referenceLogprobs(laidOut.batch, trunk);
      // The one host read of this batch, at the rollout boundary.
      return { logprobs: policy.logprobs.data.slice(), values: policy.values.data.slice(), refLogprobs: reference.data.slice(), responseLength: laidOut.responseLength, responseMask: laidOut.responseMask };
    }));
    const shaped = klPenaltyRewards(logprobs, refLogprobs, responseMask, klCoef, scores.subarray(start, start + chunk.length));
    const chunkTokens = lengths.reduce((a, b) => a + b, 0);
    klSum += shaped.meanKlPerToken * chunkTokens;
    tokens += chunkTokens;
    const split = (values: Float32Array) => splitRows(values, responseLength, lengths);
    const [rowLogprobs, rowValues, rowRewards] = [split(logprobs), split(values), split(shaped.rewards)];
    chunk.forEach((rollout, b) => rows.push({
      promptIds: rollout.promptIds, responseIds: rollout.responseIds, logprobs: rowLogprobs[b]!, values: rowValues[b]!, rewards: rowRewards[b]!,
    }));
  }
  return { rows, stats: { klPerSequence: klSum / rollouts.length, klPerToken: klSum / Math.max(1, tokens) } };
}
