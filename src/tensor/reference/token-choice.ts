/**
 * Token choice for generation (see Backend.chooseTokens): greedy, or a draw after temperature,
 * top-k and top-p from a uniform the host drew. This file defines each row's choice; the native
 * kernel reproduces it bit for bit, and the draw is Rng.categorical's (which calls
 * indexAtCumulativeWeight in ../cumulative-draw.ts), so seeded generations are the same on every backend.
 */
import { NoToken, type TokenChoice } from '../backend.js';
import type { IdStorage, Storage } from './storage.js';
import { TensorError } from '../errors.js';
import { indexAtCumulativeWeight } from '../cumulative-draw.js';
import { softmaxShift } from './softmax.js';

export function chooseTokens(logits: Storage, rows: number, vocab: number, choice: TokenChoice,
  uniforms: readonly number[] | null, ids: IdStorage, logProbs: Storage): void {
  if (choice.sample && (uniforms === null || uniforms.length < rows)) {
    throw new TensorError(`chooseTokens: sampling needs one uniform per row (${rows}), got ${uniforms?.length ?? 'none'}`);
  }
  for (let r = 0; r < rows; r++) {
    const raw = logits.subarray(r * vocab, (r + 1) * vocab);
    const id = raw.some(Number.isNaN) ? NoToken.nanLogit : chooseFrom(suppress(raw, choice.suppressed), choice, uniforms?.[r] ?? 0);
    ids[r] = id;
    logProbs[r] = id < 0 ? Number.NaN : logSoftmaxAt(raw, id);
  }
}

/** A copy of the row with the suppressed ids at −∞ (the raw row still gives the log-probability). */
function suppress(raw: Float32Array, suppressed: readonly number[]): Float32Array {
  const row = raw.slice();
  for (const id of suppressed) if (id >= 0 && id < row.length) row[id] = -Infinity;
  return row;
}

/** log-softmax(raw)[id], computed as the reference softmax computes it. */
function logSoftmaxAt(raw: Float32Array, id: number): number {
  const { max, sum } = softmaxShift(raw, 0, raw.length);
  return (raw[id]! - max) - Math.log(sum);
}

function chooseFrom(row: Float32Array, choice: TokenChoice, uniform: number): number {
  return choice.sample ? draw(row, choice, uniform) : argmax(row);
}

/** The first largest logit, or NoToken.allExcluded when all are −∞. */
function argmax(row: Float32Array): number {
  let best: number = NoToken.allExcluded;
  let bestValue = -Infinity;
  for (let i = 0; i < row.length; i++) {
    if (row[i]! > bestValue) {
      bestValue = row[i]!;
      best = i;
    }
  }
  return best;
}

function draw(row: Float32Array, choice: TokenChoice, uniform: number): number {
  const { temperature, topK, topP } = choice;
  const vocab = row.length;
  let max = -Infinity;
  for (let i = 0; i < vocab; i++) max = Math.max(max, row[i]!);
  // All −∞ leaves nothing to draw; a +∞ logit has no finite weight.
  if (max === -Infinity || max === Infinity) return NoToken.allExcluded;
  const weightOf = (id: number) => Math.exp((row[id]! - max) / temperature);
  // Temperature keeps the order of the logits, so top-k can select on the raw values.
  let candidates = topK > 0 && topK < vocab ? largest(row, topK) : null;
  if (topP < 1) candidates = nucleus(row, candidates, weightOf, topP);
  const weights = new Float64Array(candidates ? candidates.length : vocab);
  let total = 0;
  for (let i = 0; i < weights.length; i++) {
    weights[i] = weightOf(candidates ? candidates[i]! : i);
    total += weights[i]!;
  }
  const drawn = indexAtCumulativeWeight((i) => weights[i]!, weights.length, uniform * total);
  return candidates ? candidates[drawn]! : drawn;
}

/**
 * Top-p over the candidates (or the whole vocabulary): the most probable tokens, in order, until
 * the probability of those before the next one reaches topP (transformers removes a token when
 * the probability of it and all less likely tokens is ≤ 1 − topP). Always keeps the first.
 */
function nucleus(row: Float32Array, candidates: Int32Array | null, weightOf: (id: number) => number, topP: number): Int32Array {
  let total = 0;
  const count = candidates ? candidates.length : row.length;
  for (let i = 0; i < count; i++) total += weightOf(candidates ? candidates[i]! : i);
  // Sort only as many of the most likely tokens as needed: try the top 256, then 4× more.
  for (let want = 256; ; want *= 4) {
    const pool = candidates && want >= candidates.length
      ? candidates
      : !candidates && want >= row.length ? null : largest(row, want);
    const sorted = pool ? Array.from(pool) : Array.from({ length: row.length }, (_, i) => i);
    sorted.sort((a, b) => row[b]! - row[a]! || a - b);
    let before = 0;
    for (let i = 0; i < sorted.length; i++) {
      if (i > 0 && before >= topP * total) return Int32Array.from(sorted.slice(0, i));
      before += weightOf(sorted[i]!);
    }
    if (pool === candidates || pool === null || sorted.length === count) return Int32Array.from(sorted);
  }
}

/**
 * Ids of the k largest logits, and of every logit tied with the k-th, in id order (one pass
 * with a min-heap of the k largest so far; NaN never enters).
 */
function largest(row: Float32Array, k: number): Int32Array {
  const values = new Float32Array(k).fill(-Infinity);
  const ids = new Int32Array(k).fill(-1);
  // The largest value left out of the heap, to notice ties with the k-th largest.
  let largestOut = -Infinity;
  for (let i = 0; i < row.length; i++) {
    const v = row[i]!;
    if (!(v > values[0]!)) {
      if (v > largestOut) largestOut = v;
      continue;
    }
    if (values[0]! > largestOut) largestOut = values[0]!;
    // Replace the smallest of the k and sift the new value down.
    let at = 0;
    for (;;) {
      const left = 2 * at + 1;
      if (left >= k) break;
      const right = left + 1;
      const child = right < k && values[right]! < values[left]! ? right : left;
      if (!(values[child]! < v)) break;
      values[at] = values[child]!;
      ids[at] = ids[child]!;
      at = child;
    }
    values[at] = v;
    ids[at] = i;
  }
  const threshold = values[0]!;
  if (largestOut === threshold || ids[0] === -1) {
    // Ties with the k-th largest (or fewer than k values that can be ordered): take every id at or above it.
    const found: number[] = [];
    for (let i = 0; i < row.length; i++) if (row[i]! >= threshold) found.push(i);
    return Int32Array.from(found);
  }
  return ids.sort();
}
