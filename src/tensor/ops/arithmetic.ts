import type { Backend, BinaryOp, ExtremumOp, UnaryOp } from '../backend.js';
import { scalar } from '../create.js';
import { backendOf } from '../dispatch.js';
import { record } from '../record.js';
import { broadcastShapes, broadcastStrides, sameShape } from '../shape.js';
import { Tensor, outputTensor, sizeOf } from '../tensor.js';
import { ShapeError, TensorError, formatShape } from '../errors.js';

/** The operands of a binary op as tensors: a number becomes a scalar on the other operand's backend. */
function asTensors(a: Tensor | number, b: Tensor | number): [Tensor, Tensor] {
  if (typeof a !== 'number') return [a, typeof b === 'number' ? scalar(b, a.backend) : b];
  if (typeof b !== 'number') return [scalar(a, b.backend), b];
  return [scalar(a), scalar(b)];
}

function requireFloat(op: string, ...ts: Tensor[]): void {
  for (const t of ts) if (t.dtype !== 'float32') throw new ShapeError(op, `expects float32 tensors, got int32 ids of shape ${formatShape(t.shape)}`);
}

/** Sums a gradient of a broadcast result back to the shape of the input that was broadcast. */
export function sumToShape(grad: Tensor, shape: readonly number[]): Tensor {
  if (sameShape(grad.shape, shape)) return grad;
  const backend = grad.backend;
  const strides = broadcastStrides(shape, grad.shape);
  // Fast path: only leading dimensions were broadcast, so this is one reduction over rows.
  const firstKept = strides.findIndex((s, i) => s !== 0 || grad.shape[i] === 1);
  const leading = firstKept < 0 ? grad.shape.length : firstKept;
  const restBroadcast = strides.slice(leading).some((s, i) => s === 0 && grad.shape[leading + i] !== 1);
  // The reduction writes every element; accumulating needs zeros to add into.
  const out = restBroadcast ? backend.allocate(sizeOf(shape)) : backend.allocateUninitialized(sizeOf(shape));
  if (!restBroadcast) {
    const size = sizeOf(grad.shape.slice(0, leading));
    backend.reduce('sum', grad.buffer, 1, size, grad.size / size, out);
  } else {
    backend.stridedAccumulate(grad.buffer, out, 0, strides, [...grad.shape]);
  }
  return new Tensor(out, shape, backend);
}

/** A contiguous copy of x broadcast to `shape`. */
export function broadcastTo(x: Tensor, shape: readonly number[]): Tensor {
  if (sameShape(x.shape, shape)) return x;
  const target = broadcastShapes('broadcastTo', x.shape, shape);
  if (!sameShape(target, shape)) throw new ShapeError('broadcastTo', `cannot broadcast ${formatShape(x.shape)} to ${formatShape(shape)}`);
  const out = outputTensor(x.backend, shape);
  x.backend.stridedCopy(x.buffer, 0, broadcastStrides(x.shape, shape), [...shape], out.buffer);
  return record('broadcastTo', [x], out, (g) => [sumToShape(g, x.shape)]);
}

function binary(op: BinaryOp, aIn: Tensor | number, bIn: Tensor | number): Tensor {
  const [a, b] = asTensors(aIn, bIn);
  requireFloat(op, a, b);
  const backend = backendOf(op, a, b);
  const shape = broadcastShapes(op, a.shape, b.shape);
  const out = outputTensor(backend, shape);
  backend.binary(op, a.buffer, broadcastStrides(a.shape, shape), b.buffer, broadcastStrides(b.shape, shape), out.buffer, shape);
  return record(op, [a, b], out, (g) => {
    switch (op) {
      case 'add':
        return [sumToShape(g, a.shape), sumToShape(g, b.shape)];
      case 'sub':
        return [sumToShape(g, a.shape), b.requiresGrad ? sumToShape(neg(g), b.shape) : null];
      case 'mul':
        return [a.requiresGrad ? sumToShape(mul(g, b), a.shape) : null, b.requiresGrad ? sumToShape(mul(g, a), b.shape) : null];
      case 'div':
        return [
          a.requiresGrad ? sumToShape(div(g, b), a.shape) : null,
          b.requiresGrad ? sumToShape(neg(div(mul(g, out), b)), b.shape) : null,
        ];
      case 'minimum':
      case 'maximum':
        return extremumGrads(op, a, b, shape, g, backend);
    }
  });
}

/** Routes g to the operand minimum/maximum chose (see Backend.extremumBackward), summed to each input's shape. */
function extremumGrads(op: ExtremumOp, a: Tensor, b: Tensor, shape: number[], g: Tensor, backend: Backend): (Tensor | null)[] {
  const da = a.requiresGrad ? outputTensor(backend, shape) : null;
  const db = b.requiresGrad ? outputTensor(backend, shape) : null;
  backend.extremumBackward(op, a.buffer, broadcastStrides(a.shape, shape), b.buffer, broadcastStrides(b.shape, shape),
    g.buffer, da?.buffer ?? null, db?.buffer ?? null, shape);
  return [da && sumToShape(da, a.shape), db && sumToShape(db, b.shape)];
}

/** a + b with broadcasting; either may be a number. */
export const add = (a: Tensor | number, b: Tensor | number): Tensor => binary('add', a, b);
/** a − b with broadcasting. */
export const sub = (a: Tensor | number, b: Tensor | number): Tensor => binary('sub', a, b);
/** a · b element-wise with broadcasting. */
export const mul = (a: Tensor | number, b: Tensor | number): Tensor => binary('mul', a, b);
/** a / b element-wise with broadcasting. */
export const div = (a: Tensor | number, b: Tensor | number): Tensor => binary('div', a, b);
/** The smaller of a and b element-wise, with broadcasting; on a tie each gets half the gradient (as torch). */
export const minimum = (a: Tensor, b: Tensor): Tensor => binary('minimum', a, b);
/** The larger of a and b element-wise, with broadcasting; on a tie each gets half the gradient (as torch). */
export const maximum = (a: Tensor, b: Tensor): Tensor => binary('maximum', a, b);

/**
 * x limited to [min, max] element-wise (either bound may be ±Infinity; NaN stays NaN). As in
 * torch.clamp, the gradient passes where min ≤ x ≤ max, the bounds included, and the bounds
 * are rounded to float32 first.
 */
export function clamp(x: Tensor, min: number, max: number): Tensor {
  requireFloat('clamp', x);
  if (Number.isNaN(min) || Number.isNaN(max)) throw new TensorError(`clamp: the bounds must be numbers, got [${min}, ${max}]`);
  const [lo, hi] = [Math.fround(min), Math.fround(max)];
  const backend = x.backend;
  const out = outputTensor(backend, x.shape);
  backend.clamp(x.buffer, lo, hi, out.buffer);
  return record('clamp', [x], out, (g) => {
    const dx = outputTensor(backend, x.shape);
    backend.clampBackward(x.buffer, lo, hi, g.buffer, dx.buffer);
    return [dx];
  });
}

function unary(op: UnaryOp, x: Tensor): Tensor {
  requireFloat(op, x);
  const backend = x.backend;
  const out = outputTensor(backend, x.shape);
  backend.unary(op, x.buffer, out.buffer);
  return record(op, [x], out, (g) => {
    const dx = outputTensor(backend, x.shape);
    backend.unaryBackward(op, x.buffer, out.buffer, g.buffer, dx.buffer);
    return [dx];
  });
}

export const neg = (x: Tensor): Tensor => unary('neg', x);
export const exp = (x: Tensor): Tensor => unary('exp', x);
export const log = (x: Tensor): Tensor => unary('log', x);
export const sqrt = (x: Tensor): Tensor => unary('sqrt', x);
export const tanh = (x: Tensor): Tensor => unary('tanh', x);
export const sigmoid = (x: Tensor): Tensor => unary('sigmoid', x);
export const relu = (x: Tensor): Tensor => unary('relu', x);
/** GELU, exact erf form: 0.5·x·(1 + erf(x/√2)), as Pythia and RoBERTa use. */
export const gelu = (x: Tensor): Tensor => unary('gelu', x);
/** SiLU (swish): x·sigmoid(x), as Llama's MLP uses. */
export const silu = (x: Tensor): Tensor => unary('silu', x);
