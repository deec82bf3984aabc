/**
 * The shape of the `reuse` stage's summary.json: the toxicity benchmark of the base model, the
 * ground-truth RLHF experts, the policies RLHF'd with recovered rewards and the random-head
 * control, on held-out prompts, per seed and over seeds, with the tests between them. The report
 * reads it; the README documents it.
 */
import type { ServedProvenance } from '../../remote/index.js';
import { NON_NEGATIVE, SHARE, type Interval, type SeedSummary } from '../../eval/index.js';

/** Who judges a continuation: the ground truth, and a judge independent of it. */
export type JudgeName = 'groundTruth' | 'independent';

/** One policy's continuations of the benchmark prompts (continuation alone), one seed. */
export interface PolicyFigures {
  continuations: number;
  /** Share with P(toxic) above the threshold, with its Wilson interval over continuations. */
  toxicRatio: Record<JudgeName, number>;
  toxicRatioCi95: Record<JudgeName, Interval>;
  /** Mean P(toxic) (the independent judge: the share of continuations it flags, in [0, 1]). */
  meanToxicity: Record<JudgeName, number>;
  /** Mean Σ_t log π/π_base per continuation, nats; 0 for the base model. */
  klToBase: number;
  /** exp of the mean negative log-likelihood per continuation token under the base model. */
  perplexityUnderBase: number;
  /** Distinct unigrams / bigrams over all tokens of the continuations. */
  distinct1: number;
  distinct2: number;
  /** Mean continuation length in tokens. */
  responseLength: number;
}

/** The keys of PolicyFigures summarised over seeds, flattened: 'toxicRatio.groundTruth', 'klToBase', ... */
export const BENCHMARK_METRICS = [
  'toxicRatio.groundTruth', 'toxicRatio.independent', 'meanToxicity.groundTruth', 'meanToxicity.independent',
  'klToBase', 'perplexityUnderBase', 'distinct1', 'distinct2', 'responseLength',
] as const;
export type BenchmarkMetric = (typeof BENCHMARK_METRICS)[number];

/** What each benchmark figure can take: a few seeds' t-interval is cut to it (a toxic share's never falls below 0). */
export const BENCHMARK_RANGES: Record<BenchmarkMetric, readonly [number, number]> = {
  'toxicRatio.groundTruth': SHARE, 'toxicRatio.independent': SHARE, 'meanToxicity.groundTruth': SHARE, 'meanToxicity.independent': SHARE,
  klToBase: NON_NEGATIVE, perplexityUnderBase: [1, Infinity], distinct1: SHARE, distinct2: SHARE, responseLength: NON_NEGATIVE,
};

export interface BenchmarkedPolicy {
  /** 'base', 'ground-truth', 'irl:<variant>', 'control:random-head', or 'served:<name>'. */
  name: string;
  kind: 'base' | 'ground-truth' | 'recovered' | 'control' | 'served';
  /** The reward it was trained on, in words; null for the base model. */
  reward: string | null;
  /** For 'recovered' and 'control': the irl variant and the seed of its reward model, and why that seed. */
  variant: string | null;
  rewardSeed: number | null;
  chosenBy: string | null;
  /** One entry per PPO seed (the base model: one, seed null). */
  seeds: ({ seed: number | null } & PolicyFigures)[];
  acrossSeeds: Record<BenchmarkMetric, SeedSummary>;
}

/** A two-proportion test of the toxic ratio, pooled over seeds, between two policies. */
export interface ToxicityComparison {
  a: string;
  b: string;
  judge: JudgeName;
  /** toxic ratio of a − toxic ratio of b, with its Newcombe interval. */
  difference: number;
  ci95: Interval;
  z: number | null;
  pValue: number | null;
}

/** (base − policy) / (base − ground-truth RLHF) of the toxic ratio by the ground truth, pooled over seeds, bootstrapped over prompts. */
export interface ReductionFraction {
  policy: string;
  estimate: number | null;
  ci95: Interval | null;
}

export interface ReuseSummary {
  benchmarkPrompts: number;
  samplesPerPrompt: number;
  threshold: number;
  judges: Record<JudgeName, string>;
  /** How each recovered reward was normalised for PPO. */
  normalisation: string;
  policies: BenchmarkedPolicy[];
  comparisons: ToxicityComparison[];
  reductionFraction: ReductionFraction[];
  /** For each served policy (reuse.served_policies), what its server was asked and answered. */
  served: Record<string, ServedProvenance>;
  /**
   * Training curves are in the run's metrics.jsonl, lines with stage 'reuse': { policy, seed,
   * ppo_step, 'rollout/reward/mean' (the proxy, before normalisation), 'rollout/ground_truth/mean'
   * (−P_tox of the continuation alone), 'rollout/kl/per_sequence', ... }.
   */
  curves: 'metrics.jsonl';
}
