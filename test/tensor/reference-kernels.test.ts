/**
 * Known-answer and finite-difference tests of the reference backend, the definition that every
 * other backend's kernels are tested against.
 *
 * Gradient checks: the scalar loss is L = Σ out ⊙ w for fixed random w (so the upstream
 * gradient is w); the forward runs in float32 on the reference kernels, the loss and central
 * difference (L(x + h) − L(x − h)) / 2h are formed in float64 with h = 1e-2. Truncation error is
 * O(h²) and float32 rounding contributes about 1e-7·|L|/h, so gradients must agree within
 * 2e-3 + 1e-2·|analytic| (GRAD_TOLERANCE).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { NoToken, type AttentionArgs, type TokenChoice, type UnaryOp } from '../../src/tensor/backend.js';
import { Rng } from '../../src/nn/index.js';
import {
  addInto, adamw, attention, attentionBackward, binary, chooseTokens, clamp, clampBackward, crossEntropy, embedding,
  embeddingBackward, entropy, entropyBackward, erf, erfc, extremumBackward, gemm, layerNorm, layerNormBackward, reduce, referenceBackend, rmsNorm, rmsNormBackward,
  rope, scaleInPlace, softmax, softmaxBackward, stridedAccumulate, stridedCopy, sumSquares, tokenLogProbs,
  tokenLogProbsBackward, unary, unaryBackward, where,
} from '../../src/tensor/reference/index.js';

const H = 1e-2;
const GRAD_TOLERANCE = { abs: 2e-3, rel: 1e-2 };

const f32 = (values: number[]) => new Float32Array(values);
const i32 = (values: number[]) => new Int32Array(values);

/** Deterministic uniform values in [lo, hi) (mulberry32). */
function random(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  let state = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const u = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    out[i] = lo + (hi - lo) * u;
  }
  return out;
}

function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance: number, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    const ok = Math.abs(actual[i]! - expected[i]!) <= tolerance * Math.max(1, Math.abs(expected[i]!));
    assert.ok(ok, `${what}[${i}]: got ${actual[i]}, expected ${expected[i]} (tolerance ${tolerance})`);
  }
}

const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i]! * b[i]!;
  return sum;
};

/**
 * Compares analytic[i] with the central difference of loss() in input[i], perturbing input in
 * place (and restoring it).
 */
function checkGradient(what: string, input: Float32Array, loss: () => number, analytic: ArrayLike<number>): void {
  assert.equal(analytic.length, input.length, `${what}: gradient length`);
  for (let i = 0; i < input.length; i++) {
    const original = input[i]!;
    input[i] = original + H;
    const plus = loss();
    input[i] = original - H;
    const minus = loss();
    input[i] = original;
    // The step actually taken, after rounding to float32.
    const step = Math.fround(original + H) - Math.fround(original - H);
    const numeric = (plus - minus) / step;
    const limit = GRAD_TOLERANCE.abs + GRAD_TOLERANCE.rel * Math.abs(analytic[i]!);
    assert.ok(Math.abs(numeric - analytic[i]!) <= limit,
      `${what}[${i}]: analytic ${analytic[i]}, finite difference ${numeric}`);
  }
}

describe('erf', () => {
  test('matches known values', () => {
    const known: [number, number][] = [
      [0, 0], [0.5, 0.5204998778130465], [1, 0.8427007929497149], [2, 0.9953222650189527],
      [3.5, 0.9999992569016276], [1e-3, 0.0011283787909692363],
    ];
    for (const [x, value] of known) {
      assert.ok(Math.abs(erf(x) - value) <= 1e-12 * Math.max(1e-3, Math.abs(value)), `erf(${x}) = ${erf(x)}`);
      assert.equal(erf(-x), -erf(x));
    }
    assert.ok(Math.abs(erf(5) - 1) < 1e-11);
    assert.equal(erf(Infinity), 1);
    assert.equal(erf(-Infinity), -1);
  });

  test('erfc keeps relative precision in the tail', () => {
    // erfc(5) = 1.5374597944280349e-12; 1 − erf(5) would lose most of its digits.
    assert.ok(Math.abs(erfc(5) / 1.5374597944280349e-12 - 1) < 1e-12);
    assert.ok(Math.abs(erfc(-1) - (1 + 0.8427007929497149)) < 1e-15);
  });
});

describe('gemm', () => {
  // A = [[1,2,3],[4,5,6]] (2×3), B = [[7,8],[9,10],[11,12]] (3×2), A·B = [[58,64],[139,154]].
  const a = f32([1, 2, 3, 4, 5, 6]);
  const aT = f32([1, 4, 2, 5, 3, 6]);
  const b = f32([7, 8, 9, 10, 11, 12]);
  const bT = f32([7, 9, 11, 8, 10, 12]);
  const product = [58, 64, 139, 154];
  const shape = { batch: 1, m: 2, n: 2, k: 3, strideA: 0, strideB: 0, accumulate: false };

  test('all four transpose combinations', () => {
    for (const [transA, transB] of [[false, false], [true, false], [false, true], [true, true]] as const) {
      const out = new Float32Array(4);
      gemm(transA ? aT : a, transB ? bT : b, out, { ...shape, transA, transB });
      assert.deepEqual([...out], product, `transA=${transA} transB=${transB}`);
    }
  });

  test('batched with b broadcast (strideB = 0) and accumulate', () => {
    const twoAs = f32([...a, ...a.map((x) => 2 * x)]);
    const out = new Float32Array(8).fill(1);
    gemm(twoAs, b, out, { ...shape, batch: 2, strideA: 6, strideB: 0, transA: false, transB: false, accumulate: true });
    assert.deepEqual([...out], [...product, ...product.map((x) => 2 * x)].map((x) => x + 1));
  });

  test('k = 0 gives zeros, size-1 dims work', () => {
    const out = new Float32Array(4).fill(7);
    gemm(new Float32Array(0), new Float32Array(0), out, { ...shape, k: 0, transA: false, transB: false });
    assert.deepEqual([...out], [0, 0, 0, 0]);
    const outer = new Float32Array(3);
    gemm(f32([2]), f32([1, 2, 3]), outer, { ...shape, m: 1, n: 3, k: 1, transA: false, transB: false });
    assert.deepEqual([...outer], [2, 4, 6]);
  });
});

describe('unary', () => {
  test('known values, stable for large |x|', () => {
    const x = f32([-1000, -1, 0, 1, 1000]);
    const run = (op: UnaryOp, input = x) => {
      const out = new Float32Array(input.length);
      unary(op, input, out);
      return [...out];
    };
    assertClose(run('sigmoid'), [0, 1 / (1 + Math.E), 0.5, 1 / (1 + 1 / Math.E), 1], 1e-7, 'sigmoid');
    assertClose(run('tanh'), [-1, Math.tanh(-1), 0, Math.tanh(1), 1], 1e-7, 'tanh');
    assertClose(run('relu'), [0, 0, 0, 1, 1000], 0, 'relu');
    assertClose(run('neg'), [1000, 1, -0, -1, -1000], 0, 'neg');
    assertClose(run('silu'), [-0, -1 / (1 + Math.E), 0, 1 / (1 + 1 / Math.E), 1000], 1e-7, 'silu');
    // GELU(x) = x·Φ(x): Φ(1) = 0.841344746068543, Φ(-1) = 0.158655253931457.
    assertClose(run('gelu'), [-0, -0.158655253931457, 0, 0.841344746068543, 1000], 1e-7, 'gelu');
    assertClose(run('exp', f32([0, 1, -1])), [1, Math.E, 1 / Math.E], 1e-7, 'exp');
    assertClose(run('log', f32([1, Math.E, 0.5])), [0, 1, Math.log(0.5)], 1e-7, 'log');
    assertClose(run('sqrt', f32([0, 4, 2])), [0, 2, Math.SQRT2], 1e-7, 'sqrt');
  });

  test('every unaryBackward matches a central difference of unary', () => {
    const ops: UnaryOp[] = ['neg', 'exp', 'log', 'sqrt', 'tanh', 'sigmoid', 'relu', 'gelu', 'silu'];
    for (const op of ops) {
      // log and sqrt need positive inputs; no input is within H of relu's kink at 0.
      const x = op === 'log' || op === 'sqrt' ? f32([0.3, 0.8, 1.5, 3]) : f32([-2.5, -0.7, -0.1, 0.3, 1.1, 2.5]);
      const w = random(x.length, 1);
      const y = new Float32Array(x.length);
      unary(op, x, y);
      const dx = new Float32Array(x.length);
      unaryBackward(op, x, y, w, dx);
      checkGradient(`${op} dx`, x, () => {
        unary(op, x, y);
        return dot(y, w);
      }, dx);
    }
  });
});

describe('binary and where', () => {
  const a = f32([1, 2, 3, 4, 5, 6]); // [2, 3]

  test('broadcast a row (stride 0 over rows) and a column', () => {
    const row = f32([10, 20, 30]);
    const out = new Float32Array(6);
    binary('add', a, [3, 1], row, [0, 1], out, [2, 3]);
    assert.deepEqual([...out], [11, 22, 33, 14, 25, 36]);
    binary('sub', a, [3, 1], row, [0, 1], out, [2, 3]);
    assert.deepEqual([...out], [-9, -18, -27, -6, -15, -24]);
    const column = f32([2, 4]);
    binary('mul', a, [3, 1], column, [1, 0], out, [2, 3]);
    assert.deepEqual([...out], [2, 4, 6, 16, 20, 24]);
    binary('div', a, [3, 1], column, [1, 0], out, [2, 3]);
    assert.deepEqual([...out], [0.5, 1, 1.5, 1, 1.25, 1.5]);
  });

  test('broadcasts both operands into an outer product, and handles scalars and empty shapes', () => {
    const out = new Float32Array(6);
    binary('mul', f32([1, 2]), [1, 0], f32([1, 10, 100]), [0, 1], out, [2, 3]);
    assert.deepEqual([...out], [1, 10, 100, 2, 20, 200]);
    const scalar = new Float32Array(1);
    binary('add', f32([3]), [], f32([4]), [], scalar, []);
    assert.equal(scalar[0], 7);
    binary('add', a, [3, 1], a, [3, 1], new Float32Array(0), [0, 3]);
  });

  test('minimum and maximum pick the smaller/larger, b on a tie, and propagate NaN', () => {
    const out = new Float32Array(5);
    const x = f32([1, -2, 0, NaN, 4]);
    const y = f32([3, -5, -0, 1, NaN]);
    binary('minimum', x, [1], y, [1], out, [5]);
    assert.deepEqual([...out], [1, -5, -0, NaN, NaN]);
    binary('maximum', x, [1], y, [1], out, [5]);
    assert.deepEqual([...out], [3, -2, -0, NaN, NaN]);
  });

  test('extremumBackward gives the chosen side dy, the other 0, half each on a tie, both dy at NaN', () => {
    // a [2, 3] against b [3] broadcast over rows: ties at [0, 0] and [1, 1].
    const x = f32([1, 5, -1, 0, 2, NaN]);
    const y = f32([1, 2, 3]);
    const dy = f32([2, 4, 6, 8, 10, 12]);
    const da = new Float32Array(6);
    const db = new Float32Array(6);
    extremumBackward('maximum', x, [3, 1], y, [0, 1], dy, da, db, [2, 3]);
    assert.deepEqual([...da], [1, 4, 0, 0, 5, 12]);
    assert.deepEqual([...db], [1, 0, 6, 8, 5, 12]);
    extremumBackward('minimum', x, [3, 1], y, [0, 1], dy, da, null, [2, 3]);
    assert.deepEqual([...da], [1, 0, 6, 8, 5, 12]);
  });

  test('clamp limits to [min, max] with infinite bounds, NaN passing through and max winning when min > max', () => {
    const x = f32([-3, -1, 0, 1, 3, NaN]);
    const out = new Float32Array(6);
    clamp(x, -1, 1, out);
    assert.deepEqual([...out], [-1, -1, 0, 1, 1, NaN]);
    clamp(x, -Infinity, 0.5, out);
    assert.deepEqual([...out], [-3, -1, 0, 0.5, 0.5, NaN]);
    clamp(x, 2, 1, out);
    assert.deepEqual([...out], [1, 1, 1, 1, 1, NaN]);
    const dx = new Float32Array(6);
    clampBackward(x, -1, 1, f32([1, 2, 3, 4, 5, 6]), dx);
    assert.deepEqual([...dx], [0, 2, 3, 4, 0, 0], 'the bounds pass the gradient, NaN does not');
  });

  test('where picks a where cond is nonzero', () => {
    const out = new Float32Array(6);
    where(f32([1, 0, 2]), [0, 1], a, [3, 1], f32([-1]), [0, 0], out, [2, 3]);
    assert.deepEqual([...out], [1, -1, 3, 4, -1, 6]);
  });
});

describe('reduce', () => {
  // x viewed as [outer=2, size=3, inner=2].
  const x = f32([1, 5, 3, 2, 3, 7, /**/ -1, 0, -4, 0, -2, -9]);

  test('sum over the middle axis', () => {
    const out = new Float32Array(4);
    reduce('sum', x, 2, 3, 2, out);
    assert.deepEqual([...out], [7, 14, -7, -9]);
  });

  test('max with argmax of the first maximum', () => {
    const out = new Float32Array(4);
    const argmax = new Int32Array(4);
    reduce('max', x, 2, 3, 2, out, argmax);
    assert.deepEqual([...out], [3, 7, -1, 0]);
    // Column (0, 0) has 3 at indices 1 and 2; column (1, 1) has 0 at indices 0 and 1.
    assert.deepEqual([...argmax], [1, 2, 0, 0]);
  });

  test('size 1 copies; sum over size 0 is 0', () => {
    const out = new Float32Array(3);
    reduce('max', f32([4, 5, 6]), 3, 1, 1, out, new Int32Array(3));
    assert.deepEqual([...out], [4, 5, 6]);
    reduce('sum', new Float32Array(0), 3, 0, 1, out);
    assert.deepEqual([...out], [0, 0, 0]);
  });
});

describe('strided copy and accumulate', () => {
  test('stridedCopy transposes and slices', () => {
    const x = f32([1, 2, 3, 4, 5, 6]); // [2, 3]
    const transposed = new Float32Array(6);
    stridedCopy(x, 0, [1, 3], [3, 2], transposed);
    assert.deepEqual([...transposed], [1, 4, 2, 5, 3, 6]);

    const grid = f32(Array.from({ length: 20 }, (_, i) => i)); // [4, 5], grid[r, c] = 5r + c
    const slice = new Float32Array(6);
    stridedCopy(grid, 1 * 5 + 2, [5, 1], [2, 3], slice); // rows 1..2, columns 2..4
    assert.deepEqual([...slice], [7, 8, 9, 12, 13, 14]);

    const expanded = new Float32Array(6);
    stridedCopy(f32([1, 2, 3]), 0, [0, 1], [2, 3], expanded);
    assert.deepEqual([...expanded], [1, 2, 3, 1, 2, 3]);
  });

  test('stridedAccumulate is the transpose of stridedCopy', () => {
    const cases: { offset: number; strides: number[]; shape: number[]; size: number }[] = [
      { offset: 0, strides: [1, 3], shape: [3, 2], size: 6 }, // transpose
      { offset: 7, strides: [5, 1], shape: [2, 3], size: 20 }, // slice
      { offset: 1, strides: [0, 2], shape: [3, 2], size: 4 }, // broadcast: sums duplicates
    ];
    for (const { offset, strides, shape, size } of cases) {
      const n = shape.reduce((p, q) => p * q, 1);
      const x = random(size, 2);
      const dy = random(n, 3);
      const y = new Float32Array(n);
      stridedCopy(x, offset, strides, shape, y);
      const dx = new Float32Array(size).fill(0.5);
      stridedAccumulate(dy, dx, offset, strides, shape);
      // ⟨copy(x), dy⟩ = ⟨x, accumulate(dy)⟩, with dx starting at 0.5 everywhere.
      const accumulated = dx.map((value) => value - 0.5);
      assert.ok(Math.abs(dot(y, dy) - dot(x, accumulated)) < 1e-5, `strides ${strides}`);
    }
    const dx = new Float32Array(2);
    stridedAccumulate(f32([1, 2, 3, 4, 5, 6]), dx, 0, [1, 0], [2, 3]);
    assert.deepEqual([...dx], [6, 15]);
  });
});

describe('softmax', () => {
  test('known values; rows sum to 1; log-softmax is the log of softmax; stable for large x', () => {
    const x = f32([0, Math.log(2), 1000, 1001, -3, 7]);
    const probabilities = new Float32Array(6);
    softmax(x, 3, 2, probabilities, false);
    assertClose(probabilities.subarray(0, 2), [1 / 3, 2 / 3], 1e-7, 'softmax');
    assertClose(probabilities.subarray(2, 4), [1 / (1 + Math.E), Math.E / (1 + Math.E)], 1e-7, 'large');
    for (let r = 0; r < 3; r++) assert.ok(Math.abs(probabilities[2 * r]! + probabilities[2 * r + 1]! - 1) < 1e-6);
    const logProbabilities = new Float32Array(6);
    softmax(x, 3, 2, logProbabilities, true);
    assertClose(logProbabilities, probabilities.map(Math.log), 1e-6, 'log-softmax');
    const single = new Float32Array(2);
    softmax(f32([5, -5]), 2, 1, single, false);
    assert.deepEqual([...single], [1, 1]);
  });

  test('backward matches finite differences (softmax and log-softmax)', () => {
    for (const log of [false, true]) {
      const rows = 3;
      const cols = 4;
      const x = random(rows * cols, 4, -2, 2);
      const w = random(rows * cols, 5);
      const y = new Float32Array(rows * cols);
      softmax(x, rows, cols, y, log);
      const dx = new Float32Array(rows * cols);
      softmaxBackward(y, w, rows, cols, dx, log);
      checkGradient(`softmax log=${log}`, x, () => {
        softmax(x, rows, cols, y, log);
        return dot(y, w);
      }, dx);
    }
  });
});

describe('layer norm and rms norm', () => {
  test('layerNorm without weight gives mean 0 and variance 1 per row', () => {
    const rows = 3;
    const cols = 5;
    const x = random(rows * cols, 6, -3, 5);
    const out = new Float32Array(rows * cols);
    const mean = new Float32Array(rows);
    const rstd = new Float32Array(rows);
    layerNorm(x, null, null, rows, cols, 1e-12, out, mean, rstd);
    for (let r = 0; r < rows; r++) {
      const row = out.subarray(r * cols, (r + 1) * cols);
      const rowMean = row.reduce((s, v) => s + v, 0) / cols;
      const rowVariance = row.reduce((s, v) => s + (v - rowMean) ** 2, 0) / cols;
      assert.ok(Math.abs(rowMean) < 1e-6 && Math.abs(rowVariance - 1) < 1e-5, `row ${r}`);
      const xMean = x.subarray(r * cols, (r + 1) * cols).reduce((s, v) => s + v, 0) / cols;
      assert.ok(Math.abs(mean[r]! - xMean) < 1e-6);
    }
  });

  test('layerNorm with weight and bias: known answer', () => {
    // x = [1, 3]: mean 2, variance 1, x̂ = [-1, 1].
    const out = new Float32Array(2);
    const mean = new Float32Array(1);
    const rstd = new Float32Array(1);
    layerNorm(f32([1, 3]), f32([2, 3]), f32([10, 20]), 1, 2, 0, out, mean, rstd);
    assert.deepEqual([...out], [8, 23]);
    assert.deepEqual([mean[0], rstd[0]], [2, 1]);
  });

  test('rmsNorm: known answer', () => {
    // x = [3, 4]: mean(x²) = 12.5, rstd = 1/√12.5.
    const out = new Float32Array(2);
    const rstd = new Float32Array(1);
    rmsNorm(f32([3, 4]), f32([1, 2]), 1, 2, 0, out, rstd);
    assertClose(out, [3 / Math.sqrt(12.5), 8 / Math.sqrt(12.5)], 1e-7, 'rmsNorm');
    assertClose(rstd, [1 / Math.sqrt(12.5)], 1e-7, 'rstd');
  });

  test('layerNorm backward (dx, dWeight, dBias) matches finite differences', () => {
    const rows = 3;
    const cols = 4;
    const x = random(rows * cols, 7, -2, 2);
    const weight = random(cols, 8, 0.5, 1.5);
    const bias = random(cols, 9);
    const w = random(rows * cols, 10);
    const out = new Float32Array(rows * cols);
    const mean = new Float32Array(rows);
    const rstd = new Float32Array(rows);
    const loss = () => {
      layerNorm(x, weight, bias, rows, cols, 1e-5, out, mean, rstd);
      return dot(out, w);
    };
    loss();
    const dx = new Float32Array(rows * cols);
    // The parameter gradients accumulate onto what is already there.
    const dWeight = new Float32Array(cols).fill(1);
    const dBias = new Float32Array(cols).fill(1);
    layerNormBackward(x, weight, mean, rstd, w, rows, cols, dx, dWeight, dBias);
    checkGradient('layerNorm dx', x, loss, dx);
    checkGradient('layerNorm dWeight', weight, loss, dWeight.map((g) => g - 1));
    checkGradient('layerNorm dBias', bias, loss, dBias.map((g) => g - 1));
  });

  test('rmsNorm backward (dx, dWeight) matches finite differences', () => {
    const rows = 3;
    const cols = 4;
    const x = random(rows * cols, 11, -2, 2);
    const weight = random(cols, 12, 0.5, 1.5);
    const w = random(rows * cols, 13);
    const out = new Float32Array(rows * cols);
    const rstd = new Float32Array(rows);
    const loss = () => {
      rmsNorm(x, weight, rows, cols, 1e-6, out, rstd);
      return dot(out, w);
    };
    loss();
    const dx = new Float32Array(rows * cols);
    const dWeight = new Float32Array(cols);
    rmsNormBackward(x, weight, rstd, w, rows, cols, dx, dWeight);
    checkGradient('rmsNorm dx', x, loss, dx);
    checkGradient('rmsNorm dWeight', weight, loss, dWeight);
  });
});

describe('embedding', () => {
  const weight = f32([0, 1, 10, 11, 20, 21]); // vocab 3, dim 2

  test('gathers rows and scatter-adds duplicates', () => {
    const out = new Float32Array(8);
    embedding(weight, i32([2, 0, 2, 1]), 3, 2, out);
    assert.deepEqual([...out], [20, 21, 0, 1, 20, 21, 10, 11]);
    const dWeight = new Float32Array(6).fill(1);
    embeddingBackward(f32([1, 2, 3, 4, 5, 6, 7, 8]), i32([2, 0, 2, 1]), 3, 2, dWeight);
    assert.deepEqual([...dWeight], [4, 5, 8, 9, 7, 9]);
  });

  test('an id out of range throws, naming the id and the vocabulary size', () => {
    assert.throws(() => embedding(weight, i32([1, 3]), 3, 2, new Float32Array(4)), /id 3 .*vocabulary of 3/);
    assert.throws(() => embedding(weight, i32([-1]), 3, 2, new Float32Array(2)), /id -1 .*vocabulary of 3/);
  });
});

describe('rope', () => {
  test('rotates each (j, j + half) pair by position · base^(-2j/r)', () => {
    // headDim 4, rotaryDims 4, base 100: frequencies 1 and 100^(-1/2) = 0.1.
    const x = f32([1, 2, 3, 4]);
    const out = new Float32Array(4);
    rope(x, i32([2]), 1, 1, 1, 4, 4, 100, out, false);
    const [c0, s0, c1, s1] = [Math.cos(2), Math.sin(2), Math.cos(0.2), Math.sin(0.2)];
    assertClose(out, [1 * c0 - 3 * s0, 2 * c1 - 4 * s1, 3 * c0 + 1 * s0, 4 * c1 + 2 * s1], 1e-6, 'rope');
  });

  test('position 0 is the identity, inverse undoes it, dims ≥ rotaryDims pass through', () => {
    const [batch, heads, t, headDim] = [2, 2, 3, 6];
    const x = random(batch * heads * t * headDim, 14);
    const positions = i32([0, 5, 9, 3, 1, 200]);
    const rotated = new Float32Array(x.length);
    rope(x, positions, batch, heads, t, headDim, 4, 10000, rotated, false);
    const restored = new Float32Array(x.length);
    rope(rotated, positions, batch, heads, t, headDim, 4, 10000, restored, true);
    assertClose(restored, x, 1e-6, 'inverse');
    for (let row = 0; row < batch * heads * t; row++) {
      const b = Math.floor(row / (heads * t));
      const position = positions[b * t + (row % t)];
      for (let d = 0; d < headDim; d++) {
        const i = row * headDim + d;
        if (d >= 4 || position === 0) assert.equal(rotated[i], x[i], `row ${row} dim ${d}`);
      }
      // A rotation keeps each pair's length.
      for (let j = 0; j < 2; j++) {
        const before = Math.hypot(x[row * headDim + j]!, x[row * headDim + j + 2]!);
        const after = Math.hypot(rotated[row * headDim + j]!, rotated[row * headDim + j + 2]!);
        assert.ok(Math.abs(before - after) < 1e-6);
      }
    }
  });
});

describe('attention', () => {
  /** The textbook computation, written independently of the kernel. */
  function naiveAttention(q: Float32Array, k: Float32Array, v: Float32Array, keyMask: Float32Array | null,
    args: AttentionArgs): { out: number[]; probs: number[] } {
    const { batch, heads, kvHeads, tq, tk, headDim: d, scale, causal } = args;
    const out: number[] = [];
    const probs: number[] = [];
    for (let b = 0; b < batch; b++) {
      for (let h = 0; h < heads; h++) {
        const g = Math.floor(h / (heads / kvHeads));
        const qAt = (i: number, e: number) => q[((b * heads + h) * tq + i) * d + e]!;
        const kAt = (j: number, e: number) => k[((b * kvHeads + g) * tk + j) * d + e]!;
        const vAt = (j: number, e: number) => v[((b * kvHeads + g) * tk + j) * d + e]!;
        for (let i = 0; i < tq; i++) {
          const seen = (j: number) => (!keyMask || keyMask[b * tk + j] === 1) && (!causal || j <= tk - tq + i);
          const scores = Array.from({ length: tk }, (_, j) =>
            seen(j) ? scale * Array.from({ length: d }, (_, e) => qAt(i, e) * kAt(j, e)).reduce((s, p) => s + p, 0) : -Infinity);
          const anySeen = scores.some((s) => s > -Infinity);
          const exps = scores.map((s) => (anySeen ? Math.exp(s - Math.max(...scores)) : 0));
          const total = exps.reduce((s, e) => s + e, 0);
          const p = exps.map((e) => (anySeen ? e / total : 0));
          probs.push(...p);
          for (let e = 0; e < d; e++) out.push(p.reduce((s, pj, j) => s + pj * vAt(j, e), 0));
        }
      }
    }
    return { out, probs };
  }

  // GQA (4 query heads on 2 kv heads), queries are the last 3 of 5 keys, causal, and batch 1
  // is left-padded so that its first query sees no key at all.
  const args: AttentionArgs = { batch: 2, heads: 4, kvHeads: 2, tq: 3, tk: 5, headDim: 3, scale: 0.6, causal: true };
  const keyMask = f32([1, 1, 1, 1, 1, /**/ 0, 0, 0, 0, 1]);
  const qSize = args.batch * args.heads * args.tq * args.headDim;
  const kvSize = args.batch * args.kvHeads * args.tk * args.headDim;
  const probsSize = args.batch * args.heads * args.tq * args.tk;
  const q = random(qSize, 15, -1.5, 1.5);
  const k = random(kvSize, 16, -1.5, 1.5);
  const v = random(kvSize, 17, -1.5, 1.5);

  test('matches a naive computation with causal and padding masks and GQA', () => {
    for (const [mask, causal] of [[keyMask, true], [keyMask, false], [null, true], [null, false]] as const) {
      const caseArgs = { ...args, causal };
      const out = new Float32Array(qSize);
      const probs = new Float32Array(probsSize).fill(NaN);
      attention(q, k, v, mask, caseArgs, out, probs);
      const expected = naiveAttention(q, k, v, mask, caseArgs);
      assertClose(out, expected.out, 1e-6, `out causal=${causal} mask=${mask !== null}`);
      assertClose(probs, expected.probs, 1e-6, `probs causal=${causal} mask=${mask !== null}`);
    }
  });

  test('hidden keys get probability exactly 0; a row with no visible key is all zeros', () => {
    const out = new Float32Array(qSize);
    const probs = new Float32Array(probsSize);
    attention(q, k, v, keyMask, args, out, probs);
    // Batch 0, head 0, query 0 sits at key position 2: keys 3 and 4 are in its future.
    assert.deepEqual([...probs.subarray(3, 5)], [0, 0]);
    for (let h = 0; h < args.heads; h++) {
      // Batch 1, query 0 sits at key position 2, and keys 0..2 are padding.
      const row = (args.heads + h) * args.tq;
      assert.ok(probs.subarray(row * args.tk, (row + 1) * args.tk).every((p) => p === 0));
      assert.ok(out.subarray(row * args.headDim, (row + 1) * args.headDim).every((o) => o === 0));
    }
  });

  test('backward matches finite differences for q, k and v', () => {
    const w = random(qSize, 18);
    const out = new Float32Array(qSize);
    const probs = new Float32Array(probsSize);
    const loss = () => {
      attention(q, k, v, keyMask, args, out, probs);
      return dot(out, w);
    };
    loss();
    const dq = new Float32Array(qSize).fill(NaN);
    const dk = new Float32Array(kvSize).fill(NaN);
    const dv = new Float32Array(kvSize).fill(NaN);
    attentionBackward(q, k, v, probs, w, args, dq, dk, dv);
    checkGradient('attention dq', q, loss, dq);
    checkGradient('attention dk', k, loss, dk);
    checkGradient('attention dv', v, loss, dv);
  });
});

describe('crossEntropy', () => {
  test('uniform logits give log(classes), with the known gradient', () => {
    const [rows, classes] = [2, 5];
    const dLogits = new Float32Array(rows * classes);
    const result = crossEntropy(new Float32Array(rows * classes).fill(3), i32([1, 4]), rows, classes, -100, dLogits, 2);
    assert.equal(result.count, 2);
    assert.ok(Math.abs(result.loss - Math.log(5)) < 1e-12);
    // (softmax − onehot) · gradScale / count = (0.2 − onehot) · 2 / 2.
    assertClose(dLogits, [0.2, -0.8, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2, -0.8], 1e-7, 'dLogits');
  });

  test('ignored rows count for nothing and get zero gradient', () => {
    // Row 0: logits [0, ln 3], target 1, loss −ln(3/4). Row 1 is ignored.
    const dLogits = new Float32Array(4).fill(NaN);
    const result = crossEntropy(f32([0, Math.log(3), 50, -50]), i32([1, -100]), 2, 2, -100, dLogits, 1);
    assert.equal(result.count, 1);
    assert.ok(Math.abs(result.loss - Math.log(4 / 3)) < 1e-7);
    assertClose(dLogits, [0.25, -0.25, 0, 0], 1e-7, 'dLogits');
  });

  test('all rows ignored: NaN loss and zero gradient', () => {
    const dLogits = new Float32Array(4).fill(NaN);
    const result = crossEntropy(f32([1, 2, 3, 4]), i32([-100, -100]), 2, 2, -100, dLogits, 1);
    assert.equal(result.count, 0);
    assert.ok(Number.isNaN(result.loss));
    assert.deepEqual([...dLogits], [0, 0, 0, 0]);
  });

  test('gradient matches finite differences of the loss', () => {
    const [rows, classes] = [4, 3];
    const logits = random(rows * classes, 19, -3, 3);
    const targets = i32([2, 0, 7, 1]); // 7 is the ignore index
    const dLogits = new Float32Array(rows * classes);
    crossEntropy(logits, targets, rows, classes, 7, dLogits, 1);
    checkGradient('crossEntropy', logits, () => crossEntropy(logits, targets, rows, classes, 7, null, 1).loss, dLogits);
  });
});

describe('tokenLogProbs and entropy', () => {
  const ln = Math.log;

  test('known values: uniform rows, p = (1/4, 3/4), a masked class, logits of ±1000', () => {
    // Rows: uniform over 4; [0, ln 3, −∞, −∞] (p = 1/4, 3/4, 0, 0); [1000, 1000, -1000, 1000].
    const logits = f32([2, 2, 2, 2, 0, ln(3), -Infinity, -Infinity, 1000, 1000, -1000, 1000]);
    const out = new Float32Array(3);
    const logSumExp = new Float32Array(3);
    tokenLogProbs(logits, i32([3, 1, 2]), 3, 4, out, logSumExp);
    assertClose(out, [-ln(4), ln(3 / 4), -2000 - ln(3)], 1e-7, 'log-probabilities');
    assertClose(logSumExp, [2 + ln(4), ln(4), 1000 + ln(3)], 1e-7, 'logSumExp');
    tokenLogProbs(logits, i32([0, 2, 0]), 3, 4, out, logSumExp);
    assert.equal(out[1], -Infinity, 'a masked class has log-probability −∞');
    entropy(logits, 3, 4, out, logSumExp);
    assertClose(out, [ln(4), -(0.25 * ln(0.25) + 0.75 * ln(0.75)), ln(3)], 1e-7, 'entropy');
    assertClose(logSumExp, [2 + ln(4), ln(4), 1000 + ln(3)], 1e-7, 'entropy logSumExp');
  });

  test('one class: log-probability 0 and entropy 0, with zero gradients', () => {
    const out = new Float32Array(2);
    const logSumExp = new Float32Array(2);
    const dLogits = new Float32Array(2).fill(NaN);
    tokenLogProbs(f32([3, -7]), i32([0, 0]), 2, 1, out, logSumExp);
    assert.deepEqual([...out], [0, 0]);
    tokenLogProbsBackward(f32([3, -7]), i32([0, 0]), logSumExp, f32([1, 2]), 2, 1, dLogits);
    assert.deepEqual([...dLogits], [0, 0]);
    entropy(f32([3, -7]), 2, 1, out, logSumExp);
    assert.deepEqual([...out], [0, 0]);
    entropyBackward(f32([3, -7]), logSumExp, out, f32([1, 2]), 2, 1, dLogits);
    assert.deepEqual([...dLogits].map(Math.abs), [0, 0]);
  });

  test('backward passes match finite differences; a masked class gets zero gradient', () => {
    const [rows, classes] = [3, 5];
    const logits = random(rows * classes, 23, -3, 3);
    const ids = i32([0, 4, 2]);
    const w = random(rows, 24);
    const out = new Float32Array(rows);
    const logSumExp = new Float32Array(rows);
    const dLogits = new Float32Array(rows * classes);
    tokenLogProbs(logits, ids, rows, classes, out, logSumExp);
    tokenLogProbsBackward(logits, ids, logSumExp, w, rows, classes, dLogits);
    checkGradient('tokenLogProbs', logits, () => {
      tokenLogProbs(logits, ids, rows, classes, out, logSumExp);
      return dot(out, w);
    }, dLogits);
    entropy(logits, rows, classes, out, logSumExp);
    entropyBackward(logits, logSumExp, out, w, rows, classes, dLogits);
    checkGradient('entropy', logits, () => {
      entropy(logits, rows, classes, out, logSumExp);
      return dot(out, w);
    }, dLogits);
    logits[6] = -Infinity;
    entropy(logits, rows, classes, out, logSumExp);
    entropyBackward(logits, logSumExp, out, w, rows, classes, dLogits);
    assert.equal(dLogits[6], 0);
    assert.ok(dLogits.every(Number.isFinite));
  });

  test('an id out of range throws', () => {
    const run = (id: number) => tokenLogProbs(new Float32Array(6), i32([0, id]), 2, 3, new Float32Array(2), new Float32Array(2));
    assert.throws(() => run(3), /tokenLogProbs: id 3 of row 1 is outside \[0, 3\)/);
    assert.throws(() => run(-1), /tokenLogProbs: id -1 of row 1 is outside/);
  });
});

describe('chooseTokens', () => {
  const greedy: TokenChoice = { sample: false, temperature: 1, topK: 0, topP: 1, suppressed: [] };
  const sampling: TokenChoice = { ...greedy, sample: true };
  const choose = (logits: Float32Array, vocab: number, choice: TokenChoice, uniforms: number[] | null = null) => {
    const rows = logits.length / vocab;
    const ids = new Int32Array(rows);
    const logProbs = new Float32Array(rows);
    chooseTokens(logits, rows, vocab, choice, uniforms, ids, logProbs);
    return { ids: [...ids], logProbs: [...logProbs] };
  };

  test('known answers: the first largest, suppressed ids, no choice for NaN and all −∞ rows, +∞ rows', () => {
    // Rows: a tie for the largest; suppressed (id 9 is out of range); NaN; all −∞; +∞.
    const logits = f32([1, 3, 3, 0, 5, 1, 2, 4, 0, 1, NaN, 2, -Infinity, -Infinity, -Infinity, 0, Infinity, 1]);
    const result = choose(logits, 3, greedy);
    assert.deepEqual(result.ids, [1, 1, 1, NoToken.nanLogit, NoToken.allExcluded, 1]);
    const logSumExp = (row: number[]) => Math.log(row.reduce((sum, x) => sum + Math.exp(x), 0));
    const rawLogProbs = [3 - logSumExp([1, 3, 3]), 5 - logSumExp([0, 5, 1]), 4 - logSumExp([2, 4, 0])];
    assertClose(result.logProbs.slice(0, 3), rawLogProbs, 1e-6, 'log-probs of the raw rows');
    assert.ok(result.logProbs.slice(3).every(Number.isNaN), 'no log-probability without a choice, nor for +∞');
    const suppressed = choose(logits.subarray(0, 6), 3, { ...greedy, suppressed: [1, 9] });
    assert.deepEqual(suppressed.ids, [2, 2]);
    assertClose(suppressed.logProbs, [rawLogProbs[0]!, 1 - logSumExp([0, 5, 1])], 1e-6, 'suppressed ids keep their share of the raw distribution');
    assert.deepEqual(choose(logits.subarray(15), 3, sampling, [0.5]).ids, [NoToken.allExcluded], 'sampling has no weight for +∞');
    assert.deepEqual(choose(f32([4]), 1, { ...sampling, suppressed: [0] }, [0.5]).ids, [NoToken.allExcluded]);
    assert.deepEqual(choose(f32([4]), 1, { ...sampling, topK: 3, topP: 0.1 }, [0.99]), { ids: [0], logProbs: [0] });
  });

  test('draws what Rng.categorical draws from the same uniform, after suppression, temperature, top-k and top-p', () => {
    const vocab = 40;
    const rng = new Rng(3);
    const settings: Partial<TokenChoice>[] = [
      {}, { temperature: 0.3 }, { temperature: 7 }, { topK: 1 }, { topK: 4 }, { topK: 39 }, { topP: 1e-9 }, { topP: 0.3 },
      { topP: 0.95, temperature: 2 }, { topK: 6, topP: 0.5, temperature: 0.7 }, { suppressed: [0, 5, 77], topP: 0.8 },
    ];
    for (const [s, setting] of settings.entries()) {
      const choice = { ...sampling, ...setting };
      for (let trial = 0; trial < 40; trial++) {
        // Ties (logits on a grid of halves) and −∞ entries.
        const logits = Float32Array.from({ length: vocab }, (_, i) => (i % 9 === 4 ? -Infinity : Math.round(rng.normal() * 4) / 2));
        const stream = new Rng(`${s} ${trial}`);
        const spec = sampleBySpec(logits, choice, new Rng(`${s} ${trial}`));
        assert.equal(choose(logits, vocab, choice, [stream.uniform()]).ids[0], spec, `${JSON.stringify(setting)} trial ${trial}`);
      }
    }
  });
});

/**
 * chooseTokens' sampling spelled out with full sorts, the draw left to Rng.categorical: what
 * generation did on the host before the kernel existed.
 */
function sampleBySpec(logits: Float32Array, choice: TokenChoice, rng: Rng): number {
  const row = logits.slice();
  for (const id of choice.suppressed) if (id < row.length) row[id] = -Infinity;
  const max = Math.max(...row);
  const weight = (id: number) => Math.exp((row[id]! - max) / choice.temperature);
  let candidates = [...row.keys()];
  if (choice.topK > 0 && choice.topK < row.length) {
    const kth = row.slice().sort()[row.length - choice.topK]!;
    candidates = candidates.filter((id) => row[id]! >= kth);
  }
  if (choice.topP < 1) {
    const total = candidates.reduce((sum, id) => sum + weight(id), 0);
    const sorted = [...candidates].sort((a, b) => (row[a]! > row[b]! ? -1 : row[a]! < row[b]! ? 1 : a - b));
    let before = 0;
    let kept = sorted.length;
    for (let i = 0; i < sorted.length && kept === sorted.length; i++) {
      if (i > 0 && before >= choice.topP * total) kept = i;
      before += weight(sorted[i]!);
    }
    candidates = sorted.slice(0, kept);
  }
  return candidates[rng.categorical(candidates.map(weight))]!;
}

describe('adamw', () => {
  test('two steps against hand-computed values', () => {
    // lr 0.1, betas (0.9, 0.999), eps 1e-8, weight decay 0.01. Step 1 with g = 0.5:
    // p = 1·(1 − 0.001) = 0.999; m = 0.05, v = 0.00025; m̂ = 0.5, √v̂ = 0.5; p = 0.999 − 0.1.
    // g = -2: p = 0.999 + 0.1. g = 0: m = v = 0, only the decay applies.
    const param = f32([1, 1, 1]);
    const m = new Float32Array(3);
    const v = new Float32Array(3);
    const hyper = { lr: 0.1, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01 };
    adamw(param, f32([0.5, -2, 0]), m, v, { ...hyper, step: 1 });
    assertClose(param, [0.899, 1.099, 0.999], 1e-7, 'param');
    assertClose(m, [0.05, -0.2, 0], 1e-7, 'm');
    assertClose(v, [0.00025, 0.004, 0], 1e-7, 'v');
    // Step 2 with g = 0.5 again: m = 0.095, v = 0.00049975, m̂ = 0.095/0.19 = 0.5,
    // v̂ = 0.00049975/0.001999 = 0.25, so p = 0.899·0.999 − 0.1 = 0.798101.
    adamw(param, f32([0.5, 0, 0]), m, v, { ...hyper, step: 2 });
    assertClose(param.subarray(0, 1), [0.798101], 1e-6, 'param after step 2');
    assertClose(m.subarray(0, 1), [0.095], 1e-7, 'm after step 2');
    assertClose(v.subarray(0, 1), [0.00049975], 1e-7, 'v after step 2');
  });
});

describe('vector helpers', () => {
  test('sumSquares, scaleInPlace, addInto', () => {
    assert.equal(sumSquares(f32([1, -2, 3])), 14);
    assert.equal(sumSquares(new Float32Array(0)), 0);
    const x = f32([1, -2, 3]);
    scaleInPlace(x, 0.5);
    assert.deepEqual([...x], [0.5, -1, 1.5]);
    addInto(x, f32([1, 1, 1]));
    assert.deepEqual([...x], [1.5, 0, 2.5]);
  });
});

test('referenceBackend has every kernel and is a plain object other backends can spread', () => {
  assert.equal(referenceBackend.name, 'reference');
  const spread = { ...referenceBackend };
  for (const kernel of ['gemm', 'unary', 'unaryBackward', 'clamp', 'clampBackward', 'binary', 'extremumBackward',
    'where', 'reduce', 'stridedCopy', 'stridedAccumulate', 'softmax', 'softmaxBackward', 'layerNorm',
    'layerNormBackward', 'rmsNorm', 'rmsNormBackward', 'embedding', 'embeddingBackward', 'rope', 'attention',
    'attentionBackward', 'crossEntropy', 'tokenLogProbs', 'tokenLogProbsBackward', 'entropy', 'entropyBackward',
    'adamw', 'sumSquares', 'scaleInPlace', 'addInto'] as const) {
    assert.equal(typeof spread[kernel], 'function', kernel);
  }
});
