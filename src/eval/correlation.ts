/**
 * Correlations between two rewards over the same texts: Pearson (linear), Spearman (Pearson of
 * average ranks) and Kendall's τ-b (pairs, ties corrected), as SciPy's pearsonr, spearmanr and
 * kendalltau compute them. Each is null where SciPy gives NaN: when either vector is constant.
 */
import { checkVectors, isConstant, mean, type Vector } from './input.js';
import { averageRanks, countPairs, type PairCounts } from './ranks.js';

/** Pearson's r; null when either vector is constant (or has one value). */
export function pearson(x: Vector, y: Vector): number | null {
  const n = checkVectors('pearson', { x, y });
  // An exact test, as SciPy's: a constant vector's centred values can be rounding noise, not 0.
  if (isConstant(x) || isConstant(y)) return null;
  const meanX = mean(x);
  const meanY = mean(y);
  let xy = 0;
  let xx = 0;
  let yy = 0;
  for (let i = 0; i < n; i++) {
    const dx = x[i]! - meanX;
    const dy = y[i]! - meanY;
    xy += dx * dy;
    xx += dx * dx;
    yy += dy * dy;
  }
  return Math.max(-1, Math.min(1, xy / (Math.sqrt(xx) * Math.sqrt(yy))));
}

/** Spearman's ρ: Pearson's r of the average ranks; null when either vector is constant. */
export function spearman(x: Vector, y: Vector): number | null {
  checkVectors('spearman', { x, y });
  return pearson(averageRanks(x), averageRanks(y));
}

/**
 * Kendall's τ-b = (concordant − discordant) / √((pairs − tiedX)(pairs − tiedY)), SciPy's default:
 * a pair tied in either vector is neither concordant nor discordant, and the denominator leaves
 * out the pairs tied in each. O(n log n). Null when either vector is constant.
 */
export function kendallTauB(x: Vector, y: Vector): number | null {
  checkVectors('kendallTauB', { x, y });
  return kendallTauBOfPairs(countPairs(x, y));
}

/** Kendall's τ-b from the pair counts of (x, y); null when either is constant. */
export function kendallTauBOfPairs(c: PairCounts): number | null {
  const untiedX = c.pairs - c.tiedX;
  const untiedY = c.pairs - c.tiedY;
  if (untiedX === 0 || untiedY === 0) return null;
  // concordant − discordant = (pairs tied in neither) − 2·discordant
  const tiedInNeither = c.pairs - c.tiedX - c.tiedY + c.tiedBoth;
  return Math.max(-1, Math.min(1, (tiedInNeither - 2 * c.discordant) / Math.sqrt(untiedX * untiedY)));
}
