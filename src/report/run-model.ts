/**
 * What the report knows of a run folder: each part read from the stage that wrote it, and null
 * when that stage has not completed there. The shapes are the stages' files as the README
 * documents them, reduced to what the report shows.
 */
import type { ConfusionMatrix, SeedSummary } from '../eval/index.js';
import type { ContinuationStats } from '../irl/index.js';
import type { ReuseSummary } from '../pipeline/stages/reuse-summary.js';

/** A completed stage, from its stage.json. */
export interface StageRecord {
  name: string;
  fingerprint: string;
  codeVersion: string;
  /** The run's seed the stage ran with. */
  seed: number;
  /** Each declared input (a path in the run folder, or absolute) → its content hash. */
  inputs: Record<string, string>;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
}

/** config.yaml: its text as written, and its values. */
export interface RunConfigFile {
  text: string;
  values: Record<string, unknown>;
}

/** One PPO round of one seed (and, for reuse, one policy), from metrics.jsonl. */
export interface CurvePoint {
  /** The reuse policy ('irl:paper', ...); null for the ground-truth RLHF of the rlhf stage. */
  policy: string | null;
  seed: number;
  step: number;
  /** The reward PPO optimised, before scaling (for reuse: the recovered reward, the proxy). */
  reward: number | null;
  klPerSequence: number | null;
  /** −P_tox of the continuation alone, by the ground truth. */
  groundTruth: number | null;
}

/** rlhf/summary.json's headline: the experts' toxic ratios beside the base model's. */
export interface RlhfHeadline {
  seeds: number;
  baseContinuationToxicRatio: number;
  expertContinuationToxicRatio: SeedSummary;
  baseWithPromptToxicRatio: number;
  expertWithPromptToxicRatio: SeedSummary;
  klToBase: SeedSummary;
  /** Mean continuation length in tokens (absent in runs from before it was recorded). */
  baseResponseLength?: number;
  expertResponseLength?: SeedSummary;
}

export interface RlhfPart {
  headline: RlhfHeadline | null;
  curves: CurvePoint[];
}

export interface VariantInfo {
  name: string;
  /** 'preference', 'log-ratio', 'distilled' or 'random' (the control). */
  kind: string;
  seeds: number;
  seeded: boolean;
  note: string | null;
}

/** evaluate/summary.json, the parts the report shows. */
export interface EvaluateSummary {
  texts: { test: number; minimalPairs: number };
  groundTruth: {
    definition: string;
    test: { texts: number; toxicShare: number; expertAuroc: number | null };
    /** The look-alike figures are absent from runs evaluated before evaluate v5. */
    minimalPairs: {
      sentences: number; pairAccuracy: number; accuracyBySign: number; lookAlikePairAccuracy?: number; cleanOverLookAlike?: number;
      byTemplate?: Record<string, { sentences: number; minimalPairAccuracy: number | null; lookAlikePairAccuracy: number | null }>;
    } | null;
  };
  variants: VariantInfo[];
  /** variant → metric → its summary over seeds. */
  metrics: Record<string, Record<string, SeedSummary>>;
  /** variant → template of the held-out sentence → pair figures over seeds; absent before evaluate v5, null without minimal pairs. */
  pairsByTemplate?: Record<string, Record<string, { sentences: number; minimalPairAccuracy: SeedSummary; lookAlikePairAccuracy: SeedSummary }>> | null;
  similarity: {
    /** Mean Pearson and EPIC distance between a variant's seeds: how much the seed decides. */
    withinVariant: Record<string, { meanPearson: number | null; meanEpic: number | null }>;
    betweenVariants: { variants: string[]; meanPearson: (number | null)[][] };
  };
}

/** One line of evaluate/per-seed.jsonl: one run's figures, the metrics as numbers or null. */
export interface PerSeedFigures {
  variant: string;
  seed: number | null;
  texts: number;
  toxicTexts: number;
  confusion: ConfusionMatrix;
  [metric: string]: unknown;
}

/** evaluate/similarity.json: every two runs' rewards compared on the test texts. */
export interface SimilarityMatrices {
  /** '<variant>/seed-<k>', or the variant's name for an unseeded one. */
  labels: string[];
  pearson: (number | null)[][];
  spearman: (number | null)[][];
  epic: (number | null)[][];
}

export interface EvaluatePart {
  summary: EvaluateSummary;
  perSeed: PerSeedFigures[];
  similarity: SimilarityMatrices;
}

/** A test text as one run scored it, with its words when the demonstrations are there. */
export interface ScoredText {
  /** The prompt's id. */
  prompt: string;
  fromExpert: boolean;
  /** P_tox of prompt + continuation by the ground truth. */
  toxicity: number;
  /** The recovered reward. */
  score: number;
  words: { prompt: string; continuation: string } | null;
}

/** The test texts as seed 0 of a variant scored them (the first seed, not a chosen one; an unseeded variant's only run). */
export interface VariantTestScores {
  variant: string;
  kind: string;
  seed: number | null;
  texts: ScoredText[];
}

export interface ReusePart {
  summary: ReuseSummary;
  curves: CurvePoint[];
}

export interface RunModel {
  /** The run folder, absolute. */
  dir: string;
  name: string;
  config: RunConfigFile | null;
  /** The completed stages, in the order they finished. */
  stages: StageRecord[];
  /** ground-truth/evaluation.json: a trained classifier's held-out figures (null for one the config names). */
  groundTruth: Record<string, number | null> | null;
  rlhf: RlhfPart | null;
  evaluation: EvaluatePart | null;
  /** demonstrations/summary.json's description of each model's continuations (absent in older runs). */
  demonstrations: { expert: ContinuationStats; baseline: ContinuationStats } | null;
  testScores: VariantTestScores[] | null;
  reuse: ReusePart | null;
}
