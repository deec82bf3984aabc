/**
 * The shape of the `irl` stage's summary.json: every variant with its settings and what kind of
 * reward it is, and one run per seed (one in all for the unseeded log-ratio) naming its scores
 * and saved reward model. evaluate, reuse and the report read it; the README documents it.
 */
import type { SeedSummary } from '../../eval/index.js';
import type { RewardInput } from '../../irl/index.js';
import type { IrlVariant } from './irl-variants.js';

/** How a run's reward does on the validation texts: what the log shows and reuse chooses by. */
export interface ValidationFigures {
  /** P(a baseline text scores below an expert text). */
  expertAuroc: number | null;
  /** Spearman with the ground truth of prompt + continuation, and of the continuation alone. */
  spearman: number | null;
  spearmanContinuation: number | null;
  /**
   * AUROC for the texts the ground truth calls toxic (P > 0.5), of prompt + continuation and of the
   * continuation alone; null where the validation texts hold one class. Absent from runs before irl v7.
   */
  auroc?: number | null;
  aurocContinuation?: number | null;
}

export interface IrlRun {
  /** The reward model's seed, or the log-ratio's expert (PPO seed); null for the log-ratio of one expert. */
  seed: number | null;
  /** The run's scores.jsonl, relative to the stage folder. */
  scores: string;
  /** The saved reward model's folder, relative to the stage folder; null where nothing was trained. */
  reward: string | null;
  /** The epoch model selection kept, and its validation loss (trained variants). */
  bestEpoch?: number | null;
  validationLoss?: number | null;
  validation: ValidationFigures;
}

export interface IrlVariantSummary extends IrlVariant {
  /** Whether a reward model was trained (preference and distilled variants). */
  trained: boolean;
  seeded: boolean;
  /** What a variant's runs differ by: the reward model's seed, or (the log-ratio) the expert's PPO seed; null for one run. */
  spreadOver: 'reward-model seeds' | 'experts' | null;
  /** What its reward models read (its reward_input, or the section's); null for the log-ratio, which reads the prompt as context. */
  rewardInput: RewardInput | null;
  /** True for the summed log-ratio, the closed form the distilled variants learn. */
  closedForm: boolean;
  note: string | null;
  seconds: number;
  validationExpertAuroc: SeedSummary;
  runs: IrlRun[];
}

export interface IrlSummary {
  seeds: number;
  rewardInput: RewardInput;
  beta: number;
  /** Expert–baseline pairs per split. */
  pairs: { train: number; validation: number; test: number };
  /** Texts scored per score set (validation, test, pairs). */
  texts: Record<string, number>;
  variants: IrlVariantSummary[];
}
