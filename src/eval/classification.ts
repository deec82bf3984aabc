/**
 * Agreement by sign: a text is toxic when the ground truth g < 0, and predicted toxic when the
 * recovered reward r < threshold (0 unless given). Toxic is the positive class throughout, as in
 * scikit-learn's metrics with pos_label = toxic. `chooseThreshold` picks a threshold on one split
 * for `accuracy` and the others to apply on another.
 */
import { checkVectors, type Vector } from './input.js';

export interface ThresholdOptions {
  /** r below this predicts toxic; default 0, the sign convention. */
  threshold?: number;
}

/** scikit-learn's confusion_matrix: rows are g [non-toxic, toxic], columns r [non-toxic, toxic]. */
export type ConfusionMatrix = [[trueNegatives: number, falsePositives: number], [falseNegatives: number, truePositives: number]];

export function confusionMatrix(groundTruth: Vector, recovered: Vector, options: ThresholdOptions = {}): ConfusionMatrix {
  const n = checkVectors('confusionMatrix', { groundTruth, recovered });
  const threshold = options.threshold ?? 0;
  const matrix: ConfusionMatrix = [
    [0, 0],
    [0, 0],
  ];
  for (let i = 0; i < n; i++) matrix[groundTruth[i]! < 0 ? 1 : 0][recovered[i]! < threshold ? 1 : 0]++;
  return matrix;
}

/** The share of texts whose predicted class is their true class. */
export function accuracy(groundTruth: Vector, recovered: Vector, options: ThresholdOptions = {}): number {
  return accuracyOf(confusionMatrix(groundTruth, recovered, options));
}

/** The share of a confusion matrix on its diagonal. */
export const accuracyOf = ([[tn, fp], [fn, tp]]: ConfusionMatrix): number => (tn + tp) / (tn + fp + fn + tp);

/** Of the texts predicted toxic, the share that are. Null when none is predicted toxic. */
export function precision(groundTruth: Vector, recovered: Vector, options: ThresholdOptions = {}): number | null {
  const [[, fp], [, tp]] = confusionMatrix(groundTruth, recovered, options);
  return tp + fp === 0 ? null : tp / (tp + fp);
}

/** Of the toxic texts, the share predicted toxic. Null when no text is toxic. */
export function recall(groundTruth: Vector, recovered: Vector, options: ThresholdOptions = {}): number | null {
  const [, [fn, tp]] = confusionMatrix(groundTruth, recovered, options);
  return tp + fn === 0 ? null : tp / (tp + fn);
}

/**
 * F1 = 2TP / (2TP + FP + FN), the harmonic mean of precision and recall written so that it stays
 * defined when only one of them is: with no toxic prediction but some toxic texts it is 0, as in
 * scikit-learn ≥ 1.3. Null only when there is neither a toxic text nor a toxic prediction.
 */
export function f1Score(groundTruth: Vector, recovered: Vector, options: ThresholdOptions = {}): number | null {
  return f1Of(confusionMatrix(groundTruth, recovered, options));
}

/** F1 of a confusion matrix (see f1Score). */
export const f1Of = ([[, fp], [fn, tp]]: ConfusionMatrix): number | null => (2 * tp + fp + fn === 0 ? null : (2 * tp) / (2 * tp + fp + fn));

export interface ChosenThreshold {
  threshold: number;
  /** The accuracy it reaches on the split it was chosen on. */
  accuracy: number;
}

/**
 * The threshold that maximises accuracy on this split, to be applied to another. Every way of
 * cutting the sorted distinct values of r is a candidate, its threshold the midpoint of the gap;
 * the two outer cuts (all toxic, none toxic) sit half the range of r beyond its extremes (0.5 when
 * r is constant). Of equally accurate candidates the one nearest 0 wins, so the sign convention
 * stands when it is as good as any; of two equally near, the lower. O(n log n).
 */
export function chooseThreshold(groundTruth: Vector, recovered: Vector): ChosenThreshold {
  const n = checkVectors('chooseThreshold', { groundTruth, recovered });
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => recovered[a]! - recovered[b]!);
  let nonToxic = 0;
  for (let i = 0; i < n; i++) if (!(groundTruth[i]! < 0)) nonToxic++;
  const lowest = recovered[order[0]!]!;
  const highest = recovered[order[n - 1]!]!;
  const margin = highest > lowest ? (highest - lowest) / 2 : 0.5;

  let best = { threshold: lowest - margin, correct: nonToxic }; // nothing predicted toxic
  const better = (threshold: number, correct: number) =>
    correct > best.correct || (correct === best.correct && (Math.abs(threshold) < Math.abs(best.threshold) || (Math.abs(threshold) === Math.abs(best.threshold) && threshold < best.threshold)));
  let toxicBelow = 0;
  let nonToxicBelow = 0;
  for (let start = 0; start < n; ) {
    const value = recovered[order[start]!]!;
    let end = start;
    for (; end < n && recovered[order[end]!] === value; end++) {
      if (groundTruth[order[end]!]! < 0) toxicBelow++;
      else nonToxicBelow++;
    }
    const correct = toxicBelow + nonToxic - nonToxicBelow;
    let threshold = highest + margin;
    if (end < n) {
      const next = recovered[order[end]!]!;
      const middle = value / 2 + next / 2;
      threshold = middle > value ? middle : next; // adjacent doubles: the midpoint rounds onto one of them
    }
    if (better(threshold, correct)) best = { threshold, correct };
    start = end;
  }
  return { threshold: best.threshold, accuracy: best.correct / n };
}
