// The native kernels other than GEMM (native/src/*.cc, wrapped by src/tensor/native/kernels.ts)
// against the TypeScript reference backend on awkward shapes: odd sizes, size 1, sizes that are
// not multiples of the vector width (16) or 8, long rows, broadcasting strides of 0, permutes,
// masks, GQA with tq < tk, ignore indices, duplicate ids; plus argument errors and
// bit-identical results for 1 and 2 threads.
//
// Tolerances (stated per check): the native kernels compute in float32 with float64 row sums
// and vectorised exp/erf approximations (about 1e-7 relative); the reference computes in
// float64 and rounds once. A check passes when every element satisfies
//   |native − reference| ≤ rtol·|reference| + atol·max|reference|
// (atol scales with the array's magnitude, so cancellation near zero is judged against the
// size of the values it came from).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { UnaryOp } from '../../src/tensor/backend.js';
import { TensorError } from '../../src/tensor/errors.js';
import { referenceKernels as ref } from '../../src/tensor/reference/index.js';
import type { HostArrayBackend } from '../../src/tensor/reference/storage.js';
import { nativeKernels } from '../../src/tensor/native/kernels.js';
import type { NativeAddon } from '../../src/tensor/native/backend.js';
import { skipUnlessNative } from '../helpers/native.js';
import { randomFloats as random, randomInts } from '../helpers/random-buffers.js';
import { type AttentionCase, attentionCases, attentionInputs } from '../helpers/attention-cases.js';
import { type TokenChoiceCase, tokenChoiceCases } from '../helpers/token-choice-cases.js';

const addonPath = process.env.IRLENS_NATIVE_ADDON
  ?? fileURLToPath(new URL('../../build/Release/irlens_native.node', import.meta.url));

interface ThreadControl { setThreads(n: number): void; threads(): number }

function load(): { native: HostArrayBackend; threads: ThreadControl | null } | null {
  if (!existsSync(addonPath)) return null;
  const addon = createRequire(import.meta.url)(addonPath) as NativeAddon;
  if (typeof addon.unary !== 'function') return null;
  const native = { ...ref, ...nativeKernels(addon), name: 'native' } as HostArrayBackend;
  const t = addon as unknown as Partial<ThreadControl>;
  const threads = typeof t.setThreads === 'function' && typeof t.threads === 'function' ? t as ThreadControl : null;
  return { native, threads };
}
const loaded = load();
const skip = skipUnlessNative(loaded !== null, `native addon with the kernels not built (${addonPath})`);
const nat = loaded?.native as HostArrayBackend;

// ---------------------------------------------------------------------------------------------
// Helpers

/** count fresh arrays from make(), typed as a tuple so that destructuring them needs no assertion. */
function fresh<T>(count: 2, make: () => T): [T, T];
function fresh<T>(count: 4, make: () => T): [T, T, T, T];
function fresh<T>(count: number, make: () => T): T[] {
  return Array.from({ length: count }, make);
}

function maxAbs(x: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < x.length; i++) if (Number.isFinite(x[i])) m = Math.max(m, Math.abs(x[i]!));
  return m;
}

function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, rtol: number, atol: number,
  label: string): void {
  assert.equal(actual.length, expected.length, `${label}: length`);
  const scale = maxAbs(expected);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    if (Number.isNaN(e) || !Number.isFinite(e)) {
      assert.ok(Object.is(a, e) || (Number.isNaN(a) && Number.isNaN(e)), `${label}[${i}]: ${a} vs ${e}`);
      continue;
    }
    const tol = rtol * Math.abs(e) + atol * scale + 1e-37;
    if (!(Math.abs(a - e) <= tol)) {
      assert.fail(`${label}[${i}]: native ${a} vs reference ${e} (|diff| ${Math.abs(a - e)} > ${tol})`);
    }
  }
}

function assertBitEqual(a: Float32Array | Int32Array, b: Float32Array | Int32Array, label: string): void {
  assert.equal(a.length, b.length, `${label}: length`);
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < ua.length; i++) {
    if (ua[i] !== ub[i]) assert.fail(`${label}[${i}]: ${a[i]} vs ${b[i]} (not bit-identical)`);
  }
}

/** Row-major contiguous strides of a shape. */
function contiguous(shape: number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    s[d] = acc;
    acc *= shape[d]!;
  }
  return s;
}
const numel = (shape: number[]) => shape.reduce((a, b) => a * b, 1);
/** Strides of a tensor of `shape` broadcast to `outShape` (0 where shape has 1 or is missing). */
function broadcastStrides(shape: number[], outShape: number[]): number[] {
  const c = contiguous(shape);
  const pad = outShape.length - shape.length;
  return outShape.map((_, d) => (d < pad || shape[d - pad] === 1 ? 0 : c[d - pad]!));
}

/** Runs fn with 1 thread and with 2 and returns both results. */
function withThreads<T>(fn: () => T): [T, T] {
  const t = loaded!.threads!;
  const saved = t.threads();
  try {
    t.setThreads(1);
    const one = fn();
    t.setThreads(2);
    const two = fn();
    return [one, two];
  } finally {
    t.setThreads(saved);
  }
}

// ---------------------------------------------------------------------------------------------
// Element-wise

const unaryCases: Array<{ op: UnaryOp; lo: number; hi: number; rtol: number }> = [
  { op: 'neg', lo: -3, hi: 3, rtol: 0 },
  { op: 'exp', lo: -20, hi: 20, rtol: 3e-7 },
  { op: 'log', lo: 1e-3, hi: 50, rtol: 2e-7 },
  { op: 'sqrt', lo: 0, hi: 50, rtol: 1e-7 },
  { op: 'tanh', lo: -6, hi: 6, rtol: 2e-7 },
  { op: 'sigmoid', lo: -30, hi: 30, rtol: 5e-7 },
  { op: 'relu', lo: -3, hi: 3, rtol: 0 },
  { op: 'gelu', lo: -12, hi: 12, rtol: 2e-6 },
  { op: 'silu', lo: -30, hi: 30, rtol: 5e-7 },
];
const unarySizes = [0, 1, 7, 15, 16, 17, 33, 1000, 16384 + 21, 40000];

test('unary matches the reference on odd sizes and special values (rtol per op ≤ 2e-6, atol 1e-7·max)', { skip }, () => {
  for (const { op, lo, hi, rtol } of unaryCases) {
    for (const n of unarySizes) {
      const x = random(n, n + 7, lo, hi);
      if (n >= 8 && op !== 'log' && op !== 'sqrt') x.set([0, -0, 1e-30, -1e-30, 88.8, -100, 1e-5, -1e-5].map((v) =>
        op === 'exp' || op === 'sigmoid' || op === 'silu' || op === 'gelu' ? v : Math.max(lo, Math.min(hi, v))));
      const a = new Float32Array(n);
      const b = new Float32Array(n);
      nat.unary(op, x, a);
      ref.unary(op, x, b);
      assertClose(a, b, rtol, 1e-7, `unary ${op} n=${n}`);
    }
  }
  // exp saturates to Infinity / 0 and propagates NaN; gelu's tails.
  const special = new Float32Array([100, -120, Infinity, -Infinity, NaN, 88.7, -87.3, 0, -8, 8, -5.5, -0.001]);
  for (const op of ['exp', 'sigmoid', 'gelu', 'relu'] as UnaryOp[]) {
    const a = new Float32Array(special.length);
    const b = new Float32Array(special.length);
    nat.unary(op, special, a);
    ref.unary(op, special, b);
    for (let i = 0; i < special.length; i++) {
      if (Number.isNaN(b[i])) { assert.ok(Number.isNaN(a[i]), `${op}(${special[i]})`); continue; }
      if (!Number.isFinite(b[i])) { assert.equal(a[i], b[i], `${op}(${special[i]})`); continue; }
      assert.ok(Math.abs(a[i]! - b[i]!) <= 2e-6 * Math.abs(b[i]!) + 1e-37, `${op}(${special[i]}): ${a[i]} vs ${b[i]}`);
    }
  }
  // Works in place and on subarray views (byteOffset).
  const big = random(1000, 3, -4, 4);
  const view = big.subarray(5, 5 + 333);
  const expected = new Float32Array(333);
  ref.unary('gelu', view, expected);
  nat.unary('gelu', view, view);
  assertClose(view, expected, 2e-6, 1e-7, 'gelu in place on a view');
});

test('unaryBackward matches the reference (rtol ≤ 2e-6, atol 1e-6·max for cancellation in gelu/silu)', { skip }, () => {
  for (const { op, lo, hi } of unaryCases) {
    for (const n of [1, 15, 17, 100, 16384 + 5]) {
      const x = random(n, n + 11, lo, hi);
      const y = new Float32Array(n);
      ref.unary(op, x, y);
      const dy = random(n, n + 12, -2, 2);
      const a = new Float32Array(n);
      const b = new Float32Array(n);
      nat.unaryBackward(op, x, y, dy, a);
      ref.unaryBackward(op, x, y, dy, b);
      assertClose(a, b, 2e-6, 1e-6, `unaryBackward ${op} n=${n}`);
    }
  }
});

test('binary broadcasts with strides of 0, permuted operands, scalars and empty shapes (exact)', { skip }, () => {
  const cases: Array<{ outShape: number[]; aShape: number[]; bShape: number[]; permuteA?: boolean }> = [
    { outShape: [3, 5, 7], aShape: [3, 5, 7], bShape: [1, 5, 1] },
    { outShape: [3, 5, 7], aShape: [3, 1, 7], bShape: [5, 1] },
    { outShape: [17, 1000], aShape: [17, 1000], bShape: [1000] },
    { outShape: [2, 3, 40000], aShape: [2, 3, 40000], bShape: [3, 1] },
    { outShape: [9, 13], aShape: [], bShape: [9, 13] },
    { outShape: [], aShape: [], bShape: [] },
    { outShape: [4, 0, 3], aShape: [4, 0, 3], bShape: [3] },
    { outShape: [1, 1, 1], aShape: [1], bShape: [1, 1, 1] },
    { outShape: [6, 5], aShape: [5, 6], bShape: [6, 1], permuteA: true },
  ];
  for (const [ci, c] of cases.entries()) {
    const a = random(numel(c.aShape), ci + 1, -2, 2);
    const b = random(numel(c.bShape), ci + 50, 0.5, 2);
    const aStrides = c.permuteA ? [1, c.aShape[1]!] : broadcastStrides(c.aShape, c.outShape);
    const bStrides = broadcastStrides(c.bShape, c.outShape);
    for (const op of ['add', 'sub', 'mul', 'div', 'minimum', 'maximum'] as const) {
      const x = new Float32Array(numel(c.outShape));
      const y = new Float32Array(numel(c.outShape));
      nat.binary(op, a, aStrides, b, bStrides, x, c.outShape);
      ref.binary(op, a, aStrides, b, bStrides, y, c.outShape);
      assertBitEqual(x, y, `binary ${op} case ${ci}`);
    }
  }
});

test('minimum/maximum and their backward on ties, NaN and ±0, broadcast and long rows (exact)', { skip }, () => {
  const cases: Array<{ outShape: number[]; aShape: number[]; bShape: number[] }> = [
    { outShape: [7, 33], aShape: [7, 33], bShape: [33] },
    { outShape: [5, 17], aShape: [5, 1], bShape: [5, 17] },
    { outShape: [1], aShape: [1], bShape: [1] },
    { outShape: [2, 40000], aShape: [2, 40000], bShape: [2, 40000] },
  ];
  for (const [ci, c] of cases.entries()) {
    // Values on a coarse grid so that many pairs tie; then a few NaNs and signed zeros.
    const a = random(numel(c.aShape), ci + 1, -3, 3).map(Math.round);
    const b = random(numel(c.bShape), ci + 9, -3, 3).map(Math.round);
    if (a.length > 4) a.set([NaN, -0, 0, Infinity]);
    if (b.length > 4) b.set([1, 0, -0, Infinity]);
    const aStrides = broadcastStrides(c.aShape, c.outShape);
    const bStrides = broadcastStrides(c.bShape, c.outShape);
    const n = numel(c.outShape);
    const dy = random(n, ci + 20);
    for (const op of ['minimum', 'maximum'] as const) {
      const tag = `${op} case ${ci}`;
      const [x, y] = [new Float32Array(n), new Float32Array(n)];
      nat.binary(op, a, aStrides, b, bStrides, x, c.outShape);
      ref.binary(op, a, aStrides, b, bStrides, y, c.outShape);
      assertBitEqual(x, y, tag);
      const [da1, db1, da2, db2] = fresh(4, () => new Float32Array(n).fill(7));
      nat.extremumBackward(op, a, aStrides, b, bStrides, dy, da1, db1, c.outShape);
      ref.extremumBackward(op, a, aStrides, b, bStrides, dy, da2, db2, c.outShape);
      assertBitEqual(da1, da2, `${tag} da`);
      assertBitEqual(db1, db2, `${tag} db`);
      nat.extremumBackward(op, a, aStrides, b, bStrides, dy, null, da1, c.outShape);  // da optional
      assertBitEqual(da1, db2, `${tag} db alone`);
    }
  }
});

test('clamp and its backward with finite, one-sided and crossed bounds, values at the bounds, NaN (exact)', { skip }, () => {
  const bounds: Array<[number, number]> = [[-0.5, 0.75], [-Infinity, 0.25], [-1, Infinity], [-Infinity, Infinity], [1, -1]];
  for (const n of unarySizes) {
    const x = random(n, n + 3, -2, 2);
    if (n >= 8) x.set([-0.5, 0.75, 0.25, -1, NaN, -0, Infinity, -Infinity]);
    const dy = random(n, n + 4);
    for (const [min, max] of bounds) {
      const tag = `clamp [${min}, ${max}] n=${n}`;
      const [a, b] = [new Float32Array(n), new Float32Array(n)];
      nat.clamp(x, min, max, a);
      ref.clamp(x, min, max, b);
      assertBitEqual(a, b, tag);
      nat.clampBackward(x, min, max, dy, a);
      ref.clampBackward(x, min, max, dy, b);
      assertBitEqual(a, b, `${tag} backward`);
    }
  }
});

test('where broadcasts the condition and both branches (exact)', { skip }, () => {
  const outShape = [4, 9, 19];
  const cond = random(4 * 19, 5, 0, 1).map((v) => (v < 0.5 ? 0 : v));
  const a = random(numel(outShape), 6);
  const b = random(9, 7);
  const condStrides = broadcastStrides([4, 1, 19], outShape);
  const aStrides = contiguous(outShape);
  const bStrides = broadcastStrides([9, 1], outShape);
  const x = new Float32Array(numel(outShape));
  const y = new Float32Array(numel(outShape));
  nat.where(cond, condStrides, a, aStrides, b, bStrides, x, outShape);
  ref.where(cond, condStrides, a, aStrides, b, bStrides, y, outShape);
  assertBitEqual(x, y, 'where');
  const big = [3, 50001];
  const c2 = random(numel(big), 8).map((v) => (v < 0 ? 0 : 1));
  const x2 = new Float32Array(numel(big));
  const y2 = new Float32Array(numel(big));
  nat.where(c2, contiguous(big), a, [0, 0], b, [0, 0], x2, big);
  ref.where(c2, contiguous(big), a, [0, 0], b, [0, 0], y2, big);
  assertBitEqual(x2, y2, 'where contiguous');
});

/** Strides that read a contiguous tensor of `shape` in the order `perm` (a permute view). */
function permuted(shape: number[], perm: number[]): { shape: number[]; strides: number[] } {
  const c = contiguous(shape);
  return { shape: perm.map((p) => shape[p]!), strides: perm.map((p) => c[p]!) };
}

test('stridedCopy: permutes, transposes, slices with offsets, broadcast-expands (exact)', { skip }, () => {
  const cases: Array<{ src: number; offset: number; shape: number[]; strides: number[]; label: string }> = [];
  const p1 = permuted([2, 3, 4, 5], [0, 2, 1, 3]);
  cases.push({ src: 120, offset: 0, ...p1, label: 'permute 0213' });
  const p2 = permuted([37, 53], [1, 0]);
  cases.push({ src: 37 * 53, offset: 0, ...p2, label: '2d transpose' });
  const p3 = permuted([3, 40, 33], [0, 2, 1]);
  cases.push({ src: 3 * 40 * 33, offset: 0, ...p3, label: 'batched transpose' });
  const p4 = permuted([8, 64, 8, 64], [0, 2, 1, 3]);
  cases.push({ src: 8 * 64 * 8 * 64, offset: 0, ...p4, label: '[B,T,H,D] -> [B,H,T,D]' });
  const p5 = permuted([5, 7, 11], [2, 0, 1]);
  cases.push({ src: 385, offset: 0, ...p5, label: 'permute 201' });
  cases.push({ src: 100, offset: 13, shape: [4, 5], strides: [20, 2], label: 'strided slice with offset' });
  cases.push({ src: 10, offset: 3, shape: [6, 7], strides: [0, 1], label: 'broadcast expand rows' });
  cases.push({ src: 10, offset: 9, shape: [3, 5, 4], strides: [0, 0, 0], label: 'broadcast scalar' });
  cases.push({ src: 10, offset: 9, shape: [3, 1, 4], strides: [-3, 0, -1], label: 'negative strides' });
  cases.push({ src: 10, offset: 0, shape: [3, 0], strides: [1, 1], label: 'empty' });
  cases.push({ src: 1, offset: 0, shape: [], strides: [], label: 'scalar' });
  cases.push({ src: 70000, offset: 1, shape: [2, 34999], strides: [34999, 1], label: 'long rows' });
  for (const [i, c] of cases.entries()) {
    const x = random(c.src, i + 100);
    const a = new Float32Array(numel(c.shape));
    const b = new Float32Array(numel(c.shape));
    nat.stridedCopy(x, c.offset, c.strides, c.shape, a);
    ref.stridedCopy(x, c.offset, c.strides, c.shape, b);
    assertBitEqual(a, b, `stridedCopy ${c.label}`);
  }
});

test('stridedAccumulate: injective permutes in parallel, overlapping and broadcast views in order (exact)', { skip }, () => {
  const cases: Array<{ dst: number; offset: number; shape: number[]; strides: number[]; label: string }> = [];
  cases.push({ dst: 120, offset: 0, ...permuted([2, 3, 4, 5], [0, 2, 1, 3]), label: 'permute' });
  cases.push({ dst: 37 * 53, offset: 0, ...permuted([37, 53], [1, 0]), label: 'transpose' });
  cases.push({ dst: 100, offset: 13, shape: [4, 5], strides: [20, 2], label: 'slice' });
  cases.push({ dst: 50, offset: 1, shape: [300, 7, 49], strides: [0, 0, 1], label: 'sum to shape (bias grad)' });
  cases.push({ dst: 50, offset: 0, shape: [6, 30], strides: [1, 0], label: 'sum over inner' });
  cases.push({ dst: 40, offset: 0, shape: [10, 8], strides: [3, 1], label: 'overlapping windows' });
  cases.push({ dst: 40000, offset: 0, shape: [3, 39000], strides: [1, 1], label: 'long overlapping' });
  cases.push({ dst: 10, offset: 2, shape: [], strides: [], label: 'scalar' });
  for (const [i, c] of cases.entries()) {
    const dy = random(numel(c.shape), i + 200);
    const init = random(c.dst, i + 300);
    const a = init.slice();
    const b = init.slice();
    nat.stridedAccumulate(dy, a, c.offset, c.strides, c.shape);
    ref.stridedAccumulate(dy, b, c.offset, c.strides, c.shape);
    assertBitEqual(a, b, `stridedAccumulate ${c.label}`);
  }
});

test('reduce sum (float64 accumulation, rtol 1e-7) and max with argmax (exact, first max, NaN propagates)', { skip }, () => {
  const shapes: Array<[number, number, number]> = [
    [1, 1, 1], [3, 70000, 1], [5, 17, 1], [4, 33, 300], [2, 1, 19], [7, 1000, 3], [1, 5, 257], [0, 4, 3], [3, 0, 2],
  ];
  for (const [outer, size, inner] of shapes) {
    const x = random(outer * size * inner, outer + size + inner, -3, 3);
    const a = new Float32Array(outer * inner);
    const b = new Float32Array(outer * inner);
    nat.reduce('sum', x, outer, size, inner, a);
    ref.reduce('sum', x, outer, size, inner, b);
    assertClose(a, b, 1e-7, 1e-9, `sum [${outer},${size},${inner}]`);
    if (size === 0) continue;
    // Ties and NaNs for max.
    for (let i = 0; i < x.length; i += 7) x[i] = 2.5;
    if (x.length > 40) { x[31] = NaN; x[x.length - 3] = NaN; }
    const am = new Int32Array(outer * inner);
    const bm = new Int32Array(outer * inner);
    nat.reduce('max', x, outer, size, inner, a, am);
    ref.reduce('max', x, outer, size, inner, b, bm);
    assertBitEqual(a, b, `max [${outer},${size},${inner}]`);
    assertBitEqual(am, bm, `argmax [${outer},${size},${inner}]`);
    nat.reduce('max', x, outer, size, inner, a);  // argmax optional
    assertBitEqual(a, b, `max without argmax [${outer},${size},${inner}]`);
  }
  assert.throws(() => nat.reduce('max', new Float32Array(0), 2, 0, 3, new Float32Array(6)), TensorError);
});

test('maxBackward routes dy to the argmax and zeroes the rest; idsToFloats converts exactly', { skip }, () => {
  for (const [outer, size, inner] of [[1, 1, 1], [3, 70000, 1], [4, 33, 300], [2, 1, 19], [0, 4, 3]] as const) {
    const argmax = randomInts(outer * inner, size + inner, 0, size);
    const dy = random(outer * inner, outer + inner);
    const [a, b] = fresh(2, () => random(outer * size * inner, 9));
    nat.maxBackward(dy, argmax, outer, size, inner, a);
    ref.maxBackward(dy, argmax, outer, size, inner, b);
    assertBitEqual(a, b, `maxBackward [${outer},${size},${inner}]`);
  }
  assert.throws(() => nat.maxBackward(new Float32Array(2), new Int32Array([0, 3]), 2, 3, 1, new Float32Array(6)),
    /maxBackward: argmax 3 at 1 is outside \[0, 3\)/);
  const ids = Int32Array.from([0, 1, -1, 50303, 2 ** 24, -(2 ** 24), 2 ** 31 - 1, -(2 ** 31)]);
  const [a, b] = fresh(2, () => new Float32Array(ids.length));
  nat.idsToFloats(ids, a);
  ref.idsToFloats(ids, b);
  assertBitEqual(a, b, 'idsToFloats');
});

test('dropoutMask writes the same mask as the reference, bit for bit, across thread blocks and for any key and p', { skip }, () => {
  for (const n of [0, 1, 3, 4, 5, 16384 * 3 + 7]) {
    for (const [key, p] of [[[0, 0], 0.1], [[0xffffffff, 12345], 0.5], [[7, 0x80000000], 0.9], [[1, 2], 0], [[3, 4], 1e-9]] as const) {
      const scale = 1 / (1 - p);
      const [a, b] = fresh(2, () => random(n, 11));
      nat.dropoutMask(key, p, scale, a);
      ref.dropoutMask(key, p, scale, b);
      assertBitEqual(a, b, `dropoutMask n ${n}, key ${key}, p ${p}`);
    }
  }
  assert.throws(() => nat.dropoutMask([2 ** 32, 0], 0.5, 2, new Float32Array(4)), /dropoutMask: key words must be uint32/);
});

test('addInto and scaleInPlace are exact; sumSquares matches within 1e-12 relative', { skip }, () => {
  for (const n of [0, 1, 17, 16384 * 3 + 5, 1_000_003]) {
    const x = random(n, n + 1);
    const y = random(n, n + 2);
    const a = x.slice();
    const b = x.slice();
    nat.addInto(a, y);
    ref.addInto(b, y);
    assertBitEqual(a, b, `addInto n=${n}`);
    nat.scaleInPlace(a, 0.1);
    ref.scaleInPlace(b, 0.1);
    assertBitEqual(a, b, `scaleInPlace n=${n}`);
    const s1 = nat.sumSquares([x]);
    const s2 = ref.sumSquares([x]);
    assert.ok(Math.abs(s1 - s2) <= 1e-12 * s2 + 1e-300, `sumSquares n=${n}: ${s1} vs ${s2}`);
  }
  assert.throws(() => nat.addInto(new Float32Array(4), new Float32Array(3)), TensorError);
});

// ---------------------------------------------------------------------------------------------
// Softmax and norms

test('softmax / log-softmax and backward on long and odd rows (rtol 1e-6, atol 1e-6·max)', { skip }, () => {
  for (const [rows, cols] of [[1, 1], [7, 33], [3, 50304], [2, 16], [5, 17], [64, 64]] as const) {
    const x = random(rows * cols, rows * cols, -8, 8);
    if (cols > 4) { x[2] = -Infinity; x[cols + 1] = -1e30; }
    for (const log of [false, true]) {
      const a = new Float32Array(rows * cols);
      const b = new Float32Array(rows * cols);
      nat.softmax(x, rows, cols, a, log);
      ref.softmax(x, rows, cols, b, log);
      assertClose(a, b, 1e-6, 1e-7, `softmax log=${log} [${rows},${cols}]`);
      const dy = random(rows * cols, cols + 3, -1, 1);
      const y = b.slice();
      if (log) for (let i = 0; i < y.length; i++) if (!Number.isFinite(y[i])) y[i] = -1e4;
      const da = new Float32Array(rows * cols);
      const db = new Float32Array(rows * cols);
      nat.softmaxBackward(y, dy, rows, cols, da, log);
      ref.softmaxBackward(y, dy, rows, cols, db, log);
      assertClose(da, db, 1e-6, 1e-6, `softmaxBackward log=${log} [${rows},${cols}]`);
    }
  }
});

test('layerNorm and rmsNorm forward/backward, with and without affine, long rows (rtol 1e-5, atol 1e-5·max)', { skip }, () => {
  for (const [rows, cols] of [[1, 1], [5, 5003], [70, 37], [33, 512], [3, 16], [600, 9]] as const) {
    const x = random(rows * cols, rows + cols, -2, 3);
    const w = random(cols, cols + 1, 0.5, 1.5);
    const bias = random(cols, cols + 2, -0.5, 0.5);
    const dy = random(rows * cols, rows * cols + 3);
    for (const affine of [true, false]) {
      const W = affine ? w : null;
      const B = affine ? bias : null;
      const o1 = new Float32Array(rows * cols), o2 = new Float32Array(rows * cols);
      const m1 = new Float32Array(rows), m2 = new Float32Array(rows);
      const r1 = new Float32Array(rows), r2 = new Float32Array(rows);
      nat.layerNorm(x, W, B, rows, cols, 1e-5, o1, m1, r1);
      ref.layerNorm(x, W, B, rows, cols, 1e-5, o2, m2, r2);
      const tag = `[${rows},${cols}] affine=${affine}`;
      assertClose(o1, o2, 1e-5, 1e-6, `layerNorm out ${tag}`);
      assertClose(m1, m2, 1e-6, 1e-7, `layerNorm mean ${tag}`);
      assertClose(r1, r2, 1e-6, 0, `layerNorm rstd ${tag}`);
      const dx1 = new Float32Array(rows * cols), dx2 = new Float32Array(rows * cols);
      const dw1 = affine ? random(cols, 9) : null, dw2 = dw1 ? dw1.slice() : null;  // accumulate onto values
      const db1 = affine ? random(cols, 10) : null, db2 = db1 ? db1.slice() : null;
      nat.layerNormBackward(x, W, m2, r2, dy, rows, cols, dx1, dw1, db1);
      ref.layerNormBackward(x, W, m2, r2, dy, rows, cols, dx2, dw2, db2);
      assertClose(dx1, dx2, 1e-5, 1e-5, `layerNormBackward dx ${tag}`);
      if (dw1 && dw2) assertClose(dw1, dw2, 1e-5, 1e-6, `layerNormBackward dWeight ${tag}`);
      if (db1 && db2) assertClose(db1, db2, 1e-5, 1e-6, `layerNormBackward dBias ${tag}`);

      nat.rmsNorm(x, W, rows, cols, 1e-6, o1, r1);
      ref.rmsNorm(x, W, rows, cols, 1e-6, o2, r2);
      assertClose(o1, o2, 1e-5, 1e-6, `rmsNorm out ${tag}`);
      assertClose(r1, r2, 1e-6, 0, `rmsNorm rstd ${tag}`);
      const dw3 = affine ? random(cols, 11) : null, dw4 = dw3 ? dw3.slice() : null;
      nat.rmsNormBackward(x, W, r2, dy, rows, cols, dx1, dw3);
      ref.rmsNormBackward(x, W, r2, dy, rows, cols, dx2, dw4);
      assertClose(dx1, dx2, 1e-5, 1e-5, `rmsNormBackward dx ${tag}`);
      if (dw3 && dw4) assertClose(dw3, dw4, 1e-5, 1e-6, `rmsNormBackward dWeight ${tag}`);
    }
  }
});

// ---------------------------------------------------------------------------------------------
// Embedding, rope, attention

test('embedding gathers rows, its backward sums duplicate ids in order; bad ids throw', { skip }, () => {
  for (const [vocab, dim, count] of [[11, 37, 50], [1, 1, 3], [5000, 512, 64], [300, 130, 1000]] as const) {
    const w = random(vocab * dim, vocab + dim);
    const ids = randomInts(count, count + vocab, 0, vocab);
    ids[0] = vocab - 1;
    if (count > 3) ids[3] = ids[1]!;  // duplicates
    const a = new Float32Array(count * dim), b = new Float32Array(count * dim);
    nat.embedding(w, ids, vocab, dim, a);
    ref.embedding(w, ids, vocab, dim, b);
    assertBitEqual(a, b, `embedding [${vocab},${dim}]`);
    const dy = random(count * dim, 77);
    const init = random(vocab * dim, 78);
    const da = init.slice(), db = init.slice();
    nat.embeddingBackward(dy, ids, vocab, dim, da);
    ref.embeddingBackward(dy, ids, vocab, dim, db);
    assertBitEqual(da, db, `embeddingBackward [${vocab},${dim}] (exact: same order of adds)`);
  }
  const w = random(20, 1);
  assert.throws(() => nat.embedding(w, new Int32Array([1, 5]), 5, 4, new Float32Array(8)), TensorError);
  assert.throws(() => nat.embedding(w, new Int32Array([-1]), 5, 4, new Float32Array(4)), TensorError);
  assert.throws(() => nat.embeddingBackward(new Float32Array(4), new Int32Array([9]), 5, 4, new Float32Array(20)),
    /embeddingBackward/);
});

test('rope forward and inverse, partial rotary dims, in place (rtol 1e-6, atol 1e-6·max)', { skip }, () => {
  for (const [batch, heads, t, headDim, rotaryDims] of [[2, 3, 5, 10, 4], [1, 1, 1, 2, 2], [2, 4, 17, 64, 16],
    [1, 2, 9, 16, 0], [3, 1, 7, 12, 12]] as const) {
    const n = batch * heads * t * headDim;
    const x = random(n, n + rotaryDims);
    const positions = Int32Array.from({ length: batch * t }, (_, i) => (i % t) + 3 * Math.floor(i / t) + 1000 * (i % 2));
    for (const inverse of [false, true]) {
      const a = new Float32Array(n), b = new Float32Array(n);
      nat.rope(x, positions, batch, heads, t, headDim, rotaryDims, 10000, a, inverse);
      ref.rope(x, positions, batch, heads, t, headDim, rotaryDims, 10000, b, inverse);
      assertClose(a, b, 1e-6, 1e-6, `rope [${batch},${heads},${t},${headDim}] rd=${rotaryDims} inverse=${inverse}`);
      const inPlace = x.slice();
      nat.rope(inPlace, positions, batch, heads, t, headDim, rotaryDims, 10000, inPlace, inverse);
      assertBitEqual(inPlace, a, 'rope in place');
    }
  }
  assert.throws(() => nat.rope(new Float32Array(8), new Int32Array(1), 1, 1, 1, 8, 3, 10000, new Float32Array(8), false),
    TensorError);
});

test('attention forward and backward: causal / not, padding masks, GQA, tq < tk (rtol 1e-5, atol 1e-5·max)', { skip }, () => {
  for (const [ci, c] of attentionCases.entries()) {
    const { q, k, v, dOut, mask } = attentionInputs(c, ci * 10 + 1);
    const nOut = c.batch * c.heads * c.tq * c.headDim;
    const nProbs = c.batch * c.heads * c.tq * c.tk;
    const o1 = new Float32Array(nOut), o2 = new Float32Array(nOut);
    const p1 = new Float32Array(nProbs), p2 = new Float32Array(nProbs);
    nat.attention(q, k, v, mask, c, o1, p1);
    ref.attention(q, k, v, mask, c, o2, p2);
    const tag = `case ${ci} (${JSON.stringify(c)})`;
    assertClose(p1, p2, 1e-5, 1e-6, `attention probs ${tag}`);
    assertClose(o1, o2, 1e-5, 1e-5, `attention out ${tag}`);
    for (let i = 0; i < nProbs; i++) if (p2[i] === 0) assert.equal(p1[i], 0, `hidden key has probability 0 (${tag})`);
    const nKv = c.batch * c.kvHeads * c.tk * c.headDim;
    const dq1 = new Float32Array(nOut).fill(7), dq2 = new Float32Array(nOut);
    const dk1 = new Float32Array(nKv).fill(7), dk2 = new Float32Array(nKv);
    const dv1 = new Float32Array(nKv).fill(7), dv2 = new Float32Array(nKv);
    nat.attentionBackward(q, k, v, p2, dOut, c, dq1, dk1, dv1);
    ref.attentionBackward(q, k, v, p2, dOut, c, dq2, dk2, dv2);
    assertClose(dq1, dq2, 1e-5, 1e-5, `attention dq ${tag}`);
    assertClose(dk1, dk2, 1e-5, 1e-5, `attention dk ${tag}`);
    assertClose(dv1, dv2, 1e-5, 1e-5, `attention dv ${tag}`);
  }
  const c = attentionCases[0]!;
  assert.throws(() => nat.attention(new Float32Array(3), new Float32Array(3), new Float32Array(3), null, c,
    new Float32Array(3), new Float32Array(3)), /attention: q has 3 elements/);
  assert.throws(() => nat.attention(new Float32Array(0), new Float32Array(0), new Float32Array(0), null,
    { ...c, kvHeads: 3 }, new Float32Array(0), new Float32Array(0)), TensorError);
});

// ---------------------------------------------------------------------------------------------
// Cross-entropy and AdamW

test('crossEntropy: loss and gradient over rows of 50304 with ignored rows (loss rtol 1e-6, grad rtol 1e-5, atol 1e-6·max)', { skip }, () => {
  for (const [rows, classes, spread] of [[6, 50304, 8], [9, 7, 3], [1, 1, 1], [33, 17, 20]] as const) {
    const logits = random(rows * classes, rows + classes, -spread, spread);
    const targets = randomInts(rows, classes, 0, classes);
    if (rows > 2) targets[1] = -100;
    if (rows > 5) targets[5] = classes - 1;
    for (const withGrad of [true, false]) {
      const d1 = withGrad ? new Float32Array(rows * classes).fill(3) : null;
      const d2 = withGrad ? new Float32Array(rows * classes) : null;
      const [l1, l2] = [new Float32Array(1), new Float32Array(1)];
      nat.crossEntropy(logits, targets, rows, classes, -100, d1, 0.5, l1);
      ref.crossEntropy(logits, targets, rows, classes, -100, d2, 0.5, l2);
      assert.ok(Math.abs(l1[0]! - l2[0]!) <= 1e-6 * Math.abs(l2[0]!) + 1e-7, `loss ${l1[0]} vs ${l2[0]}`);
      if (d1 && d2) assertClose(d1, d2, 1e-5, 1e-6, `crossEntropy dLogits [${rows},${classes}]`);
    }
  }
  // Every row ignored: NaN loss, zero gradient.
  const d = new Float32Array(12).fill(5);
  const loss = new Float32Array(1);
  nat.crossEntropy(random(12, 1), new Int32Array([-1, -1, -1]), 3, 4, -1, d, 1, loss);
  assert.ok(Number.isNaN(loss[0]));
  assert.ok(d.every((v) => v === 0));
  assert.throws(() => nat.crossEntropy(random(12, 1), new Int32Array([0, 4, 1]), 3, 4, -100, null, 1, loss), TensorError);
});

test('tokenLogProbs, entropy and their backward: rows of 50304, odd rows, one class, logits of ±80, masked classes (forward rtol 1e-6, backward rtol 1e-5; atol 1e-6·max)', { skip }, () => {
  for (const [rows, classes, spread] of [[1, 1, 1], [7, 33, 8], [5, 17, 80], [3, 50304, 8], [2, 50304, 80], [2, 16, 3],
    [40, 1000, 20]] as const) {
    const tag = `[${rows},${classes}] ±${spread}`;
    const logits = random(rows * classes, rows + classes + spread, -spread, spread);
    const ids = randomInts(rows, classes + 1, 0, classes);
    ids[0] = 0;
    ids[rows - 1] = classes - 1;
    if (classes > 4) logits[classes + 2] = -Infinity;  // a masked class in row 1 (never its id)
    const dy = random(rows, rows + 5, -2, 2);
    const [o1, o2, l1, l2] = fresh(4, () => new Float32Array(rows).fill(7));
    const [d1, d2] = fresh(2, () => new Float32Array(rows * classes).fill(7));

    nat.tokenLogProbs(logits, ids, rows, classes, o1, l1);
    ref.tokenLogProbs(logits, ids, rows, classes, o2, l2);
    assertClose(o1, o2, 1e-6, 1e-6, `tokenLogProbs ${tag}`);
    assertClose(l1, l2, 1e-6, 0, `tokenLogProbs logSumExp ${tag}`);
    // Both backward passes get the reference's logSumExp, so they are compared on the same input.
    nat.tokenLogProbsBackward(logits, ids, l2, dy, rows, classes, d1);
    ref.tokenLogProbsBackward(logits, ids, l2, dy, rows, classes, d2);
    assertClose(d1, d2, 1e-5, 1e-6, `tokenLogProbsBackward ${tag}`);

    nat.entropy(logits, rows, classes, o1, l1);
    ref.entropy(logits, rows, classes, o2, l2);
    assertClose(o1, o2, 1e-6, 1e-6, `entropy ${tag}`);
    assertClose(l1, l2, 1e-6, 0, `entropy logSumExp ${tag}`);
    nat.entropyBackward(logits, l2, o2, dy, rows, classes, d1);
    ref.entropyBackward(logits, l2, o2, dy, rows, classes, d2);
    assertClose(d1, d2, 1e-5, 1e-6, `entropyBackward ${tag}`);
  }
  const bad = new Int32Array([0, 3]);
  assert.throws(() => nat.tokenLogProbs(random(6, 1), bad, 2, 3, new Float32Array(2), new Float32Array(2)),
    /tokenLogProbs: id 3 of row 1 is outside \[0, 3\)/);
  assert.throws(() => nat.tokenLogProbsBackward(random(6, 1), bad, new Float32Array(2), new Float32Array(2), 2, 3,
    new Float32Array(6)), TensorError);
  assert.throws(() => nat.entropy(new Float32Array(0), 2, 0, new Float32Array(2), new Float32Array(2)),
    /entropy: classes must be positive/);
});

/** log-softmax(logits)[ids[r]] per row by the backend's softmax kernel (NaN where ids[r] < 0). */
function logSoftmaxAt(backend: HostArrayBackend, c: TokenChoiceCase, ids: Int32Array): Float32Array {
  const all = new Float32Array(c.rows * c.vocab);
  backend.softmax(c.logits, c.rows, c.vocab, all, true);
  return Float32Array.from(ids, (id, r) => (id < 0 ? Number.NaN : all[r * c.vocab + id]!));
}

test('chooseTokens picks the reference\'s ids on awkward rows (vocab 1 to 50304, ties, −∞, NaN, +∞, top-k ≥ vocab, top-p 1e-9 to 1, temperature 0.01 to 100, suppressed ids) and reports each backend\'s own log-softmax (exact)', { skip }, () => {
  for (const c of tokenChoiceCases([1, 2, 17, 300, 50304])) {
    const [nativeIds, referenceIds] = fresh(2, () => new Int32Array(c.rows).fill(7));
    const [nativeLogProbs, referenceLogProbs] = fresh(2, () => new Float32Array(c.rows).fill(7));
    nat.chooseTokens(c.logits, c.rows, c.vocab, c.choice, c.uniforms, nativeIds, nativeLogProbs);
    ref.chooseTokens(c.logits, c.rows, c.vocab, c.choice, c.uniforms, referenceIds, referenceLogProbs);
    assertBitEqual(nativeIds, referenceIds, `ids ${c.label}`);
    assertClose(nativeLogProbs, logSoftmaxAt(nat, c, nativeIds), 0, 0, `native log-probs ${c.label}`);
    assertClose(referenceLogProbs, logSoftmaxAt(ref, c, referenceIds), 0, 0, `reference log-probs ${c.label}`);
  }
});

test('adamw over several steps, with and without weight decay (rtol 1e-6 on param, m, v)', { skip }, () => {
  for (const n of [1, 17, 16384 + 33]) {
    for (const weightDecay of [0, 0.1]) {
      const p1 = random(n, n), p2 = p1.slice();
      const m1 = new Float32Array(n), m2 = new Float32Array(n);
      const v1 = new Float32Array(n), v2 = new Float32Array(n);
      for (let step = 1; step <= 5; step++) {
        const g = random(n, n + step * 31, -0.1, 0.1);
        if (n > 3) g[2] = 0;
        const args = { lr: 1e-2, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay, step };
        nat.adamw(p1, g, m1, v1, args);
        ref.adamw(p2, g, m2, v2, args);
        const tag = `n=${n} wd=${weightDecay} step=${step}`;
        assertClose(p1, p2, 1e-6, 1e-7, `adamw param ${tag}`);
        assertClose(m1, m2, 1e-6, 1e-7, `adamw m ${tag}`);
        assertClose(v1, v2, 1e-6, 1e-7, `adamw v ${tag}`);
      }
    }
  }
  assert.throws(() => nat.adamw(new Float32Array(4), new Float32Array(3), new Float32Array(4), new Float32Array(4),
    { lr: 1, beta1: 0.9, beta2: 0.99, eps: 1e-8, weightDecay: 0, step: 1 }), /adamw: grad has 3 elements, needs 4/);
});

// ---------------------------------------------------------------------------------------------
// Threads

test('results are bit-identical with 1 and 2 threads', { skip: skip || skipUnlessNative(!!loaded?.threads, 'the native addon has no setThreads') }, () => {
  const check = (label: string, run: () => Array<Float32Array | Int32Array | number>) => {
    const [one, two] = withThreads(run);
    for (const [i, a] of one.entries()) {
      const b = two[i];
      if (typeof a === 'number') assert.ok(Object.is(a, b), `${label} #${i}: ${a} vs ${b}`);
      else assertBitEqual(a, b as typeof a, `${label} #${i}`);
    }
  };
  const rows = 512, cols = 512;
  const x = random(rows * cols, 1, -2, 2);
  const dy = random(rows * cols, 2);
  const w = random(cols, 3, 0.5, 1.5);
  check('layerNormBackward', () => {
    const mean = new Float32Array(rows), rstd = new Float32Array(rows), out = new Float32Array(rows * cols);
    nat.layerNorm(x, w, w, rows, cols, 1e-5, out, mean, rstd);
    const dx = new Float32Array(rows * cols), dw = new Float32Array(cols), db = new Float32Array(cols);
    nat.layerNormBackward(x, w, mean, rstd, dy, rows, cols, dx, dw, db);
    return [out, mean, rstd, dx, dw, db];
  });
  check('rmsNormBackward', () => {
    const rstd = new Float32Array(rows), out = new Float32Array(rows * cols);
    nat.rmsNorm(x, w, rows, cols, 1e-5, out, rstd);
    const dx = new Float32Array(rows * cols), dw = new Float32Array(cols);
    nat.rmsNormBackward(x, w, rstd, dy, rows, cols, dx, dw);
    return [out, rstd, dx, dw];
  });
  const ceRows = 64, classes = 50304;
  const logits = random(ceRows * classes, 4, -6, 6);
  const targets = randomInts(ceRows, 5, 0, classes);
  targets[7] = -100;
  check('crossEntropy', () => {
    const d = new Float32Array(ceRows * classes);
    const loss = new Float32Array(1);
    nat.crossEntropy(logits, targets, ceRows, classes, -100, d, 1, loss);
    return [loss, d];
  });
  check('tokenLogProbs / entropy and backward', () => {
    const ids = randomInts(ceRows, 7, 0, classes);
    const dyRows = random(ceRows, 8);
    const [out, lse, h, hLse] = fresh(4, () => new Float32Array(ceRows));
    const [dTokens, dEntropy] = fresh(2, () => new Float32Array(ceRows * classes));
    nat.tokenLogProbs(logits, ids, ceRows, classes, out, lse);
    nat.tokenLogProbsBackward(logits, ids, lse, dyRows, ceRows, classes, dTokens);
    nat.entropy(logits, ceRows, classes, h, hLse);
    nat.entropyBackward(logits, hLse, h, dyRows, ceRows, classes, dEntropy);
    return [out, lse, dTokens, h, hLse, dEntropy];
  });
  check('sumSquares / reduce / softmax', () => {
    const s = new Float32Array(3), am = new Int32Array(3), m = new Float32Array(3), cs = new Float32Array(3 * 1000);
    nat.reduce('sum', logits, 3, 70000, 1, s);
    nat.reduce('max', logits, 3, 70000, 1, m, am);
    nat.reduce('sum', logits, 7, 300, 1000, cs.subarray(0, 0).length === 0 ? new Float32Array(7000) : cs);
    const sm = new Float32Array(rows * cols);
    nat.softmax(x, rows, cols, sm, false);
    return [nat.sumSquares([logits]), s, m, am, sm];
  });
  check('dropoutMask', () => {
    const mask = new Float32Array(rows * cols);
    nat.dropoutMask([0x9e3779b9, 42], 0.1, 1 / 0.9, mask);
    return [mask];
  });
  check('elementwise', () => {
    const n = 100003;
    const g = new Float32Array(n), gb = new Float32Array(n);
    nat.unary('gelu', logits.subarray(0, n), g);
    nat.unaryBackward('gelu', logits.subarray(0, n), g, dy.subarray(0, n), gb);
    const acc = new Float32Array(50);
    nat.stridedAccumulate(dy.subarray(0, 300 * 7 * 49), acc, 1, [0, 0, 1], [300, 7, 49]);
    const tr = new Float32Array(rows * cols);
    nat.stridedCopy(x, 0, [1, cols], [cols, rows], tr);
    const clamped = new Float32Array(rows * cols), picked = new Float32Array(rows * cols);
    nat.clamp(x, -1, 1, clamped);
    nat.extremumBackward('maximum', x, [cols, 1], w, [0, 1], dy, picked, null, [rows, cols]);
    return [g, gb, acc, tr, clamped, picked];
  });
  const c = attentionCases[5]!;
  const gqa: AttentionCase = { ...c, kvHeads: 2 };
  const inputs = attentionInputs(gqa, 9);
  check('attention (GQA)', () => {
    const out = new Float32Array(inputs.q.length), probs = new Float32Array(c.batch * c.heads * c.tq * c.tk);
    nat.attention(inputs.q, inputs.k, inputs.v, inputs.mask, gqa, out, probs);
    const dq = new Float32Array(inputs.q.length), dk = new Float32Array(inputs.k.length), dv = new Float32Array(inputs.v.length);
    nat.attentionBackward(inputs.q, inputs.k, inputs.v, probs, inputs.dOut, gqa, dq, dk, dv);
    return [out, probs, dq, dk, dv];
  });
  check('chooseTokens', () => {
    const ids = new Int32Array(ceRows), logProbs = new Float32Array(ceRows);
    const uniforms = Array.from(random(ceRows, 9, 0, 1));
    nat.chooseTokens(logits, ceRows, classes, { sample: true, temperature: 3, topK: 0, topP: 0.9, suppressed: [0] },
      uniforms, ids, logProbs);
    return [ids, logProbs];
  });
  check('embeddingBackward / adamw', () => {
    const ids = randomInts(512, 6, 0, 1000);
    ids[10] = ids[11] = ids[400]!;
    const dW = new Float32Array(1000 * cols);
    nat.embeddingBackward(dy, ids, 1000, cols, dW);
    const p = x.slice(), m = new Float32Array(x.length), v = new Float32Array(x.length);
    nat.adamw(p, dy, m, v, { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, step: 3 });
    return [dW, p, m, v];
  });
});

test('argument errors name the kernel and the problem', { skip }, () => {
  assert.throws(() => nat.unary('exp', new Float32Array(3), new Float32Array(4)), /unary: x has 3 elements, needs 4/);
  assert.throws(() => nat.softmax(new Float32Array(5), 2, 3, new Float32Array(6), false), /softmax: x has 5 elements, needs 6/);
  assert.throws(() => nat.layerNorm(new Float32Array(6), new Float32Array(2), null, 2, 3, 1e-5, new Float32Array(6),
    new Float32Array(2), new Float32Array(2)), /layerNorm: weight has 2 elements, needs 3/);
  assert.throws(() => nat.binary('add', new Float32Array(5), [1], new Float32Array(6), [1], new Float32Array(6), [6]),
    /binary: a has 5 elements/);
  assert.throws(() => nat.stridedCopy(new Float32Array(10), 5, [1, 2], [2, 3], new Float32Array(6)),
    /stridedCopy: x has 10 elements/);
  assert.throws(() => nat.stridedCopy(new Float32Array(10), 0, [1], [2, 3], new Float32Array(6)),
    /stridedCopy: strides has 1 entries/);
  assert.throws(() => nat.unary('exp', new Float64Array(4) as unknown as Float32Array, new Float32Array(4)),
    /unary: x must be a Float32Array/);
  assert.throws(() => nat.clamp(new Float32Array(3), 0, 1, new Float32Array(4)), /clamp: x has 3 elements, needs 4/);
  const greedy = { sample: false, temperature: 1, topK: 0, topP: 1, suppressed: [] };
  assert.throws(() => nat.chooseTokens(new Float32Array(5), 2, 3, greedy, null, new Int32Array(2), new Float32Array(2)),
    /chooseTokens: logits has 5 elements, needs 6/);
  assert.throws(() => nat.chooseTokens(new Float32Array(6), 2, 3, { ...greedy, sample: true }, [0.5], new Int32Array(2),
    new Float32Array(2)), /chooseTokens: sampling needs one uniform per row: got 1 for 2 rows/);
  assert.throws(() => nat.chooseTokens(new Float32Array(6), 2, 3, { ...greedy, sample: true, temperature: 0 }, [0, 0],
    new Int32Array(2), new Float32Array(2)), /chooseTokens: temperature must be positive and finite/);
  assert.throws(() => nat.extremumBackward('maximum', new Float32Array(6), [1], new Float32Array(6), [1],
    new Float32Array(5), null, null, [6]), /extremumBackward: dy has 5 elements, needs 6/);
});
