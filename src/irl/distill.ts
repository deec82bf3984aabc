/**
 * Distillation: a standalone reward model regressed onto the closed-form log-ratio reward, so the
 * reward the RLHF run implies can be saved as one folder and used without either policy. Any
 * pooling and training mode of reward-model.ts works; the loss is the mean squared error to the
 * targets, with the same epoch loop and validation-only model selection as preference training.
 *
 * Targets are per text (each text's summed log-ratio) or, for the token poolings, per token: the
 * log-ratio is a sum of per-token terms r_t = β·log π_expert(y_t|…)/π_base(y_t|…), so a head
 * scored on every token can be fitted to every r_t ("dense" distillation) — one target per token
 * instead of one per text, for a signal that is mostly local (one toxic word).
 */
import * as T from '../tensor/index.js';
import type { Tensor } from '../tensor/index.js';
import { DemonstrationsError, IrlOptionsError, TooFewDemonstrationsError } from './errors.js';
import type { FrozenFeatures } from './features.js';
import { checkTokenPooling, type RewardModel, type RowScorer, type TrainingMode } from './reward-model.js';
import { batchedMeanLoss, fitByEpochs, modeScorers, type FitOptions, type FitResult } from './train.js';

/** What a distilled model is fitted to: each text's reward, or each token's (token poolings only). */
export const DISTIL_TARGETS = ['text', 'token'] as const;
export type DistilTargets = (typeof DISTIL_TARGETS)[number];

/** What else a per-token fit that meets a whole-text pooling could do (see checkTokenPooling). */
export const OR_TEXT_TARGETS = " (token-sum matches the log-ratio term by term), or targets 'text'";

/** Texts (as the reward model's input ids) and the reward each should get: per text, or per token of each row. */
export interface RegressionRows {
  rows: number[][];
  /** Each text's reward: what targets 'text' fits. */
  targets?: number[];
  /** Each row's per-token rewards, one per token of the row (rowTokenTargets builds them): what targets 'token' fits. */
  tokenTargets?: number[][];
}

export interface DistilOptions extends FitOptions {
  mode: TrainingMode;
  train: RegressionRows;
  validation: RegressionRows;
  /**
   * 'text' (default): the MSE between each text's reward and its target. 'token': the MSE between
   * score(h_t) and each token's target, over the real tokens of the rows (padding masked); needs
   * a token pooling, which then aggregates the fitted per-token scores into the text's reward.
   */
  targets?: DistilTargets;
  /** For mode 'probe': where the rows' features are cached, to reuse across seeds; a fresh one when absent. */
  features?: FrozenFeatures;
}

/**
 * A row's per-token targets, given its continuation's per-token rewards (e.g. tokenLogRatios).
 * rewardInputIds makes a row the continuation alone or the prompt followed by it, with no BOS or
 * other token added, so the continuation is the row's last tokens: checked here, not assumed. The
 * prompt's tokens get 0: the log-ratio determines a reward only up to a term c(x) of the prompt
 * alone (π* ∝ π_base·exp(r/β) normalises per prompt), so no value of theirs is identifiable, and 0
 * is the choice that keeps the row's sum equal to the text's log-ratio.
 */
export function rowTokenTargets(row: readonly number[], continuationIds: readonly number[], perToken: readonly number[]): number[] {
  const n = continuationIds.length;
  if (perToken.length !== n) throw new DemonstrationsError(`a continuation of ${n} tokens has ${perToken.length} per-token targets; give one per token`);
  const offset = row.length - n;
  if (offset < 0 || continuationIds.some((id, t) => row[offset + t] !== id)) {
    throw new DemonstrationsError(`a reward-model row (${row.length} tokens) does not end with its continuation (${n} tokens), so per-token targets cannot be aligned with it; build rows with rewardInputIds`);
  }
  return [...new Array<number>(offset).fill(0), ...perToken];
}

function squaredError(scorer: RowScorer, data: RegressionRows, indices: readonly number[]): Tensor {
  const gap = T.sub(scorer.scores(indices), T.tensor(Float32Array.from(indices, (i) => data.targets![i]!), [indices.length]));
  return T.mean(T.mul(gap, gap));
}

/** The mean over the rows' real tokens of (score(h_t) − target_t)²; padding is masked out. */
function tokenSquaredError(scorer: RowScorer, data: RegressionRows, indices: readonly number[]): Tensor {
  const { scores, batch } = scorer.tokenScores(indices);
  const [rows, t] = scores.shape as [number, number];
  const targets = new Float32Array(rows * t);
  indices.forEach((i, r) => targets.set(data.tokenTargets![i]!, r * t));
  const mask = T.asFloat32(batch.attentionMask);
  const gap = T.mul(T.sub(scores, T.tensor(targets, [rows, t])), mask);
  return T.div(T.sum(T.mul(gap, gap)), tokenCount(data, indices));
}

const tokenCount = (data: RegressionRows, indices: readonly number[]): number => indices.reduce((n, i) => n + data.rows[i]!.length, 0);

function checkRows(name: string, data: RegressionRows, targets: DistilTargets): void {
  if (data.rows.length === 0) throw new TooFewDemonstrationsError(`the ${name} split has no texts to distil the reward on`);
  if (targets === 'text') {
    if (data.targets === undefined) throw new DemonstrationsError(`the ${name} split has no per-text targets to distil with targets 'text'`);
    if (data.targets.length !== data.rows.length) throw new DemonstrationsError(`the ${name} split has ${data.rows.length} texts but ${data.targets.length} targets`);
    if (!data.targets.every(Number.isFinite)) throw new DemonstrationsError(`the ${name} split has a target that is not a finite number`);
    return;
  }
  if (data.tokenTargets === undefined) throw new DemonstrationsError(`the ${name} split has no per-token targets to distil with targets 'token'`);
  if (data.tokenTargets.length !== data.rows.length) throw new DemonstrationsError(`the ${name} split has ${data.rows.length} texts but ${data.tokenTargets.length} rows of token targets`);
  data.tokenTargets.forEach((values, i) => {
    if (values.length !== data.rows[i]!.length) throw new DemonstrationsError(`text ${i} of the ${name} split has ${data.rows[i]!.length} tokens but ${values.length} token targets; give one per token of the row (rowTokenTargets)`);
    if (!values.every(Number.isFinite)) throw new DemonstrationsError(`text ${i} of the ${name} split has a token target that is not a finite number`);
  });
}

/** Trains `model` to output each text's (or each token's) target; the model ends with its best validation epoch. */
export function distilReward(model: RewardModel, options: DistilOptions): FitResult {
  const { train, validation, targets = 'text' } = options;
  if (!DISTIL_TARGETS.includes(targets)) throw new IrlOptionsError(`unknown distillation targets ${JSON.stringify(targets)}; use 'text' or 'token'`);
  if (targets === 'token') checkTokenPooling(model.pooling, "distilling with targets 'token'", OR_TEXT_TARGETS);
  checkRows('training', train, targets);
  checkRows('validation', validation, targets);
  model.setTrainingMode(options.mode);
  const scorer = modeScorers(model, options.mode, { train: train.rows, validation: validation.rows }, options.features);
  const loss = targets === 'token' ? tokenSquaredError : squaredError;
  // Per-token losses are averaged over tokens, so validation weighs each batch by its token count.
  const weight = targets === 'token' ? (indices: number[]) => tokenCount(validation, indices) : undefined;
  return fitByEpochs({
    module: model.classifier,
    trainSize: train.rows.length,
    batchLoss: (indices) => loss(scorer.train, train, indices),
    validationLoss: () => batchedMeanLoss(validation.rows.length, options.batchSize, (indices) => loss(scorer.validation, validation, indices), weight),
  }, options);
}
