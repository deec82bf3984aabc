import type { IdStorage, Storage } from './storage.js';
import { TensorError } from '../errors.js';

/** Token ids come from user data (tokenizers, datasets), so a bad one gets a clear error. */
function checkId(op: string, ids: IdStorage, i: number, vocab: number): number {
  const id = ids[i]!;
  if (id < 0 || id >= vocab) {
    throw new TensorError(
      `${op}: token id ${id} at position ${i} is out of range for a vocabulary of ${vocab} ` +
        `(ids must be 0..${vocab - 1}); check that the tokenizer matches the model`);
  }
  return id;
}

/** out[i, :] = weight[ids[i], :]. */
export function embedding(weight: Storage, ids: IdStorage, vocab: number, dim: number, out: Storage): void {
  for (let i = 0; i < ids.length; i++) {
    const row = checkId('embedding', ids, i, vocab);
    for (let d = 0; d < dim; d++) out[i * dim + d] = weight[row * dim + d]!;
  }
}

/** dWeight[ids[i], :] += dy[i, :], in order of i. */
export function embeddingBackward(dy: Storage, ids: IdStorage, vocab: number, dim: number,
  dWeight: Storage): void {
  for (let i = 0; i < ids.length; i++) {
    const row = checkId('embeddingBackward', ids, i, vocab);
    for (let d = 0; d < dim; d++) dWeight[row * dim + d]! += dy[i * dim + d]!;
  }
}
