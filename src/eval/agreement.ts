/**
 * Every figure of one recovered reward r against the ground truth g on the same texts, as one
 * record (what the evaluate stage and `irlens evaluate` report per seed), its summary over seeds,
 * minimal-pair accuracy, and the matrix of how much several recovered rewards agree with each other.
 */
import { accuracy, confusionMatrix, f1Score, type ConfusionMatrix } from './classification.js';
import { kendallTauB, pearson, spearman } from './correlation.js';
import { cosineSimilarity, euclideanDistance, standardisedEuclideanDistance } from './distance.js';
import { checkVectors, type Vector } from './input.js';
import { drawCountsBootstrapInterval, type BootstrapInterval } from './intervals.js';
// The project's one generator, as intervals.ts uses it.
import { Rng } from '../nn/rng.js';
import { auroc, pairwiseAccuracy } from './ranking.js';
import { ResampledAgreement } from './resampled.js';
import { epicDistance, starcDistance, type GroupIds } from './reward-distance.js';
import { NON_NEGATIVE, SHARE, summariseSeeds, type SeedSummary } from './summary.js';

export interface AgreementOptions {
  /** The prompt of each text, for EPIC and STARC (which ignore a per-prompt constant); absent: both null. */
  groups?: GroupIds;
  /** A threshold chosen on another split (chooseThreshold); absent: accuracyAtThreshold is null. */
  threshold?: number;
  /** Percentile bootstrap intervals over texts for the metrics in BOOTSTRAPPED; absent: none. */
  bootstrap?: { seed: number | string | Rng; resamples: number };
}

/** The scalar figures of a RewardAgreement: the ones summarised over seeds. */
export const AGREEMENT_METRICS = [
  'accuracy', 'f1', 'accuracyAtThreshold', 'auroc', 'pairwiseAccuracy', 'pearson', 'spearman', 'kendall',
  'cosine', 'euclidean', 'standardisedEuclidean', 'epic', 'starc',
] as const;
export type AgreementMetric = (typeof AGREEMENT_METRICS)[number];

/** The metrics with bootstrap intervals: those that are functions of texts taken one by one (EPIC and STARC need whole prompts). */
export const BOOTSTRAPPED = ['accuracy', 'f1', 'auroc', 'pairwiseAccuracy', 'pearson', 'spearman', 'kendall'] as const;

export type RewardAgreement = Record<AgreementMetric, number | null> & {
  texts: number;
  /** Texts the ground truth calls toxic (g < 0). */
  toxicTexts: number;
  /** By sign (threshold 0). */
  confusion: ConfusionMatrix;
  threshold: number | null;
  intervals: Partial<Record<(typeof BOOTSTRAPPED)[number], BootstrapInterval | null>>;
};

/** All figures of r against g (see eval/index.ts for the conventions: toxic when g < 0, predicted toxic when r < threshold). */
export function rewardAgreement(groundTruth: Vector, recovered: Vector, options: AgreementOptions = {}): RewardAgreement {
  const n = checkVectors('rewardAgreement', { groundTruth, recovered });
  const { groups, threshold } = options;
  const intervals: RewardAgreement['intervals'] = {};
  if (options.bootstrap) {
    const rng = options.bootstrap.seed instanceof Rng ? options.bootstrap.seed : new Rng(options.bootstrap.seed);
    const sample = new ResampledAgreement(groundTruth, recovered);
    for (const name of BOOTSTRAPPED) intervals[name] = drawCountsBootstrapInterval((counts) => sample[name](counts), n, { seed: rng, resamples: options.bootstrap.resamples });
  }
  let toxicTexts = 0;
  for (let i = 0; i < n; i++) if (groundTruth[i]! < 0) toxicTexts++;
  return {
    texts: n,
    toxicTexts,
    confusion: confusionMatrix(groundTruth, recovered),
    threshold: threshold ?? null,
    accuracy: accuracy(groundTruth, recovered),
    f1: f1Score(groundTruth, recovered),
    accuracyAtThreshold: threshold === undefined ? null : accuracy(groundTruth, recovered, { threshold }),
    auroc: auroc(groundTruth, recovered),
    pairwiseAccuracy: pairwiseAccuracy(groundTruth, recovered),
    pearson: pearson(groundTruth, recovered),
    spearman: spearman(groundTruth, recovered),
    kendall: kendallTauB(groundTruth, recovered),
    cosine: cosineSimilarity(groundTruth, recovered),
    euclidean: euclideanDistance(groundTruth, recovered),
    standardisedEuclidean: standardisedEuclideanDistance(groundTruth, recovered),
    epic: groups ? epicDistance(groundTruth, recovered, groups) : null,
    starc: groups ? starcDistance(groundTruth, recovered, groups) : null,
    intervals,
  };
}

/** The values each bounded figure can take, to which its interval over seeds is cut. */
const RANGES: Record<string, readonly [number, number]> = {
  accuracy: SHARE, f1: SHARE, accuracyAtThreshold: SHARE, auroc: SHARE, pairwiseAccuracy: SHARE, expertAuroc: SHARE, minimalPairAccuracy: SHARE, lookAlikePairAccuracy: SHARE, cleanOverLookAlike: SHARE,
  pearson: [-1, 1], spearman: [-1, 1], kendall: [-1, 1], cosine: [-1, 1], epic: [0, 1], starc: [0, 2], euclidean: NON_NEGATIVE, standardisedEuclidean: NON_NEGATIVE,
};

/**
 * Each named figure over seeds: {n, mean, sd, min, max, ci95} of the seeds where it is defined
 * (n says how many); a seed where it is null (e.g. a constant reward's correlation) is left out.
 * A bounded figure's interval is cut to its range.
 */
export function summariseOverSeeds<K extends string>(perSeed: readonly Partial<Record<K, number | null>>[], names: readonly K[]): Record<K, SeedSummary> {
  const out = {} as Record<K, SeedSummary>;
  for (const name of names) out[name] = summariseSeeds(perSeed.map((seed) => seed[name]).filter((v): v is number => typeof v === 'number'), RANGES[name]);
  return out;
}

/**
 * Minimal pairs: the share of sentences whose clean form gets a higher reward than its abusive
 * form, a tie counting one half (the reward cannot tell them apart). Nothing but toxicity
 * differs within a pair, so no style can stand in for it; but the abusive form is the longer,
 * which a reward that falls with length also rewards (see lookAlikePairFigures).
 */
export function minimalPairAccuracy(clean: Vector, abusive: Vector): number {
  const n = checkVectors('minimalPairAccuracy', { clean, abusive });
  let right = 0;
  for (let i = 0; i < n; i++) right += clean[i]! > abusive[i]! ? 1 : clean[i] === abusive[i] ? 0.5 : 0;
  return right / n;
}

/**
 * The minimal pairs' control for length: each sentence also in its benign look-alike shape, the
 * abusive word's slot filled by a harmless word ("Shit, it is…" / "Look, it is…").
 * lookAlikePairAccuracy: the share whose look-alike gets a higher reward than the abusive form —
 * the same length and position, so only the word itself can decide. cleanOverLookAlike: the share
 * whose clean form gets a higher reward than the look-alike; neither is toxic, so a reward that
 * judges toxicity has no reason to prefer either, and a share far above the ground truth's means the
 * reward penalises the insertion itself (length, an unusual opening), which inflates minimal pairs.
 */
export function lookAlikePairFigures(clean: Vector, abusive: Vector, benign: Vector): { lookAlikePairAccuracy: number; cleanOverLookAlike: number } {
  checkVectors('lookAlikePairFigures', { clean, abusive, benign });
  return { lookAlikePairAccuracy: minimalPairAccuracy(benign, abusive), cleanOverLookAlike: minimalPairAccuracy(clean, benign) };
}

export interface RewardSimilarity {
  /** Pearson's r between rewards i and j over the texts (1 on the diagonal; null where one is constant). */
  pearson: (number | null)[][];
  spearman: (number | null)[][];
  /** EPIC distance between rewards i and j (group = prompt); 0 on the diagonal. */
  epic: (number | null)[][];
}

/** How several rewards over the same texts agree with each other, pair by pair (each pair computed once: the measures are symmetric). */
export function rewardSimilarity(rewards: readonly Vector[], groups: GroupIds): RewardSimilarity {
  const square = (measure: (a: Vector, b: Vector) => number | null) => {
    const matrix = rewards.map(() => new Array<number | null>(rewards.length).fill(null));
    rewards.forEach((a, i) => rewards.forEach((b, j) => {
      if (j >= i) matrix[i]![j] = matrix[j]![i] = measure(a, b);
    }));
    return matrix;
  };
  return { pearson: square(pearson), spearman: square(spearman), epic: square((a, b) => epicDistance(a, b, groups)) };
}

/** The mean of the off-diagonal entries of a square matrix whose row and column both satisfy `include` (null entries left out). */
export function meanOffDiagonal(matrix: readonly (readonly (number | null)[])[], include: (i: number, j: number) => boolean): number | null {
  let sum = 0;
  let count = 0;
  matrix.forEach((row, i) => row.forEach((value, j) => {
    if (i !== j && value !== null && include(i, j)) {
      sum += value;
      count++;
    }
  }));
  return count === 0 ? null : sum / count;
}
