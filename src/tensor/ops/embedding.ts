import { backendOf } from '../dispatch.js';
import { ShapeError, formatShape } from '../errors.js';
import { record } from '../record.js';
import { Tensor, allocateTensor, outputTensor } from '../tensor.js';

/** Rows of a [vocab, dim] table for each id: out has shape [...ids.shape, dim]. */
export function embedding(weight: Tensor, ids: Tensor): Tensor {
  if (weight.rank !== 2) throw new ShapeError('embedding', `weight must be [vocab, dim], got ${formatShape(weight.shape)}`);
  if (ids.dtype !== 'int32') throw new ShapeError('embedding', `ids must be an int32 tensor, got float32 of shape ${formatShape(ids.shape)}`);
  const [vocab, dim] = weight.shape as [number, number];
  const backend = backendOf('embedding', weight, ids);
  const out = outputTensor(backend, [...ids.shape, dim]);
  const idBuffer = ids.idBuffer; // the buffer, not the tensor: a scope may dispose the tensor
  backend.embedding(weight.buffer, idBuffer, vocab, dim, out.buffer);
  return record('embedding', [weight], out, (g) => {
    const dWeight = allocateTensor(backend, weight.shape);
    backend.embeddingBackward(g.buffer, idBuffer, vocab, dim, dWeight.buffer);
    return [dWeight];
  });
}
