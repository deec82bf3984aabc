import { ShapeError, formatShape } from '../errors.js';
import { record } from '../record.js';
import { normalizeAxis } from '../shape.js';
import { Tensor, allocateTensor, sizeOf } from '../tensor.js';
import { broadcastTo, mul } from './arithmetic.js';
import { reshape } from './view.js';

/** Views x as [outer, size, inner] around `axis`. */
function around(shape: readonly number[], axis: number) {
  return { outer: sizeOf(shape.slice(0, axis)), size: shape[axis]!, inner: sizeOf(shape.slice(axis + 1)) };
}

function normalizeAxes(op: string, x: Tensor, axes?: number | number[]): number[] {
  if (axes === undefined) return x.shape.map((_, i) => i);
  const list = (Array.isArray(axes) ? axes : [axes]).map((a) => normalizeAxis(op, a, x.rank));
  if (new Set(list).size !== list.length) throw new ShapeError(op, `axis listed twice in [${list.join(', ')}]`);
  return list.sort((p, q) => p - q);
}

const keptShape = (shape: readonly number[], axes: number[]) => shape.map((d, i) => (axes.includes(i) ? 1 : d));

/** Sum over the given axes (all by default); keepDims leaves them as size 1. */
export function sum(x: Tensor, axes?: number | number[], keepDims = false): Tensor {
  const list = normalizeAxes('sum', x, axes);
  const backend = x.backend;
  let data = x.buffer;
  let shape = [...x.shape];
  // Reduce the highest axis first so lower axes keep their positions.
  for (const axis of [...list].reverse()) {
    const { outer, size, inner } = around(shape, axis);
    const out = backend.allocateUninitialized(outer * inner);
    backend.reduce('sum', data, outer, size, inner, out);
    if (data !== x.buffer) backend.release(data);
    data = out;
    shape[axis] = 1;
  }
  const kept = keptShape(x.shape, list);
  const outShape = keepDims ? kept : x.shape.filter((_, i) => !list.includes(i));
  return record('sum', [x], new Tensor(data, outShape, backend), (g) => [broadcastTo(reshape(g, kept), x.shape)]);
}

/** Mean over the given axes (all by default). */
export function mean(x: Tensor, axes?: number | number[], keepDims = false): Tensor {
  const list = normalizeAxes('mean', x, axes);
  const count = list.reduce((n, a) => n * x.shape[a]!, 1);
  return mul(sum(x, list, keepDims), 1 / count);
}

/** Maximum over one axis; the gradient flows to the first maximal element. */
export function max(x: Tensor, axis: number, keepDims = false): Tensor {
  const a = normalizeAxis('max', axis, x.rank);
  const { outer, size, inner } = around(x.shape, a);
  if (size === 0) throw new ShapeError('max', `cannot take the maximum over an empty axis of ${formatShape(x.shape)}`);
  const backend = x.backend;
  const kept = keptShape(x.shape, [a]);
  const out = allocateTensor(backend, keepDims ? kept : x.shape.filter((_, i) => i !== a));
  const argmax = backend.allocateIds(outer * inner);
  backend.reduce('max', x.buffer, outer, size, inner, out.buffer, argmax);
  return record('max', [x], out, (g) => {
    const dx = allocateTensor(backend, x.shape);
    backend.maxBackward(g.buffer, argmax, outer, size, inner, dx.buffer);
    return [dx];
  }, [argmax]);
}
