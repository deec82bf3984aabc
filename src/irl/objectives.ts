/**
 * Objectives of reward learning from pairs, each a function of Δ = R(expert) − R(baseline) for a
 * batch of pairs (a [n] tensor) that returns the mean loss over the pairs: the paper's asymmetric
 * max-margin loss, a hinge with a margin, the logistic (Bradley–Terry) loss and a squared loss;
 * plus penalties on the rewards themselves, which the pair losses alone leave free to drift.
 */
import * as T from '../tensor/index.js';
import type { Tensor } from '../tensor/index.js';
import { IrlOptionsError } from './errors.js';

/**
 * The paper's max-margin loss: −Δ where the expert already wins (Δ > 0), −2Δ where it loses, so
 * losing pairs pull twice as hard. Written as max(−Δ, −2Δ), the same two lines; at Δ = 0 exactly
 * the gradient is their average, −1.5 (torch's rule for ties in maximum). Unbounded below: the
 * reward's scale grows until something (l2, weight decay, the epoch count) stops it.
 */
export function maxMarginLoss(delta: Tensor): Tensor {
  return T.mean(T.maximum(T.neg(delta), T.mul(delta, -2)));
}

/** max(0, margin − Δ): zero once the expert wins by the margin (an SVM's hinge). */
export function hingeLoss(delta: Tensor, margin = 1): Tensor {
  checkMargin(margin);
  return T.mean(T.relu(T.sub(margin, delta)));
}

/**
 * The Bradley–Terry (logistic) loss −log σ(Δ) = softplus(−Δ): the negative log-likelihood that
 * the expert's text is preferred. Computed as −log softmax([Δ, 0])₀, which neither overflows for
 * large |Δ| nor has a kink at Δ = 0.
 */
export function bradleyTerryLoss(delta: Tensor): Tensor {
  const n = delta.size;
  const twoWay = T.concat([T.reshape(delta, [n, 1]), T.zeros([n, 1], false, delta.backend)], 1);
  return T.neg(T.mean(T.slice(T.logSoftmax(twoWay), 1, 0, 1)));
}

/** (Δ − margin)²: pulls every pair's difference to the margin (least-squares ranking). */
export function squaredLoss(delta: Tensor, margin = 1): Tensor {
  checkMargin(margin);
  const gap = T.sub(delta, margin);
  return T.mean(T.mul(gap, gap));
}

export type ObjectiveName = 'max-margin' | 'hinge' | 'logistic' | 'squared';

export interface Objective {
  name: ObjectiveName;
  /** For 'hinge' and 'squared'; default 1. */
  margin?: number;
  /** Weight of mean(R²) over every text of the batch: keeps the reward's magnitude bounded. Default 0. */
  l2?: number;
  /** Weight of mean(R)²: centres the reward on 0 (the pair losses see only differences). Default 0. */
  centring?: number;
}

/** The objective's pair loss of Δ. */
export function pairLoss(objective: Objective, delta: Tensor): Tensor {
  switch (objective.name) {
    case 'max-margin':
      return maxMarginLoss(delta);
    case 'hinge':
      return hingeLoss(delta, objective.margin);
    case 'logistic':
      return bradleyTerryLoss(delta);
    case 'squared':
      return squaredLoss(delta, objective.margin);
    default:
      throw new IrlOptionsError(`unknown objective ${JSON.stringify((objective as { name: unknown }).name)}; use 'max-margin', 'hinge', 'logistic' or 'squared'`);
  }
}

/** l2·mean(R²) + centring·mean(R)² over the rewards of a batch (0 when both weights are 0). */
export function rewardPenalty(rewards: Tensor, weights: Pick<Objective, 'l2' | 'centring'>): Tensor | null {
  const { l2 = 0, centring = 0 } = weights;
  if (!(l2 >= 0 && centring >= 0)) throw new IrlOptionsError(`l2 (${l2}) and centring (${centring}) must be ≥ 0`);
  const terms: Tensor[] = [];
  if (l2 > 0) terms.push(T.mul(T.mean(T.mul(rewards, rewards)), l2));
  if (centring > 0) {
    const average = T.mean(rewards);
    terms.push(T.mul(T.mul(average, average), centring));
  }
  return terms.reduce<Tensor | null>((sum, term) => (sum ? T.add(sum, term) : term), null);
}

/** The full objective of a batch of pairs: pair loss of Δ = expert − baseline, plus the reward penalties over both sides. */
export function preferenceLoss(objective: Objective, expertRewards: Tensor, baselineRewards: Tensor): Tensor {
  const loss = pairLoss(objective, T.sub(expertRewards, baselineRewards));
  const penalty = rewardPenalty(T.concat([expertRewards, baselineRewards], 0), objective);
  return penalty ? T.add(loss, penalty) : loss;
}

function checkMargin(margin: number): void {
  if (!(margin >= 0 && margin < Infinity)) throw new IrlOptionsError(`margin must be a finite number ≥ 0, got ${margin}`);
}
