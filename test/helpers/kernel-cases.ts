/**
 * Every kernel on small awkward shapes — size 1, odd sizes, sizes that are not multiples of the
 * vector width (16 floats, 12-column GEMM tiles), both transposes, broadcasts, long rows, special
 * values — recorded with the reference backend's results for native/test/kernel_check.cc. Small,
 * because the program runs under qemu-user; test/tensor/native-*.test.ts cover larger shapes
 * natively. Tolerances are those of test/tensor/native-kernels.test.ts.
 */
import type { UnaryOp } from '../../src/tensor/backend.js';
import { broadcastStrides, contiguousStrides } from '../../src/tensor/shape.js';
import { attentionCases, attentionInputs } from './attention-cases.js';
import { KernelCaseFile, type Tolerance } from './kernel-case-file.js';
import { randomFloats as random, randomInts } from './random-buffers.js';
import { tokenChoiceCases } from './token-choice-cases.js';

const exact: Tolerance = { rtol: 0, atol: 0 };
const numel = (shape: number[]): number => shape.reduce((a, b) => a * b, 1);
const zeros = (n: number): Float32Array => new Float32Array(n);

export function kernelCases(): KernelCaseFile {
  const file = new KernelCaseFile();
  gemmCalls(file);
  elementwiseCalls(file);
  rowCalls(file);
  attentionCalls(file);
  lossAndOptimizerCalls(file);
  tokenChoiceCalls(file);
  return file;
}

function gemmCalls(file: KernelCaseFile): void {
  // k of 300 and 600 spans two and three k blocks; 96·80·70 is large enough to run in parallel.
  const shapes = [[1, 1, 1], [1, 17, 5], [7, 13, 9], [8, 12, 16], [9, 25, 300], [33, 1, 40], [3, 50, 600], [96, 80, 70]] as const;
  let seed = 1;
  for (const [m, n, k] of shapes) {
    for (const transA of [false, true]) {
      for (const transB of [false, true]) {
        const accumulate = (m + n + Number(transA)) % 2 === 1;
        const args = { batch: 1, m, n, k, transA, transB, strideA: 0, strideB: 0, accumulate };
        file.add(`gemm ${m}x${n}x${k} ta=${transA} tb=${transB} acc=${accumulate}`, { rtol: 1e-5, atol: 1e-5 }, 'gemm',
          random(m * k, seed++), random(k * n, seed++), random(m * n, seed++), args);
      }
    }
  }
  // Batched: a broadcast B (one tall product) and strided A with k = 0.
  file.add('gemm batch 3, shared B', { rtol: 1e-5, atol: 1e-5 }, 'gemm', random(3 * 5 * 19, 90), random(19 * 14, 91),
    zeros(3 * 5 * 14), { batch: 3, m: 5, n: 14, k: 19, transA: false, transB: true, strideA: 95, strideB: 0, accumulate: false });
  file.add('gemm batch 2, strided A', { rtol: 1e-5, atol: 1e-5 }, 'gemm', random(2 * 40 + 7, 92), random(2 * 4 * 6, 93),
    zeros(2 * 10 * 6), { batch: 2, m: 10, n: 6, k: 4, transA: true, transB: false, strideA: 47, strideB: 24, accumulate: false });
  file.add('gemm k=0', exact, 'gemm', zeros(0), zeros(0), random(12, 94),
    { batch: 1, m: 3, n: 4, k: 0, transA: false, transB: false, strideA: 0, strideB: 0, accumulate: false });
}

const unaryTolerance: Record<UnaryOp, number> = {
  neg: 0, exp: 3e-7, log: 2e-7, sqrt: 1e-7, tanh: 2e-7, sigmoid: 5e-7, relu: 0, gelu: 2e-6, silu: 5e-7,
};
const unaryRange: Record<UnaryOp, [number, number]> = {
  neg: [-3, 3], exp: [-20, 20], log: [1e-3, 50], sqrt: [0, 50], tanh: [-6, 6], sigmoid: [-30, 30], relu: [-3, 3],
  gelu: [-12, 12], silu: [-30, 30],
};

function elementwiseCalls(file: KernelCaseFile): void {
  const special = Float32Array.of(100, -120, Infinity, -Infinity, NaN, 88.7, -87.3, 0, -0, -8, 8, -5.5, -0.001);
  for (const op of Object.keys(unaryTolerance) as UnaryOp[]) {
    const [lo, hi] = unaryRange[op];
    const tol = { rtol: unaryTolerance[op], atol: 1e-7 };
    for (const n of [1, 15, 17, 70]) file.add(`unary ${op} n=${n}`, tol, 'unary', op, random(n, n, lo, hi), zeros(n));
    if (['exp', 'sigmoid', 'gelu', 'relu', 'neg'].includes(op)) {
      file.add(`unary ${op} special values`, { rtol: 2e-6, atol: 0 }, 'unary', op, special, zeros(special.length));
    }
    const x = random(37, 5, lo, hi);
    const y = zeros(37);
    file.add(`unary ${op} for backward`, tol, 'unary', op, x, y);
    file.add(`unaryBackward ${op} n=37`, { rtol: 2e-6, atol: 1e-6 }, 'unaryBackward', op, x, y, random(37, 6, -2, 2), zeros(37));
  }
  const inPlace = random(33, 7, -4, 4);
  file.add('unary gelu in place', { rtol: 2e-6, atol: 1e-7 }, 'unary', 'gelu', inPlace, inPlace);

  const shapes: Array<[number[], number[], number[]]> = [
    [[3, 5, 7], [3, 5, 7], [1, 5, 1]], [[3, 5, 7], [3, 1, 7], [5, 1]], [[17, 33], [17, 33], [33]], [[9, 13], [], [9, 13]],
    [[1, 1, 1], [1], [1, 1, 1]], [[4, 0, 3], [4, 0, 3], [3]],
  ];
  for (const [si, [outShape, aShape, bShape]] of shapes.entries()) {
    const a = random(numel(aShape), si + 1, -2, 2);
    const b = random(numel(bShape), si + 50, 0.5, 2);
    if (a.length > 4) { a[1] = NaN; a[3] = b[3 % b.length]!; }  // NaN and a tie for minimum/maximum
    const aStrides = broadcastStrides(aShape, outShape), bStrides = broadcastStrides(bShape, outShape);
    const n = numel(outShape);
    for (const op of ['add', 'sub', 'mul', 'div', 'minimum', 'maximum'] as const) {
      file.add(`binary ${op} ${JSON.stringify(outShape)}`, exact, 'binary', op, a, aStrides, b, bStrides, zeros(n), outShape);
    }
    for (const op of ['minimum', 'maximum'] as const) {
      file.add(`extremumBackward ${op} ${JSON.stringify(outShape)}`, exact, 'extremumBackward', op, a, aStrides, b, bStrides,
        random(n, si + 9), zeros(n), si % 2 === 0 ? zeros(n) : null, outShape);
    }
    file.add(`where ${JSON.stringify(outShape)}`, exact, 'where', Float32Array.from(random(numel(bShape), si, 0, 2), Math.floor),
      bStrides, a, aStrides, random(n, si + 3), contiguousStrides(outShape), zeros(n), outShape);
  }
  const clampInput = Float32Array.of(-3, -1, -0.5, 0, 0.5, 1, 3, NaN, Infinity, -Infinity, ...random(23, 8, -2, 2));
  for (const [lo, hi] of [[-1, 1], [-Infinity, 0.5], [0, Infinity], [2, -2]] as const) {
    const n = clampInput.length;
    file.add(`clamp [${lo}, ${hi}]`, exact, 'clamp', clampInput, lo, hi, zeros(n));
    file.add(`clampBackward [${lo}, ${hi}]`, exact, 'clampBackward', clampInput, lo, hi, random(n, 9), zeros(n));
  }
  for (const [outer, size, inner] of [[1, 1, 1], [5, 17, 1], [4, 33, 3], [2, 1, 19], [1, 300, 2]] as const) {
    const x = random(outer * size * inner, outer + size + inner, -3, 3);
    for (let i = 0; i < x.length; i += 7) x[i] = 2.5;
    file.add(`reduce sum [${outer},${size},${inner}]`, { rtol: 1e-7, atol: 1e-9 }, 'reduce', 'sum', x, outer, size, inner,
      zeros(outer * inner));
    file.add(`reduce max [${outer},${size},${inner}]`, exact, 'reduce', 'max', x, outer, size, inner, zeros(outer * inner),
      new Int32Array(outer * inner));
    file.add(`maxBackward [${outer},${size},${inner}]`, exact, 'maxBackward', random(outer * inner, 3), randomInts(outer * inner, 4, 0, size),
      outer, size, inner, random(outer * size * inner, 5));
  }
  file.add('idsToFloats', exact, 'idsToFloats', Int32Array.of(0, 1, -1, 50303, 2 ** 24, 2 ** 31 - 1, -(2 ** 31)), zeros(7));
  for (const [n, p] of [[1, 0.5], [17, 0.1], [70, 0.9]] as const) {
    file.add(`dropoutMask n=${n} p=${p}`, exact, 'dropoutMask', [0xdeadbeef, n], p, 1 / (1 - p), random(n, n));
  }
  // stridedCopy / stridedAccumulate: a permute of [3, 5, 7], a slice with an offset, a broadcast.
  const x = random(105, 11);
  const views: Array<[number, number[], number[]]> = [[0, [1, 7, 35], [7, 5, 3]], [8, [35, 1], [3, 5]], [2, [0, 7], [4, 5]]];
  for (const [offset, strides, shape] of views) {
    file.add(`stridedCopy ${JSON.stringify(shape)}`, exact, 'stridedCopy', x, offset, strides, shape, zeros(numel(shape)));
    file.add(`stridedAccumulate ${JSON.stringify(shape)}`, exact, 'stridedAccumulate', random(numel(shape), 12), random(105, 13),
      offset, strides, shape);
  }
  for (const n of [1, 17, 70]) {
    file.add(`addInto n=${n}`, exact, 'addInto', random(n, 14), random(n, 15));
    file.add(`scaleInPlace n=${n}`, exact, 'scaleInPlace', random(n, 16), 0.1);
    file.add(`sumSquares n=${n}`, { rtol: 1e-12, atol: 0 }, 'sumSquares', [random(n, 17)]);
  }
}

function rowCalls(file: KernelCaseFile): void {
  for (const [rows, cols] of [[1, 1], [7, 33], [2, 16], [5, 17], [2, 1000]] as const) {
    const x = random(rows * cols, rows * cols, -8, 8);
    if (cols > 4) { x[2] = -Infinity; x[cols + 1] = -1e30; }
    for (const log of [false, true]) {
      file.add(`softmax log=${log} [${rows},${cols}]`, { rtol: 1e-6, atol: 1e-7 }, 'softmax', x, rows, cols, zeros(rows * cols), log);
      const y = zeros(rows * cols);
      file.add(`softmax log=${log} [${rows},${cols}] finite`, { rtol: 1e-6, atol: 1e-7 }, 'softmax', random(rows * cols, 3, -8, 8),
        rows, cols, y, log);
      file.add(`softmaxBackward log=${log} [${rows},${cols}]`, { rtol: 1e-6, atol: 1e-6 }, 'softmaxBackward', y,
        random(rows * cols, cols + 3), rows, cols, zeros(rows * cols), log);
    }
  }
  const norm: Tolerance = { rtol: 1e-5, atol: 1e-5 };
  for (const [rows, cols] of [[1, 1], [5, 300], [7, 37], [3, 16], [40, 9]] as const) {
    const x = random(rows * cols, rows + cols, -2, 3);
    const dy = random(rows * cols, rows * cols + 3);
    for (const affine of [true, false]) {
      const w = affine ? random(cols, cols + 1, 0.5, 1.5) : null;
      const b = affine ? random(cols, cols + 2, -0.5, 0.5) : null;
      const tag = `[${rows},${cols}] affine=${affine}`;
      const mean = zeros(rows), rstd = zeros(rows);
      file.add(`layerNorm ${tag}`, norm, 'layerNorm', x, w, b, rows, cols, 1e-5, zeros(rows * cols), mean, rstd);
      file.add(`layerNormBackward ${tag}`, norm, 'layerNormBackward', x, w, mean, rstd, dy, rows, cols, zeros(rows * cols),
        affine ? random(cols, 4) : null, affine ? random(cols, 5) : null);
      const rmsRstd = zeros(rows);
      file.add(`rmsNorm ${tag}`, norm, 'rmsNorm', x, w, rows, cols, 1e-6, zeros(rows * cols), rmsRstd);
      file.add(`rmsNormBackward ${tag}`, norm, 'rmsNormBackward', x, w, rmsRstd, dy, rows, cols, zeros(rows * cols),
        affine ? random(cols, 6) : null);
    }
  }
  const ids = Int32Array.of(3, 0, 3, 6, 1, 3);
  file.add('embedding', exact, 'embedding', random(7 * 19, 20), ids, 7, 19, zeros(6 * 19));
  file.add('embeddingBackward duplicate ids', exact, 'embeddingBackward', random(6 * 19, 21), ids, 7, 19, random(7 * 19, 22));
  for (const [batch, heads, t, headDim, rotaryDims] of [[1, 1, 1, 2, 2], [2, 3, 5, 16, 8], [1, 2, 7, 17, 10]] as const) {
    const n = batch * heads * t * headDim;
    const positions = Int32Array.from({ length: batch * t }, (_, i) => (i % t) + 1000 * (i % 2));
    for (const inverse of [false, true]) {
      file.add(`rope [${batch},${heads},${t},${headDim}] rd=${rotaryDims} inverse=${inverse}`, { rtol: 1e-6, atol: 1e-6 }, 'rope',
        random(n, n + rotaryDims), positions, batch, heads, t, headDim, rotaryDims, 10000, zeros(n), inverse);
    }
    const x = random(n, 23);
    file.add(`rope in place [${batch},${heads},${t},${headDim}]`, { rtol: 1e-6, atol: 1e-6 }, 'rope', x, positions, batch, heads,
      t, headDim, rotaryDims, 10000, x, false);
  }
}

function attentionCalls(file: KernelCaseFile): void {
  const tol: Tolerance = { rtol: 1e-5, atol: 1e-5 };
  for (const [ci, c] of attentionCases.entries()) {
    const { q, k, v, dOut, mask } = attentionInputs(c, ci * 10 + 1);
    const nOut = c.batch * c.heads * c.tq * c.headDim, nKv = c.batch * c.kvHeads * c.tk * c.headDim;
    const probs = zeros(c.batch * c.heads * c.tq * c.tk);
    const tag = JSON.stringify(c);
    file.add(`attention ${tag}`, tol, 'attention', q, k, v, mask, c, zeros(nOut), probs);
    file.add(`attentionBackward ${tag}`, tol, 'attentionBackward', q, k, v, probs, dOut, c,
      zeros(nOut).fill(7), zeros(nKv).fill(7), zeros(nKv).fill(7));
  }
}

function lossAndOptimizerCalls(file: KernelCaseFile): void {
  for (const [rows, classes, spread] of [[1, 1, 1], [9, 7, 3], [3, 1000, 8], [6, 17, 80]] as const) {
    const logits = random(rows * classes, rows + classes, -spread, spread);
    if (classes > 4) logits[3] = -Infinity;  // a masked class
    const targets = randomInts(rows, classes, 0, classes);
    if (rows > 2) targets[1] = -100;
    const ids = randomInts(rows, classes + 1, 0, classes);
    if (classes > 4) ids[0] = 5;
    const tag = `[${rows},${classes}]`;
    const forward: Tolerance = { rtol: 1e-6, atol: 1e-6 }, backward: Tolerance = { rtol: 1e-5, atol: 1e-6 };
    const finite = logits.map((v) => (Number.isFinite(v) ? v : -50));
    file.add(`crossEntropy ${tag}`, backward, 'crossEntropy', finite, targets, rows, classes, -100, zeros(rows * classes), 0.5, zeros(1));
    file.add(`crossEntropy ${tag} loss only`, forward, 'crossEntropy', finite, targets, rows, classes, -100, null, 1, zeros(1));
    const out = zeros(rows), lse = zeros(rows), h = zeros(rows), dy = random(rows, 24);
    file.add(`tokenLogProbs ${tag}`, forward, 'tokenLogProbs', logits, ids, rows, classes, out, lse);
    file.add(`tokenLogProbsBackward ${tag}`, backward, 'tokenLogProbsBackward', logits, ids, lse, dy, rows, classes,
      zeros(rows * classes));
    file.add(`entropy ${tag}`, forward, 'entropy', logits, rows, classes, h, lse);
    file.add(`entropyBackward ${tag}`, backward, 'entropyBackward', logits, lse, h, dy, rows, classes, zeros(rows * classes));
  }
  for (const n of [1, 17, 70]) {
    const param = random(n, 30), m = zeros(n), v = zeros(n);
    for (const step of [1, 2, 3]) {
      file.add(`adamw n=${n} step ${step}`, { rtol: 1e-6, atol: 1e-7 }, 'adamw', param, random(n, 31 + step), m, v,
        { lr: 1e-2, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: step === 2 ? 0 : 0.1, step });
    }
  }
}

function tokenChoiceCalls(file: KernelCaseFile): void {
  // Ids must match exactly; log-probabilities are each backend's log-softmax (forward tolerance).
  for (const c of tokenChoiceCases([1, 17, 300])) {
    file.add(`chooseTokens ${c.label}`, { rtol: 1e-6, atol: 1e-6 }, 'chooseTokens', c.logits, c.rows, c.vocab, c.choice,
      c.uniforms, new Int32Array(c.rows).fill(7), zeros(c.rows).fill(7));
  }
}
