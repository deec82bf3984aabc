/**
 * Turning documents into training examples: packing token streams into fixed-size blocks, a
 * seeded held-out split, and a fingerprint that tells whether a checkpoint was made on this data.
 */
import { createHash } from 'node:crypto';
import type { Rng } from '../nn/index.js';
import { TrainDataError } from './errors.js';

/**
 * Documents packed into one token stream, `doc₀ eos doc₁ eos … docₙ eos`, read as blocks: block i
 * is the model's input stream[i·blockSize, (i+1)·blockSize) and its targets are the same window
 * shifted by one token. Consecutive blocks share one token (the last target of one is the first
 * input of the next), so every token but the first is predicted once and no padding is needed.
 * The tail too short for a whole block is dropped.
 */
export interface PackedBlocks {
  stream: Int32Array;
  blockSize: number;
  /** Number of whole blocks. */
  count: number;
  /** Tokens at the end of the stream that no block uses as a target. */
  droppedTokens: number;
}

export function packDocuments(documents: readonly (readonly number[])[], eosTokenId: number, blockSize: number): PackedBlocks {
  let length = 0;
  for (const doc of documents) length += doc.length + 1;
  const stream = new Int32Array(length);
  let at = 0;
  for (const doc of documents) {
    stream.set(doc, at);
    at += doc.length;
    stream[at++] = eosTokenId;
  }
  const count = Math.max(0, Math.floor((length - 1) / blockSize));
  return { stream, blockSize, count, droppedTokens: length - (count * blockSize + (count > 0 ? 1 : 0)) };
}

/** Inputs and targets of the given blocks, flat and row-major ([rows, blockSize] each). */
export function blockBatch(packed: PackedBlocks, indices: readonly number[]): { inputs: Int32Array; targets: Int32Array } {
  const { stream, blockSize } = packed;
  const inputs = new Int32Array(indices.length * blockSize);
  const targets = new Int32Array(indices.length * blockSize);
  indices.forEach((block, row) => {
    const start = block * blockSize;
    inputs.set(stream.subarray(start, start + blockSize), row * blockSize);
    targets.set(stream.subarray(start + 1, start + blockSize + 1), row * blockSize);
  });
  return { inputs, targets };
}

/**
 * A seeded split into training and held-out items: `fraction` of the items (rounded, at least one
 * when fraction > 0, and never all) are held out. With `groupOf` (a label), each group is split
 * on its own, so both sides keep the label balance.
 */
export function splitHeldOut<T>(items: readonly T[], fraction: number, rng: Rng, groupOf?: (item: T) => string | number): { train: T[]; heldOut: T[] } {
  if (!(fraction >= 0 && fraction < 1)) throw new TrainDataError(`evalFraction must be in [0, 1), got ${fraction}`);
  if (fraction === 0) return { train: [...items], heldOut: [] };
  const groups = new Map<string | number, number[]>();
  items.forEach((item, i) => {
    const key = groupOf ? groupOf(item) : 0;
    groups.set(key, [...(groups.get(key) ?? []), i]);
  });
  const heldOutIndices = new Set<number>();
  for (const indices of groups.values()) {
    if (indices.length < 2) continue;
    const take = Math.min(indices.length - 1, Math.max(1, Math.round(indices.length * fraction)));
    for (const i of rng.shuffle(indices).slice(0, take)) heldOutIndices.add(i);
  }
  const train: T[] = [];
  const heldOut: T[] = [];
  items.forEach((item, i) => (heldOutIndices.has(i) ? heldOut : train).push(item));
  return { train, heldOut };
}

/** A short hash of integer sequences (token ids, labels) that says whether two datasets are the same. */
export function fingerprint(...parts: (readonly (readonly number[] | Int32Array)[] | Int32Array)[]): string {
  const hash = createHash('sha256');
  for (const part of parts) {
    const rows = part instanceof Int32Array ? [part] : part;
    hash.update(`[${rows.length}]`);
    for (const row of rows) {
      const ints = row instanceof Int32Array ? row : Int32Array.from(row);
      hash.update(`(${ints.length})`);
      hash.update(new Uint8Array(ints.buffer, ints.byteOffset, ints.byteLength));
    }
  }
  return hash.digest('hex').slice(0, 16);
}
