/**
 * Tensors made from host values. Each lives on the backend it is given, by default the active
 * one: code that builds a tensor to combine with another (a mask, positions, zeros to append)
 * passes that tensor's backend, so that it works on whichever backend the model was made.
 */
import { TensorError, formatShape } from './errors.js';
import { writeHost } from './host.js';
import type { Backend } from './backend.js';
import { currentBackend } from './registry.js';
import { Tensor, allocateTensor, sizeOf } from './tensor.js';

type NestedNumbers = number | NestedNumbers[];

function flatten(values: NestedNumbers, shape: number[], out: number[], depth: number): void {
  if (typeof values === 'number') {
    if (depth !== shape.length) throw new TensorError('tensor(): ragged nested array');
    out.push(values);
    return;
  }
  if (depth === shape.length) shape.push(values.length);
  else if (shape[depth] !== values.length) throw new TensorError('tensor(): ragged nested array');
  for (const v of values) flatten(v, shape, out, depth + 1);
}

/** Host values as a float32 tensor of the given backend (the active one by default). */
function fromHost(values: Float32Array, shape: readonly number[], requiresGrad: boolean, backend = currentBackend()): Tensor {
  return new Tensor(backend.fromHost(values), shape, backend, { requiresGrad });
}

/** A float32 tensor from nested arrays, or from flat values with an explicit shape. */
export function tensor(values: NestedNumbers | Float32Array, shape?: readonly number[], requiresGrad = false,
  backend = currentBackend()): Tensor {
  if (values instanceof Float32Array) return fromHost(values, shape ?? [values.length], requiresGrad, backend);
  const inferred: number[] = [];
  const flat: number[] = [];
  flatten(values, inferred, flat, 0);
  const finalShape = shape ?? inferred;
  if (sizeOf(finalShape) !== flat.length) {
    throw new TensorError(`tensor(): ${flat.length} values do not fit shape ${formatShape(finalShape)}`);
  }
  return fromHost(Float32Array.from(flat), finalShape, requiresGrad, backend);
}

/** An int32 tensor of token ids or indices. */
export function idTensor(values: NestedNumbers | Int32Array, shape?: readonly number[], backend = currentBackend()): Tensor {
  if (values instanceof Int32Array) return fromHostIds(values, shape ?? [values.length], backend);
  const inferred: number[] = [];
  const flat: number[] = [];
  flatten(values, inferred, flat, 0);
  return fromHostIds(Int32Array.from(flat), shape ?? inferred, backend);
}

const fromHostIds = (ids: Int32Array, shape: readonly number[], backend: Backend): Tensor =>
  new Tensor(backend.idsFromHost(ids), shape, backend, { dtype: 'int32' });

/** Host values of either dtype (a checkpoint's tensors) as a tensor of that dtype. */
export const hostTensor = (values: Float32Array | Int32Array, shape: readonly number[]): Tensor =>
  values instanceof Int32Array ? idTensor(values, shape) : tensor(values, shape);

/** A tensor of one value, in a buffer the backend allocates (written once from the host). */
export function full(shape: readonly number[], value: number, requiresGrad = false, backend = currentBackend()): Tensor {
  const out = zeros(shape, requiresGrad, backend);
  if (value !== 0) writeHost(out, new Float32Array(out.size).fill(value));
  return out;
}
export function zeros(shape: readonly number[], requiresGrad = false, backend = currentBackend()): Tensor {
  return new Tensor(backend.allocate(sizeOf(shape)), shape, backend, { requiresGrad });
}
export const ones = (shape: readonly number[], requiresGrad = false): Tensor => full(shape, 1, requiresGrad);
/** A tensor of one value on the given backend (the active one by default): ops make their number operands with it. */
export const scalar = (value: number, backend?: Backend): Tensor => fromHost(new Float32Array([value]), [], false, backend);

/** t as float32 values (masks and conditions may come as int32), on t's backend: t itself when it is float32, else a converted copy. */
export function asFloat32(t: Tensor): Tensor {
  if (t.dtype === 'float32') return t;
  const out = allocateTensor(t.backend, t.shape);
  t.backend.idsToFloats(t.idBuffer, out.buffer);
  return out;
}
