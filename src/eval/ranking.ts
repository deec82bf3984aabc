/**
 * Threshold-free agreement: does the recovered reward r order texts as the ground truth g does?
 * AUROC asks it of toxic against non-toxic texts (toxic when g < 0), pairwise accuracy of every
 * pair of texts that g tells apart.
 */
import { checkVectors, type Vector } from './input.js';
import { averageRanks, countPairs, type PairCounts } from './ranks.js';

/**
 * The area under the ROC curve for finding the toxic texts (g < 0) by −r: the probability that
 * a random toxic text gets a lower r than a random non-toxic one, ties counting one half — the
 * Mann–Whitney statistic, which is what scikit-learn's roc_auc_score(g < 0, −r) computes, ties
 * included. Null when the texts are all of one class (scikit-learn raises there).
 */
export function auroc(groundTruth: Vector, recovered: Vector): number | null {
  const n = checkVectors('auroc', { groundTruth, recovered });
  const ranks = averageRanks(recovered);
  let toxic = 0;
  let toxicRankSum = 0;
  for (let i = 0; i < n; i++) {
    if (groundTruth[i]! < 0) {
      toxic++;
      toxicRankSum += ranks[i]!;
    }
  }
  return aurocOfRanks(toxic, n - toxic, toxicRankSum);
}

/** The AUROC from the class sizes and the toxic texts' rank sum under r (ranks 1-based, ties averaged); null with one class. */
export function aurocOfRanks(toxic: number, nonToxic: number, toxicRankSum: number): number | null {
  if (toxic === 0 || nonToxic === 0) return null;
  // Ranking by r, the pairs won by the toxic side are those where the toxic text ranks higher.
  const toxicAbove = toxicRankSum - (toxic * (toxic + 1)) / 2;
  return 1 - toxicAbove / (toxic * nonToxic);
}

/**
 * The share of pairs of texts with different g that r orders the same way. Pairs tied in g are
 * left out (there is no order to get right); a pair tied in r but not in g counts one half (r
 * cannot tell them apart: a coin toss), so a constant r scores 0.5. For a binary g this equals
 * the AUROC. Null when every g is equal (no pair to judge). O(n log n).
 */
export function pairwiseAccuracy(groundTruth: Vector, recovered: Vector): number | null {
  checkVectors('pairwiseAccuracy', { groundTruth, recovered });
  return pairwiseAccuracyOfPairs(countPairs(groundTruth, recovered));
}

/** Pairwise accuracy from the pair counts of (g, r); null when every g is equal. */
export function pairwiseAccuracyOfPairs(c: PairCounts): number | null {
  const judged = c.pairs - c.tiedX;
  if (judged === 0) return null;
  const tiedInROnly = c.tiedY - c.tiedBoth;
  const concordant = judged - tiedInROnly - c.discordant;
  return (concordant + tiedInROnly / 2) / judged;
}
