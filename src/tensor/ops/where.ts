import { ShapeError, formatShape } from '../errors.js';
import { asFloat32, scalar, zeros } from '../create.js';
import { needsGrad, record } from '../record.js';
import { allocate, currentBackend } from '../registry.js';
import { broadcastShapes, broadcastStrides } from '../shape.js';
import { Tensor, sizeOf } from '../tensor.js';
import { sumToShape } from './arithmetic.js';

/** Element-wise cond ? a : b, all three broadcast together (cond is float, non-zero = true, or an int32 mask). */
export function where(cond: Tensor, aIn: Tensor | number, bIn: Tensor | number): Tensor {
  const a = typeof aIn === 'number' ? scalar(aIn) : aIn;
  const b = typeof bIn === 'number' ? scalar(bIn) : bIn;
  if (a.dtype !== 'float32' || b.dtype !== 'float32') throw new ShapeError('where', 'the two value tensors must be float32');
  const shape = broadcastShapes('where', broadcastShapes('where', cond.shape, a.shape), b.shape);
  const floatCond = asFloat32(cond);
  const condStrides = broadcastStrides(cond.shape, shape);
  const out = allocate(sizeOf(shape));
  const backend = currentBackend();
  backend.where(floatCond.buffer, condStrides, a.buffer, broadcastStrides(a.shape, shape), b.buffer, broadcastStrides(b.shape, shape), out, shape);
  // The backward keeps its own copy of the condition (on the backend): it is not an input of the
  // graph, so a scope may release it.
  const c = needsGrad(a, b) ? allocate(cond.size) : null;
  if (c) backend.stridedCopy(floatCond.buffer, 0, [1], [cond.size], c);
  if (floatCond !== cond) floatCond.dispose();
  return record('where', [a, b], new Tensor(out, shape), (g) => {
    const zero = zeros([]).buffer;
    const pick = (fromA: boolean, target: Tensor) => {
      const routed = allocate(g.size);
      const gStrides = broadcastStrides(g.shape, shape);
      if (fromA) currentBackend().where(c!, condStrides, g.buffer, gStrides, zero, [...shape].fill(0), routed, shape);
      else currentBackend().where(c!, condStrides, zero, [...shape].fill(0), g.buffer, gStrides, routed, shape);
      return sumToShape(new Tensor(routed, shape), target.shape);
    };
    return [a.requiresGrad ? pick(true, a) : null, b.requiresGrad ? pick(false, b) : null];
  }, c ? [c] : []);
}

/** x with `value` wherever mask is non-zero (mask broadcasts to x). */
export function maskedFill(x: Tensor, mask: Tensor, value: number): Tensor {
  const shape = broadcastShapes('maskedFill', x.shape, mask.shape);
  if (shape.join() !== x.shape.join()) {
    throw new ShapeError('maskedFill', `mask ${formatShape(mask.shape)} must broadcast to the input's shape ${formatShape(x.shape)}`);
  }
  return where(mask, value, x);
}
