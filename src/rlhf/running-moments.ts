/**
 * Running statistics of the rollout scores, and the clipping and scaling that trlx applies to the
 * scores before they become PPO rewards. Mirrors trlx.utils.modeling.RunningMoments and the score
 * handling in AcceleratePPOTrainer.make_experience (CarperAI/trlx @ 3340c2f3a56d1d14fdd5f13ad575121fa26b6d92).
 */
import { RlhfError } from './errors.js';

/** What a checkpoint keeps of RunningMoments. */
export interface RunningMomentsState {
  mean: number;
  /** The biased (÷ count) variance of everything seen, as trlx stores it. */
  variance: number;
  count: number;
}

/**
 * Mean and standard deviation of every value seen so far, merged batch by batch with the
 * parallel-variance formula (Chan et al.). As in trlx it starts from mean 0, variance 1 and a
 * count of 1e-24, which vanishes after the first batch; `std` is the unbiased (÷ count − 1)
 * estimate, so it is defined once two values have been seen. Sums are kept in float64.
 */
export class RunningMoments {
  private moments: RunningMomentsState = { mean: 0, variance: 1, count: 1e-24 };

  get mean(): number {
    return this.moments.mean;
  }

  get std(): number {
    const { variance, count } = this.moments;
    return Math.sqrt((variance * count) / (count - 1));
  }

  /** Folds a batch in; returns the batch's own mean and unbiased std (NaN for one value, as torch gives). */
  update(xs: Float32Array): { mean: number; std: number } {
    const n = xs.length;
    if (n === 0) throw new RlhfError('RunningMoments.update() needs at least one value; the rollout batch was empty');
    let sum = 0;
    for (const x of xs) sum += x;
    const batchMean = sum / n;
    let squares = 0;
    for (const x of xs) squares += (x - batchMean) ** 2;

    const { mean, variance, count } = this.moments;
    const delta = batchMean - mean;
    const total = count + n;
    // The old sum of squares, re-centred on the merged mean, plus the batch's own.
    const merged = variance * count + (delta * delta * count * n) / total + squares;
    this.moments = { mean: mean + (delta * n) / total, variance: merged / total, count: total };
    return { mean: batchMean, std: Math.sqrt(squares / (n - 1)) };
  }

  state(): RunningMomentsState {
    return { ...this.moments };
  }

  restore(state: RunningMomentsState): void {
    const { mean, variance, count } = state;
    if (![mean, variance, count].every(Number.isFinite) || variance < 0 || count <= 0) {
      throw new RlhfError(`cannot restore RunningMoments from mean ${mean}, variance ${variance}, count ${count}: the checkpoint is damaged`);
    }
    this.moments = { mean, variance, count };
  }
}

/** How scores are divided before use (trlx's scale_reward); any other trlx string means null. */
export type RewardScaling = 'running' | 'ref' | null;

/** Scores limited to [−cliprange, cliprange]; a cliprange of 0 or null leaves them alone (trlx: `if cliprange_reward:`). */
export function clipRewards(scores: Float32Array, cliprange: number | null): Float32Array {
  if (!cliprange) return Float32Array.from(scores);
  if (!(cliprange > 0)) throw new RlhfError(`cliprangeReward must be positive (or 0/null for no clipping), got ${cliprange}`);
  return scores.map((s) => Math.min(Math.max(s, -cliprange), cliprange));
}

/**
 * Scores divided by the running std ('running': the moments must already include this batch, as
 * in trlx) or by the reference std of the first rollout ('ref'); null leaves them alone.
 */
export function scaleRewards(scores: Float32Array, mode: RewardScaling, moments: RunningMoments, refStd?: number | null): Float32Array {
  if (mode === null) return Float32Array.from(scores);
  const divisor = mode === 'running' ? moments.std : refStd;
  if (divisor === undefined || divisor === null || !Number.isFinite(divisor) || divisor <= 0) {
    throw new RlhfError(
      `cannot scale rewards by the ${mode === 'running' ? 'running' : 'reference'} std ${divisor}: it needs at least two scores that differ` +
        (mode === 'ref' ? ' in the first rollout (or a refStd in the config)' : ''),
    );
  }
  return scores.map((s) => s / divisor);
}

export interface ScoreShaping {
  /** trlx's scale_reward. */
  scaleReward: RewardScaling;
  /** trlx's cliprange_reward (10 in its default_ppo_config); 0 or null: no clipping. */
  cliprangeReward: number | null;
}

/**
 * trlx's order in make_experience, which is clip first and scale second: clip the scores, take
 * the reference std from the first rollout's clipped scores if none is known yet, fold the
 * clipped scores into the running moments, then divide. Returns the scores to use as rewards,
 * the reference std to keep (and checkpoint), and trlx's rollout_scores/* statistics.
 */
export function clipAndScaleScores(
  scores: Float32Array,
  { scaleReward, cliprangeReward }: ScoreShaping,
  moments: RunningMoments,
  refStd: number | null,
): { scores: Float32Array; refStd: number; stats: { mean: number; std: number; runningMean: number; runningStd: number } } {
  const clipped = clipRewards(scores, cliprangeReward);
  const batch = moments.update(clipped);
  // trlx's ref_std is torch's .std() of the first rollout: unbiased, the same as the batch std.
  const reference = refStd ?? batch.std;
  return {
    scores: scaleRewards(clipped, scaleReward, moments, reference),
    refStd: reference,
    stats: { mean: batch.mean, std: batch.std, runningMean: moments.mean, runningStd: moments.std },
  };
}
