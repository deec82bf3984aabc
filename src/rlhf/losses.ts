/**
 * The PPO objective (clipped policy and value losses) that updates the policy, and the
 * KL-penalised per-token rewards that rollouts are scored with. Mirrors trlx's
 * PPOConfig.loss and the reward assembly in AcceleratePPOTrainer.make_experience
 * (CarperAI/trlx @ 3340c2f3a56d1d14fdd5f13ad575121fa26b6d92).
 */
import * as T from '../tensor/index.js';
import { RlhfError } from './errors.js';
import { type ResponseMask, checkBatchSize, realLengths } from './response-mask.js';

/** One minibatch, every tensor [batch, length] float32 over the response tokens. */
export interface PpoLossInputs {
  /** Log-probabilities of the sampled tokens under the policy being updated (with gradient). */
  logprobs: T.Tensor;
  /** The value head's predictions now (with gradient). */
  values: T.Tensor;
  /** Log-probabilities and values recorded at rollout time. */
  oldLogprobs: T.Tensor;
  oldValues: T.Tensor;
  /** Whitened GAE advantages and unwhitened returns (see advantages.ts). */
  advantages: T.Tensor;
  returns: T.Tensor;
  /** 1 on real response tokens, 0 on padding; it must hold at least one 1. */
  mask: T.Tensor;
}

export interface PpoLossOptions {
  /** The ratio is clipped to [1 − cliprange, 1 + cliprange] (trlx default 0.2). */
  cliprange: number;
  /** Values may move at most this far from the rollout's values (trlx's cliprange_value, default 0.2). */
  clipRangeValue: number;
  /** Weight of the value loss in the total (trlx's vf_coef, default 1). */
  vfCoef: number;
}

/**
 * Scalar tensors, cut from the graph, to be read once per minibatch at the logging boundary. All
 * are means over real tokens.
 */
export interface PpoLossStats {
  loss: T.Tensor;
  policyLoss: T.Tensor;
  valueLoss: T.Tensor;
  /** Estimate of KL(old policy ‖ new policy), k3 = (r − 1) − log r with r = π_new/π_old. */
  approxKl: T.Tensor;
  /** Share of tokens where the clipped policy term was the larger one (the clip bound). */
  policyClipFraction: T.Tensor;
  /** Share of tokens where the clipped value term was the larger one. */
  valueClipFraction: T.Tensor;
  /** Mean squared error of the values against the returns. */
  valueError: T.Tensor;
  /** Mean probability ratio π_new/π_old. */
  ratio: T.Tensor;
}

/** 1 where a > b, else 0, from existing ops: relu(a − b) is non-zero exactly when a > b. */
const greaterThan = (a: T.Tensor, b: T.Tensor): T.Tensor => T.where(T.relu(T.sub(a, b)), 1, 0);

/**
 * trlx's PPO objective: policy loss mean(max(−A·r, −A·clip(r, 1 ± cliprange))) plus vfCoef times
 * the value loss 0.5·mean(max((V − R)², (clip(V, V_old ± clipRangeValue) − R)²)), means over real
 * tokens. Differs from trlx in one statistic only: approxKl is averaged over real tokens, where
 * trlx's torch.mean also counts the padding (each padded slot adding 0), which shrinks it by the
 * padding share.
 */
export function ppoLoss(inputs: PpoLossInputs, { cliprange, clipRangeValue, vfCoef }: PpoLossOptions): { loss: T.Tensor; stats: PpoLossStats } {
  const { logprobs, values, oldLogprobs, oldValues, advantages, returns, mask } = inputs;
  const shape = mask.shape.join();
  for (const [name, t] of Object.entries(inputs)) {
    if (t.shape.join() !== shape) throw new RlhfError(`ppoLoss: ${name} has shape [${t.shape}] but the mask has [${mask.shape}]`);
  }
  const realTokens = T.sum(mask);
  const maskedMean = (x: T.Tensor) => T.div(T.sum(T.mul(x, mask)), realTokens);

  // torch.clamp with tensor bounds, written as max then min so the bounds can be per token.
  const valuesClipped = T.minimum(T.maximum(values, T.sub(oldValues, clipRangeValue)), T.add(oldValues, clipRangeValue));
  const valueErrors = T.sub(values, returns);
  const clippedErrors = T.sub(valuesClipped, returns);
  const valueLoss1 = T.mul(valueErrors, valueErrors);
  const valueLoss2 = T.mul(clippedErrors, clippedErrors);
  const valueLoss = T.mul(maskedMean(T.maximum(valueLoss1, valueLoss2)), 0.5);

  // Masking the log-ratio first keeps padded slots at ratio 1, so whatever they hold cannot overflow exp.
  const logRatio = T.mul(T.sub(logprobs, oldLogprobs), mask);
  const ratio = T.exp(logRatio);
  const negativeAdvantages = T.neg(advantages);
  const policyLoss1 = T.mul(negativeAdvantages, ratio);
  const policyLoss2 = T.mul(negativeAdvantages, T.clamp(ratio, 1 - cliprange, 1 + cliprange));
  const policyLoss = maskedMean(T.maximum(policyLoss1, policyLoss2));

  const loss = T.add(policyLoss, T.mul(valueLoss, vfCoef));
  const stats = T.noGrad(
    (): PpoLossStats => ({
      loss: loss.detach(),
      policyLoss: policyLoss.detach(),
      valueLoss: valueLoss.detach(),
      approxKl: maskedMean(T.sub(T.sub(ratio, 1), logRatio)),
      policyClipFraction: maskedMean(greaterThan(policyLoss2, policyLoss1)),
      valueClipFraction: maskedMean(greaterThan(valueLoss2, valueLoss1)),
      valueError: maskedMean(valueLoss1),
      ratio: maskedMean(ratio),
    }),
  );
  return { loss, stats };
}

/** Per-token rewards for one rollout batch and the KL that the controller and the logs see. */
export interface KlPenaltyRewards {
  /** [batch, length]: −klCoef·(log π − log π_ref) on real tokens, the score added at each row's last real token, 0 on padding. */
  rewards: Float32Array;
  /** Mean over rows of each response's summed KL estimate: what the adaptive KL controller is updated with. */
  meanKl: number;
  /** The same KL estimate averaged over real tokens. */
  meanKlPerToken: number;
}

/**
 * trlx's rollout rewards: a per-token KL penalty against the frozen reference model, with the
 * sequence's (clipped, scaled) score added at its last token. Arrays are [batch, length] over the
 * response tokens, with one score per row; batch is scores.length.
 *
 * Where irlens differs from trlx, on purpose:
 * - trlx logs and feeds the controller k3 = exp(d) − 1 − d with d = log π − log π_ref. With samples
 *   from π that is not an unbiased estimate of KL(π ‖ π_ref) (k3's ratio runs the other way), and
 *   it is not what the penalty charges; here the statistics use d itself, the penalty's estimator,
 *   whose sequence sum is unbiased for the sequence KL.
 * - trlx sums that KL over the prompt tokens as well and averages "per token" over every padded
 *   position; here both statistics cover the real response tokens only.
 * - trlx logs the square roots (policy/sqrt_kl, and policy/kl_per_token, which is also a root);
 *   these are the KL values themselves.
 * - trlx puts the score on the last token of its slice, which with pad = EOS can be one past the
 *   response; here it is the last real token the mask marks.
 */
export function klPenaltyRewards(
  logprobs: Float32Array,
  refLogprobs: Float32Array,
  mask: ResponseMask,
  klCoef: number,
  scores: Float32Array,
): KlPenaltyRewards {
  const batch = scores.length;
  if (batch === 0) throw new RlhfError('klPenaltyRewards: the rollout batch is empty (no scores)');
  const length = logprobs.length / batch;
  if (!Number.isInteger(length)) throw new RlhfError(`klPenaltyRewards: ${logprobs.length} log-probabilities do not split into ${batch} rows (one per score)`);
  checkBatchSize('refLogprobs', refLogprobs, batch, length);
  const lengths = realLengths(mask, batch, length);
  const rewards = new Float32Array(batch * length);
  let klSum = 0;
  let tokens = 0;
  for (let row = 0; row < batch; row++) {
    const real = lengths[row]!;
    if (real === 0) throw new RlhfError(`klPenaltyRewards: row ${row} has no real response token to carry its score; an empty response still ends in EOS, which the mask should mark`);
    for (let t = 0; t < real; t++) {
      const i = row * length + t;
      const kl = logprobs[i]! - refLogprobs[i]!;
      klSum += kl;
      rewards[i] = -klCoef * kl;
    }
    rewards[row * length + real - 1]! += scores[row]!;
    tokens += real;
  }
  return { rewards, meanKl: klSum / batch, meanKlPerToken: klSum / tokens };
}
