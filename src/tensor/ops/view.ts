import type { Backend, Storage } from '../backend.js';
import { backendOf } from '../dispatch.js';
import { ShapeError, formatShape } from '../errors.js';
import { record } from '../record.js';
import { contiguousStrides, normalizeAxis } from '../shape.js';
import { Tensor, allocateTensor, outputTensor, sizeOf } from '../tensor.js';

/** Same values, new shape (one dimension may be -1). Shares storage with x. */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  const known = shape.filter((d) => d !== -1);
  const inferred = shape.length - known.length;
  if (inferred > 1) throw new ShapeError('reshape', `only one dimension may be -1, got ${formatShape(shape)}`);
  const rest = sizeOf(known);
  const finalShape = shape.map((d) => (d === -1 ? (rest === 0 ? 0 : x.size / rest) : d));
  if (sizeOf(finalShape) !== x.size || finalShape.some((d) => !Number.isInteger(d))) {
    throw new ShapeError('reshape', `cannot view ${formatShape(x.shape)} (${x.size} values) as ${formatShape(shape)}`);
  }
  const storage = x.dtype === 'int32' ? x.idBuffer : x.buffer;
  return record('reshape', [x], new Tensor(storage, finalShape, x.backend, { dtype: x.dtype }), (g) => [reshape(g, x.shape)]);
}

/** Reorders dimensions: out.shape[i] = x.shape[dims[i]]. Makes a contiguous copy. */
export function permute(x: Tensor, dims: readonly number[]): Tensor {
  const order = dims.map((d) => normalizeAxis('permute', d, x.rank));
  if (order.length !== x.rank || new Set(order).size !== x.rank) {
    throw new ShapeError('permute', `[${dims.join(', ')}] is not a permutation of the ${x.rank} dimensions of ${formatShape(x.shape)}`);
  }
  const strides = contiguousStrides(x.shape);
  const shape = order.map((d) => x.shape[d]!);
  const out = outputTensor(x.backend, shape);
  x.backend.stridedCopy(x.buffer, 0, order.map((d) => strides[d]!), shape, out.buffer);
  const inverse = new Array<number>(x.rank);
  order.forEach((d, i) => (inverse[d] = i));
  return record('permute', [x], out, (g) => [permute(g, inverse)]);
}

/** Swaps two dimensions. */
export function transpose(x: Tensor, dim0: number, dim1: number): Tensor {
  const order = x.shape.map((_, i) => i);
  const a = normalizeAxis('transpose', dim0, x.rank);
  const b = normalizeAxis('transpose', dim1, x.rank);
  [order[a], order[b]] = [order[b]!, order[a]!];
  return permute(x, order);
}

/** Elements start ≤ i < end along one axis (negative indices count from the end). */
export function slice(x: Tensor, axis: number, start: number, end?: number): Tensor {
  const a = normalizeAxis('slice', axis, x.rank);
  const size = x.shape[a]!;
  const from = start < 0 ? start + size : start;
  const to = end === undefined ? size : end < 0 ? end + size : end;
  if (from < 0 || to > size || from > to) {
    throw new ShapeError('slice', `range ${start}..${end ?? size} is outside axis ${a} of ${formatShape(x.shape)}`);
  }
  const strides = contiguousStrides(x.shape);
  const shape = x.shape.map((d, i) => (i === a ? to - from : d));
  const offset = from * strides[a]!;
  const backend = x.backend;
  const out = outputTensor(backend, shape);
  backend.stridedCopy(x.buffer, offset, strides, shape, out.buffer);
  return record('slice', [x], out, (g) => {
    const dx = allocateTensor(backend, x.shape);
    backend.stridedAccumulate(g.buffer, dx.buffer, offset, strides, shape);
    return [dx];
  });
}

/** Joins tensors along an axis; all other dimensions must agree. */
export function concat(tensors: Tensor[], axis: number): Tensor {
  if (tensors.length === 0) throw new ShapeError('concat', 'needs at least one tensor');
  const first = tensors[0]!;
  const a = normalizeAxis('concat', axis, first.rank);
  for (const t of tensors) {
    if (t.rank !== first.rank || t.shape.some((d, i) => i !== a && d !== first.shape[i])) {
      throw new ShapeError('concat', `shapes ${formatShape(first.shape)} and ${formatShape(t.shape)} differ outside axis ${a}`);
    }
  }
  const backend = backendOf('concat', first, ...tensors);
  const shape = first.shape.map((d, i) => (i === a ? tensors.reduce((n, t) => n + t.shape[a]!, 0) : d));
  const strides = contiguousStrides(shape);
  const out = allocateTensor(backend, shape);
  const offsets: number[] = [];
  let position = 0;
  for (const t of tensors) {
    offsets.push(position * strides[a]!);
    backend.stridedAccumulate(t.buffer, out.buffer, position * strides[a]!, strides, [...t.shape]);
    position += t.shape[a]!;
  }
  return record('concat', tensors, out, (g) =>
    tensors.map((t, i) => {
      const part = outputTensor(backend, t.shape);
      backend.stridedCopy(g.buffer, offsets[i]!, strides, [...t.shape], part.buffer);
      return part;
    }),
  );
}

/** Picks entries ids[j] along an axis: out has ids.length there (the reward head's last-token pick). */
export function indexSelect(x: Tensor, axis: number, ids: Tensor | readonly number[]): Tensor {
  const a = normalizeAxis('indexSelect', axis, x.rank);
  const list = Array.isArray(ids) ? ids : Array.from((ids as Tensor).ids);
  const size = x.shape[a]!;
  for (const id of list) {
    if (!Number.isInteger(id) || id < 0 || id >= size) {
      throw new ShapeError('indexSelect', `index ${id} is out of range for axis ${a} of size ${size} in ${formatShape(x.shape)}`);
    }
  }
  const strides = contiguousStrides(x.shape);
  const shape = x.shape.map((d, i) => (i === a ? list.length : d));
  const outStrides = contiguousStrides(shape);
  const part = x.shape.map((d, i) => (i === a ? 1 : d));
  const backend = x.backend;
  const out = allocateTensor(backend, shape);
  list.forEach((id, j) => accumulateSlice(backend, x.buffer, id * strides[a]!, strides, part, out.buffer, j * outStrides[a]!, outStrides));
  return record('indexSelect', [x], out, (g) => {
    const dx = allocateTensor(backend, x.shape);
    list.forEach((id, j) => accumulateSlice(backend, g.buffer, j * outStrides[a]!, outStrides, part, dx.buffer, id * strides[a]!, strides));
    return [dx];
  });
}

/** Adds the strided part of `from` at fromOffset into `to` at toOffset, through a temporary. */
function accumulateSlice(backend: Backend, from: Storage, fromOffset: number, fromStrides: number[], shape: number[],
  to: Storage, toOffset: number, toStrides: number[]): void {
  const part = backend.allocateUninitialized(sizeOf(shape));
  backend.stridedCopy(from, fromOffset, fromStrides, shape, part);
  backend.stridedAccumulate(part, to, toOffset, toStrides, shape);
  backend.release(part);
}
