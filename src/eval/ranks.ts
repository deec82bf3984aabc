/**
 * Ranking and pair counting in O(n log n), shared by Spearman, Kendall's τ-b, AUROC and pairwise
 * accuracy: average ranks for ties (SciPy's rankdata 'average'), and Knight's (1966) way of
 * counting concordant, discordant and tied pairs with one sort and one merge sort.
 */
import type { Vector } from './input.js';

/** Indices of values in ascending order (ties in index order). */
function argsort(values: Vector): Uint32Array {
  const order = new Uint32Array(values.length);
  for (let i = 0; i < order.length; i++) order[i] = i;
  return order.sort((a, b) => values[a]! - values[b]! || a - b);
}

/** 1-based ranks, tied values sharing the mean of the ranks they span. */
export function averageRanks(values: Vector): Float64Array {
  const order = argsort(values);
  const ranks = new Float64Array(values.length);
  for (let start = 0; start < order.length; ) {
    let end = start + 1;
    while (end < order.length && values[order[end]!] === values[order[start]!]) end++;
    const rank = (start + 1 + end) / 2; // mean of the 1-based ranks start+1 … end
    for (let k = start; k < end; k++) ranks[order[k]!] = rank;
    start = end;
  }
  return ranks;
}

/** How the n(n−1)/2 pairs of texts relate under two orderings x and y. */
export interface PairCounts {
  pairs: number;
  /** Pairs with equal x (whatever y). */
  tiedX: number;
  /** Pairs with equal y (whatever x). */
  tiedY: number;
  /** Pairs equal in both. */
  tiedBoth: number;
  /** Pairs ordered one way by x and the other way by y. */
  discordant: number;
}

/** Pairs within runs of equal values of a sorted sequence. */
function tiedPairs(sorted: ArrayLike<number>): number {
  let total = 0;
  for (let start = 0; start < sorted.length; ) {
    let end = start + 1;
    while (end < sorted.length && sorted[end] === sorted[start]) end++;
    total += ((end - start) * (end - start - 1)) / 2;
    start = end;
  }
  return total;
}

/**
 * Sorting by (x, y) puts pairs tied in x in y order, so the discordant pairs are exactly the
 * inversions left in y, which a merge sort counts; ties are not inversions, so they add nothing.
 * Counts stay exact in float64 up to n ≈ 10^8.
 */
export function countPairs(x: Vector, y: Vector): PairCounts {
  const n = x.length;
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((a, b) => x[a]! - x[b]! || y[a]! - y[b]!);

  let tiedX = 0;
  let tiedBoth = 0;
  for (let start = 0; start < n; ) {
    let end = start + 1;
    while (end < n && x[order[end]!] === x[order[start]!]) end++;
    tiedX += ((end - start) * (end - start - 1)) / 2;
    tiedBoth += tiedPairs(Array.from(order.subarray(start, end), (i) => y[i]!));
    start = end;
  }

  let ys = Float64Array.from(order, (i) => y[i]!);
  let buffer = new Float64Array(n);
  let discordant = 0;
  for (let width = 1; width < n; width *= 2) {
    for (let left = 0; left < n; left += 2 * width) {
      const middle = Math.min(left + width, n);
      const right = Math.min(left + 2 * width, n);
      let i = left;
      let j = middle;
      let out = left;
      while (i < middle && j < right) {
        if (ys[i]! <= ys[j]!) buffer[out++] = ys[i++]!;
        else {
          discordant += middle - i; // ys[j] jumps ahead of every value left in the left run
          buffer[out++] = ys[j++]!;
        }
      }
      while (i < middle) buffer[out++] = ys[i++]!;
      while (j < right) buffer[out++] = ys[j++]!;
    }
    [ys, buffer] = [buffer, ys];
  }
  return { pairs: (n * (n - 1)) / 2, tiedX, tiedY: tiedPairs(ys), tiedBoth, discordant };
}
