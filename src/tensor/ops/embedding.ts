import { ShapeError, formatShape } from '../errors.js';
import { record } from '../record.js';
import { allocate, currentBackend } from '../registry.js';
import { Tensor } from '../tensor.js';

/** Rows of a [vocab, dim] table for each id: out has shape [...ids.shape, dim]. */
export function embedding(weight: Tensor, ids: Tensor): Tensor {
  if (weight.rank !== 2) throw new ShapeError('embedding', `weight must be [vocab, dim], got ${formatShape(weight.shape)}`);
  if (ids.dtype !== 'int32') throw new ShapeError('embedding', `ids must be an int32 tensor, got float32 of shape ${formatShape(ids.shape)}`);
  const [vocab, dim] = weight.shape as [number, number];
  const out = new Tensor(allocate(ids.size * dim), [...ids.shape, dim]);
  const idBuffer = ids.idBuffer; // the buffer, not the tensor: a scope may dispose the tensor
  currentBackend().embedding(weight.buffer, idBuffer, vocab, dim, out.buffer);
  return record('embedding', [weight], out, (g) => {
    const dWeight = allocate(weight.size);
    currentBackend().embeddingBackward(g.buffer, idBuffer, vocab, dim, dWeight);
    return [new Tensor(dWeight, weight.shape)];
  });
}
