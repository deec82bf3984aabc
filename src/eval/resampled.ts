/**
 * The agreement metrics of r against g as functions of how often each text was drawn: what a
 * bootstrap resample is. The texts are sorted once, so a resample costs O(n) per metric (the pair
 * counts O(n log n), in a Fenwick tree) with no sort. Sorting every resample again made per-run
 * intervals most of the evaluate stage's time. Each figure equals the plain metric of the expanded
 * sample (a text drawn k times appearing k times) up to rounding.
 */
import { accuracyOf, f1Of, type ConfusionMatrix } from './classification.js';
import { kendallTauBOfPairs } from './correlation.js';
import { checkVectors, type Vector } from './input.js';
import { aurocOfRanks, pairwiseAccuracyOfPairs } from './ranking.js';
import type { PairCounts } from './ranks.js';

/** Texts in ascending order of a key, and where each run of equal keys starts (the last entry is n). */
interface Runs {
  order: Uint32Array;
  starts: number[];
}

function runsOf(n: number, compare: (a: number, b: number) => number): Runs {
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort(compare);
  const starts = [0];
  for (let p = 1; p < n; p++) if (compare(order[p - 1]!, order[p]!) !== 0) starts.push(p);
  starts.push(n);
  return { order, starts };
}

/** Each text's average rank among the drawn texts into `ranks`; returns how many runs were drawn at all. */
function averageRanksOf(runs: Runs, counts: Float64Array, ranks: Float64Array): number {
  const { order, starts } = runs;
  let below = 0;
  let drawnRuns = 0;
  for (let k = 0; k + 1 < starts.length; k++) {
    let drawn = 0;
    for (let p = starts[k]!; p < starts[k + 1]!; p++) drawn += counts[order[p]!]!;
    if (drawn === 0) continue;
    drawnRuns++;
    const rank = below + (drawn + 1) / 2; // the mean of ranks below+1 … below+drawn
    for (let p = starts[k]!; p < starts[k + 1]!; p++) ranks[order[p]!] = rank;
    below += drawn;
  }
  return drawnRuns;
}

/** Pairs among the drawn texts within runs of equal keys. */
function tiedPairsOf(runs: Runs, counts: Float64Array): number {
  let total = 0;
  for (let k = 0; k + 1 < runs.starts.length; k++) {
    let drawn = 0;
    for (let p = runs.starts[k]!; p < runs.starts[k + 1]!; p++) drawn += counts[runs.order[p]!]!;
    total += (drawn * (drawn - 1)) / 2;
  }
  return total;
}

/** Pearson's r of x and y over the drawn texts, each weighted by its count. */
function weightedPearson(x: Vector, y: Vector, counts: Float64Array, drawn: number): number {
  let meanX = 0;
  let meanY = 0;
  for (let i = 0; i < counts.length; i++) {
    meanX += counts[i]! * x[i]!;
    meanY += counts[i]! * y[i]!;
  }
  meanX /= drawn;
  meanY /= drawn;
  let xy = 0;
  let xx = 0;
  let yy = 0;
  for (let i = 0; i < counts.length; i++) {
    const dx = x[i]! - meanX;
    const dy = y[i]! - meanY;
    xy += counts[i]! * dx * dy;
    xx += counts[i]! * dx * dx;
    yy += counts[i]! * dy * dy;
  }
  return Math.max(-1, Math.min(1, xy / (Math.sqrt(xx) * Math.sqrt(yy))));
}

/** g and r of the same texts, sorted once; every method takes each text's draw count (all ones: the sample itself). */
export class ResampledAgreement {
  readonly n: number;
  private readonly byG: Runs;
  private readonly byR: Runs;
  /** Ordered by g, then r: runs of equal (g, r) pairs; byGThenRGroups holds the runs of equal g in the same order. */
  private readonly byGThenR: Runs;
  private readonly byGThenRGroups: Runs;
  /** Each text's place among r's distinct values, for the Fenwick tree. */
  private readonly rIndex: Uint32Array;
  private readonly ranksG: Float64Array;
  private readonly ranksR: Float64Array;
  private readonly tree: Float64Array;

  constructor(
    private readonly groundTruth: Vector,
    private readonly recovered: Vector,
  ) {
    const n = checkVectors('ResampledAgreement', { groundTruth, recovered });
    const [g, r] = [groundTruth, recovered];
    this.n = n;
    this.byG = runsOf(n, (a, b) => g[a]! - g[b]!);
    this.byR = runsOf(n, (a, b) => r[a]! - r[b]!);
    this.byGThenR = runsOf(n, (a, b) => g[a]! - g[b]! || r[a]! - r[b]!);
    const starts = this.byGThenR.starts.filter((p, k) => k === 0 || p === n || g[this.byGThenR.order[p - 1]!] !== g[this.byGThenR.order[p]!]);
    this.byGThenRGroups = { order: this.byGThenR.order, starts };
    this.rIndex = new Uint32Array(n);
    this.byR.starts.slice(0, -1).forEach((start, k) => {
      for (let p = start; p < this.byR.starts[k + 1]!; p++) this.rIndex[this.byR.order[p]!] = k;
    });
    this.ranksG = new Float64Array(n);
    this.ranksR = new Float64Array(n);
    this.tree = new Float64Array(this.byR.starts.length);
  }

  /** Drawn texts by truth (toxic when g < 0) and prediction (r < threshold), as confusionMatrix. */
  private confusion(counts: Float64Array): ConfusionMatrix {
    const m: ConfusionMatrix = [[0, 0], [0, 0]];
    for (let i = 0; i < this.n; i++) m[this.groundTruth[i]! < 0 ? 1 : 0][this.recovered[i]! < 0 ? 1 : 0] += counts[i]!;
    return m;
  }

  accuracy(counts: Float64Array): number {
    return accuracyOf(this.confusion(counts));
  }

  f1(counts: Float64Array): number | null {
    return f1Of(this.confusion(counts));
  }

  auroc(counts: Float64Array): number | null {
    averageRanksOf(this.byR, counts, this.ranksR);
    let toxic = 0;
    let nonToxic = 0;
    let toxicRankSum = 0;
    for (let i = 0; i < this.n; i++) {
      if (counts[i] === 0) continue;
      if (this.groundTruth[i]! < 0) {
        toxic += counts[i]!;
        toxicRankSum += counts[i]! * this.ranksR[i]!;
      } else nonToxic += counts[i]!;
    }
    return aurocOfRanks(toxic, nonToxic, toxicRankSum);
  }

  pearson(counts: Float64Array): number | null {
    if (drawnRuns(this.byG, counts) < 2 || drawnRuns(this.byR, counts) < 2) return null;
    return weightedPearson(this.groundTruth, this.recovered, counts, total(counts));
  }

  spearman(counts: Float64Array): number | null {
    if (averageRanksOf(this.byG, counts, this.ranksG) < 2 || averageRanksOf(this.byR, counts, this.ranksR) < 2) return null;
    return weightedPearson(this.ranksG, this.ranksR, counts, total(counts));
  }

  pairwiseAccuracy(counts: Float64Array): number | null {
    return pairwiseAccuracyOfPairs(this.countPairs(counts));
  }

  kendall(counts: Float64Array): number | null {
    return kendallTauBOfPairs(this.countPairs(counts));
  }

  /** countPairs of ranks.ts for the drawn texts: in (g, r) order, a text is discordant with every earlier one of larger r. */
  private countPairs(counts: Float64Array): PairCounts {
    const drawn = total(counts);
    const tree = this.tree.fill(0);
    let inserted = 0;
    let discordant = 0;
    for (const i of this.byGThenR.order) {
      const count = counts[i]!;
      if (count === 0) continue;
      let atMost = 0; // drawn so far with r at most this text's
      for (let k = this.rIndex[i]! + 1; k > 0; k -= k & -k) atMost += tree[k]!;
      discordant += count * (inserted - atMost);
      for (let k = this.rIndex[i]! + 1; k < tree.length; k += k & -k) tree[k]! += count;
      inserted += count;
    }
    return {
      pairs: (drawn * (drawn - 1)) / 2,
      tiedX: tiedPairsOf(this.byGThenRGroups, counts),
      tiedY: tiedPairsOf(this.byR, counts),
      tiedBoth: tiedPairsOf(this.byGThenR, counts),
      discordant,
    };
  }
}

function drawnRuns(runs: Runs, counts: Float64Array): number {
  let found = 0;
  for (let k = 0; k + 1 < runs.starts.length && found < 2; k++) {
    for (let p = runs.starts[k]!; p < runs.starts[k + 1]!; p++) {
      if (counts[runs.order[p]!] !== 0) {
        found++;
        break;
      }
    }
  }
  return found;
}

function total(counts: Float64Array): number {
  let sum = 0;
  for (let i = 0; i < counts.length; i++) sum += counts[i]!;
  return sum;
}
