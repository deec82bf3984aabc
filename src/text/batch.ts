/**
 * Truncation and padding of token id sequences, as transformers does them for single texts:
 * truncation cuts the text's own tokens so that, with the special tokens added afterwards, the
 * sequence fits maxLength; padding fills every row to a common length with the pad id and marks
 * the filler with attention mask 0.
 */
import { TokenizerOptionsError } from './errors.js';

export type Side = 'left' | 'right';

/** A batch of encoded texts. Rows are ragged when no padding was asked for. */
export interface BatchEncoding {
  /** Token ids, one row per text. */
  ids: number[][];
  /** 1 for a real token, 0 for padding; same shape as ids. */
  attentionMask: number[][];
  /** Number of real (non-pad) tokens in each row. */
  lengths: number[];
  /** [rows, columns] when every row has the same length (padded, or equal by chance); otherwise null. */
  shape: [number, number] | null;
}

/** A rectangular batch as flat row-major arrays, ready to become tensors. */
export interface FlatBatch {
  ids: Int32Array;
  attentionMask: Int32Array;
  shape: [number, number];
}

/** Keeps `keep` ids, dropping the rest from the given side. */
export function truncateIds(ids: readonly number[], keep: number, side: Side): number[] {
  if (ids.length <= keep) return ids.slice();
  return side === 'right' ? ids.slice(0, keep) : ids.slice(ids.length - keep);
}

/** Pads every row to `length` with `padId` on the given side. Rows longer than length are an error. */
export function padRows(
  rows: readonly (readonly number[])[], length: number, padId: number, side: Side,
): { ids: number[][]; attentionMask: number[][] } {
  const ids: number[][] = [];
  const attentionMask: number[][] = [];
  for (const row of rows) {
    const fill = length - row.length;
    if (fill < 0) {
      throw new TokenizerOptionsError(
        `a sequence of ${row.length} tokens is longer than the padding length ${length}; ask for truncation`,
      );
    }
    const pad = new Array<number>(fill).fill(padId);
    const zeros = new Array<number>(fill).fill(0);
    const ones = new Array<number>(row.length).fill(1);
    ids.push(side === 'right' ? [...row, ...pad] : [...pad, ...row]);
    attentionMask.push(side === 'right' ? [...ones, ...zeros] : [...zeros, ...ones]);
  }
  return { ids, attentionMask };
}

/** Flattens a rectangular batch into Int32Arrays plus its shape. */
export function flattenBatch(batch: BatchEncoding): FlatBatch {
  const rows = batch.ids.length;
  const columns = rows === 0 ? 0 : batch.ids[0]!.length;
  if (batch.ids.some((row) => row.length !== columns)) {
    throw new TokenizerOptionsError(
      'cannot flatten a ragged batch (rows of different lengths); encode it with padding: "longest" or "max_length"',
    );
  }
  const ids = new Int32Array(rows * columns);
  const attentionMask = new Int32Array(rows * columns);
  batch.ids.forEach((row, r) => ids.set(row, r * columns));
  batch.attentionMask.forEach((row, r) => attentionMask.set(row, r * columns));
  return { ids, attentionMask, shape: [rows, columns] };
}
