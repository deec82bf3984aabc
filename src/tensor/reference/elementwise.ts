import type { BinaryOp, ExtremumOp, UnaryOp } from '../backend.js';
import type { IdStorage, Storage } from './storage.js';
import { TensorError } from '../errors.js';
import { normalCdf, normalPdf } from './erf.js';

/** 1/(1+e^-x), written so that e^|x| is never formed (no overflow to Infinity/NaN). */
export function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

const unaryForward: Record<UnaryOp, (x: number) => number> = {
  neg: (x) => -x,
  exp: Math.exp,
  log: Math.log,
  sqrt: Math.sqrt,
  tanh: Math.tanh,
  sigmoid,
  relu: (x) => (x > 0 ? x : 0),
  gelu: (x) => x * normalCdf(x),
  silu: (x) => x * sigmoid(x),
};

/** dy·f'(x), given x and y = f(x); each op uses whichever of x, y gives the simplest form. */
const unaryDerivative: Record<UnaryOp, (x: number, y: number, dy: number) => number> = {
  neg: (_x, _y, dy) => -dy,
  exp: (_x, y, dy) => dy * y,
  log: (x, _y, dy) => dy / x,
  sqrt: (_x, y, dy) => dy / (2 * y),
  tanh: (_x, y, dy) => dy * (1 - y * y),
  sigmoid: (_x, y, dy) => dy * y * (1 - y),
  // As in torch, the subgradient at 0 is 0.
  relu: (x, _y, dy) => (x > 0 ? dy : 0),
  gelu: (x, _y, dy) => dy * (normalCdf(x) + x * normalPdf(x)),
  silu: (x, _y, dy) => {
    const s = sigmoid(x);
    return dy * s * (1 + x * (1 - s));
  },
};

export function unary(op: UnaryOp, x: Storage, out: Storage): void {
  const f = unaryForward[op];
  for (let i = 0; i < out.length; i++) out[i] = f(x[i]!);
}

export function unaryBackward(op: UnaryOp, x: Storage, y: Storage, dy: Storage, dx: Storage): void {
  const df = unaryDerivative[op];
  for (let i = 0; i < dx.length; i++) dx[i] = df(x[i]!, y[i]!, dy[i]!);
}

/**
 * Walks every index of shape in row-major order, calling visit(i, offsets) where i is the
 * flat output index and offsets[o] = bases[o] + Σ_d index[d]·strides[o][d] for each operand o.
 * The offsets array is reused between calls.
 */
export function forEachStrided(shape: readonly number[], strides: readonly (readonly number[])[],
  bases: readonly number[], visit: (i: number, offsets: number[]) => void): void {
  const ndim = shape.length;
  for (const s of strides) {
    if (s.length !== ndim) {
      throw new TensorError(`strides [${s.join(', ')}] do not match shape [${shape.join(', ')}]`);
    }
  }
  const size = shape.reduce((a, b) => a * b, 1);
  const index = new Array<number>(ndim).fill(0);
  const offsets = [...bases];
  for (let i = 0; i < size; i++) {
    visit(i, offsets);
    // Advance the row-major odometer: bump the last dim, carrying into earlier dims.
    for (let d = ndim - 1; d >= 0; d--) {
      index[d]!++;
      for (let o = 0; o < offsets.length; o++) offsets[o]! += strides[o]![d]!;
      if (index[d]! < shape[d]!) break;
      for (let o = 0; o < offsets.length; o++) offsets[o]! -= strides[o]![d]! * shape[d]!;
      index[d] = 0;
    }
  }
}

const binaryOps: Record<BinaryOp, (a: number, b: number) => number> = {
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  mul: (a, b) => a * b,
  div: (a, b) => a / b,
  // Written out rather than Math.min/Math.max, which order −0 below +0: the native kernel
  // returns b on every tie, and so does the definition.
  minimum: (a, b) => (a < b || Number.isNaN(a) ? a : b),
  maximum: (a, b) => (a > b || Number.isNaN(a) ? a : b),
};

export function binary(op: BinaryOp, a: Storage, aStrides: number[], b: Storage, bStrides: number[],
  out: Storage, outShape: number[]): void {
  const f = binaryOps[op];
  forEachStrided(outShape, [aStrides, bStrides], [0, 0], (i, [ia, ib]) => {
    out[i] = f(a[ia!]!, b[ib!]!);
  });
}

/** True where the operand of minimum/maximum holding `mine` was not chosen (`other` was). */
const loses: Record<ExtremumOp, (mine: number, other: number) => boolean> = {
  minimum: (mine, other) => mine > other,
  maximum: (mine, other) => mine < other,
};

export function extremumBackward(op: ExtremumOp, a: Storage, aStrides: number[], b: Storage, bStrides: number[],
  dy: Storage, da: Storage | null, db: Storage | null, outShape: number[]): void {
  const lost = loses[op];
  const share = (mine: number, other: number, g: number) => (lost(mine, other) ? 0 : mine === other ? g / 2 : g);
  forEachStrided(outShape, [aStrides, bStrides], [0, 0], (i, [ia, ib]) => {
    if (da) da[i] = share(a[ia!]!, b[ib!]!, dy[i]!);
    if (db) db[i] = share(b[ib!]!, a[ia!]!, dy[i]!);
  });
}

export function clamp(x: Storage, min: number, max: number, out: Storage): void {
  for (let i = 0; i < out.length; i++) {
    const raised = x[i]! < min ? min : x[i]!;
    out[i] = raised > max ? max : raised;
  }
}

export function clampBackward(x: Storage, min: number, max: number, dy: Storage, dx: Storage): void {
  for (let i = 0; i < dx.length; i++) dx[i] = x[i]! >= min && x[i]! <= max ? dy[i]! : 0;
}

export function where(cond: Storage, condStrides: number[], a: Storage, aStrides: number[],
  b: Storage, bStrides: number[], out: Storage, outShape: number[]): void {
  forEachStrided(outShape, [condStrides, aStrides, bStrides], [0, 0, 0], (i, [ic, ia, ib]) => {
    out[i] = cond[ic!] !== 0 ? a[ia!]! : b[ib!]!;
  });
}

export function stridedCopy(x: Storage, offset: number, strides: number[], shape: number[], out: Storage): void {
  forEachStrided(shape, [strides], [offset], (i, [ix]) => {
    out[i] = x[ix!]!;
  });
}

export function stridedAccumulate(dy: Storage, dx: Storage, offset: number, strides: number[], shape: number[]): void {
  forEachStrided(shape, [strides], [offset], (i, [ix]) => {
    dx[ix!]! += dy[i]!;
  });
}

/**
 * Sum or max over the middle axis of [outer, size, inner]. Sums accumulate in float64. Max
 * propagates NaN (like torch), reporting the first NaN's index.
 */
export function reduce(op: 'sum' | 'max', x: Storage, outer: number, size: number, inner: number,
  out: Storage, argmax?: IdStorage): void {
  if (op === 'max' && size === 0 && outer * inner > 0) {
    throw new TensorError('reduce max: cannot take the maximum over an axis of size 0');
  }
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < inner; j++) {
      const base = o * size * inner + j;
      if (op === 'sum') {
        let sum = 0;
        for (let s = 0; s < size; s++) sum += x[base + s * inner]!;
        out[o * inner + j] = sum;
      } else {
        let best = x[base]!;
        let bestIndex = 0;
        for (let s = 1; s < size && !Number.isNaN(best); s++) {
          const v = x[base + s * inner]!;
          if (v > best || Number.isNaN(v)) {
            best = v;
            bestIndex = s;
          }
        }
        out[o * inner + j] = best;
        if (argmax) argmax[o * inner + j] = bestIndex;
      }
    }
  }
}

/** See Backend.maxBackward. */
export function maxBackward(dy: Storage, argmax: IdStorage, outer: number, size: number, inner: number, dx: Storage): void {
  dx.fill(0);
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < inner; j++) {
      const s = argmax[o * inner + j]!;
      if (!(s >= 0 && s < size)) throw new TensorError(`maxBackward: argmax ${s} at ${o * inner + j} is outside [0, ${size})`);
      dx[(o * size + s) * inner + j] = dy[o * inner + j]!;
    }
  }
}

/** out[i] = ids[i] as float32. */
export function idsToFloats(ids: IdStorage, out: Storage): void {
  out.set(ids.subarray(0, out.length));
}

/** Sum of squares in float64. */
export function sumSquares(x: Storage): number {
  let sum = 0;
  for (let i = 0; i < x.length; i++) sum += x[i]! * x[i]!;
  return sum;
}

export function scaleInPlace(x: Storage, s: number): void {
  for (let i = 0; i < x.length; i++) x[i]! *= s;
}

/** out[i] += b[i]. */
export function addInto(out: Storage, b: Storage): void {
  if (out.length !== b.length) {
    throw new TensorError(`addInto: lengths differ (${out.length} and ${b.length})`);
  }
  for (let i = 0; i < out.length; i++) out[i]! += b[i]!;
}
