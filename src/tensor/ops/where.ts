import { ShapeError, formatShape } from '../errors.js';
import { asFloat32, scalar } from '../create.js';
import { backendOf } from '../dispatch.js';
import { needsGrad, record } from '../record.js';
import { broadcastShapes, broadcastStrides } from '../shape.js';
import { Tensor, allocateTensor, outputTensor } from '../tensor.js';
import { sumToShape } from './arithmetic.js';

/** Element-wise cond ? a : b, all three broadcast together (cond is float, non-zero = true, or an int32 mask). */
export function where(cond: Tensor, aIn: Tensor | number, bIn: Tensor | number): Tensor {
  const onCondBackend = (v: Tensor | number) => (typeof v === 'number' ? scalar(v, cond.backend) : v);
  const [a, b] = [onCondBackend(aIn), onCondBackend(bIn)];
  if (a.dtype !== 'float32' || b.dtype !== 'float32') throw new ShapeError('where', 'the two value tensors must be float32');
  const backend = backendOf('where', cond, a, b);
  const shape = broadcastShapes('where', broadcastShapes('where', cond.shape, a.shape), b.shape);
  const floatCond = asFloat32(cond);
  const condStrides = broadcastStrides(cond.shape, shape);
  const out = outputTensor(backend, shape);
  backend.where(floatCond.buffer, condStrides, a.buffer, broadcastStrides(a.shape, shape), b.buffer, broadcastStrides(b.shape, shape), out.buffer, shape);
  // The backward keeps its own copy of the condition (on the backend): it is not an input of the
  // graph, so a scope may release it.
  const c = needsGrad(a, b) ? backend.allocate(cond.size) : null;
  if (c) backend.stridedCopy(floatCond.buffer, 0, [1], [cond.size], c);
  if (floatCond !== cond) floatCond.dispose();
  return record('where', [a, b], out, (g) => {
    const zero = scalar(0, backend).buffer;
    const pick = (fromA: boolean, target: Tensor) => {
      const routed = allocateTensor(backend, shape);
      const gStrides = broadcastStrides(g.shape, shape);
      if (fromA) backend.where(c!, condStrides, g.buffer, gStrides, zero, [...shape].fill(0), routed.buffer, shape);
      else backend.where(c!, condStrides, zero, [...shape].fill(0), g.buffer, gStrides, routed.buffer, shape);
      return sumToShape(routed, target.shape);
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
