/**
 * The response mask that the PPO arithmetic shares: [batch, length] row-major, 1 on a real
 * response token and 0 on padding, which only ever follows a row's last real token (responses
 * end early at EOS and are right-padded). The checks here turn a left-padded or mis-sized batch
 * into an error instead of silently wrong advantages.
 */
import { RlhfError } from './errors.js';

/** 1 (real token) or 0 (padding), per response position. */
export type ResponseMask = Uint8Array | Float32Array;

/** Throws unless `array` holds exactly batch × length values. */
export function checkBatchSize(what: string, array: ArrayLike<number>, batch: number, length: number): void {
  if (!Number.isInteger(batch) || !Number.isInteger(length) || batch < 0 || length < 0) {
    throw new RlhfError(`${what}: batch (${batch}) and length (${length}) must be non-negative integers`);
  }
  if (array.length !== batch * length) {
    throw new RlhfError(`${what} has ${array.length} values, but batch ${batch} × length ${length} needs ${batch * length}`);
  }
}

/**
 * How many real tokens each row has, after checking that the mask holds only 0 and 1 and that
 * padding is only at the end of a row.
 */
export function realLengths(mask: ResponseMask, batch: number, length: number): Int32Array {
  checkBatchSize('mask', mask, batch, length);
  const lengths = new Int32Array(batch);
  for (let row = 0; row < batch; row++) {
    let real = 0;
    for (let t = 0; t < length; t++) {
      const m = mask[row * length + t]!;
      if (m !== 0 && m !== 1) throw new RlhfError(`mask[${row}, ${t}] is ${m}; a response mask holds only 0 (padding) and 1 (real token)`);
      if (m === 1 && real !== t) {
        throw new RlhfError(
          `mask row ${row} has a real token at position ${t} after padding; responses must be right-padded (padding only after the last real token)`,
        );
      }
      if (m === 1) real++;
    }
    lengths[row] = real;
  }
  return lengths;
}
