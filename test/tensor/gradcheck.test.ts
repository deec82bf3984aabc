import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as T from '../../src/tensor/index.js';
import { Tensor, withBackend } from '../../src/tensor/index.js';
import { referenceBackend } from '../../src/tensor/reference/index.js';
import { gradcheck, param } from '../helpers/gradcheck.js';

const ids = (list: number[], shape?: number[]) => T.idTensor(list, shape);
const leaf = (list: number[], shape: number[]) => T.tensor(list, shape, true);
/** Operands for minimum/maximum: ties at [0, 0], [0, 2] and [1, 2] (b broadcasts over rows), other pairs ≥ 0.1 apart. */
const withTies = () => [leaf([0.3, -1.2, 0.5, 2, -0.4, 0.9, 0.5, -2], [2, 4]), leaf([0.3, 0.1, 0.5, -1], [4])];
const positive = (shape: number[], seed: number) => {
  const t = param(shape, seed);
  t.data.forEach((v, i) => (t.data[i] = Math.abs(v) + 0.5));
  return t;
};
/** A fresh uniform source per call, so dropout draws the same mask on every evaluation. */
const repeatableSource = () => {
  let i = 0;
  return { uniform: () => (i++ * 0.618034) % 1 };
};

/**
 * One finite-difference case per op; the test below insists every op of OPS has one. The inputs
 * live on the reference backend, so the ops run there.
 */
const cases: Record<T.OpName, Array<[string, (...xs: Tensor[]) => Tensor, Tensor[]]>> = withBackend(referenceBackend, () => ({
  matmul: [
    ['plain', (a, b) => T.matmul(a, b), [param([3, 4], 1), param([4, 2], 2)]],
    ['transA transB', (a, b) => T.matmul(a, b, { transA: true, transB: true }), [param([4, 3], 3), param([2, 4], 4)]],
    ['batched, shared b (Linear)', (a, b) => T.matmul(a, b, { transB: true }), [param([2, 3, 4], 5), param([5, 4], 6)]],
    ['batched both, transA', (a, b) => T.matmul(a, b, { transA: true }), [param([2, 4, 3], 7), param([2, 4, 2], 8)]],
    ['shared a, batched b, transB', (a, b) => T.matmul(a, b, { transB: true }), [param([3, 4], 9), param([2, 5, 4], 10)]],
    ['batched a transposed, shared b', (a, b) => T.matmul(a, b, { transA: true }), [param([2, 4, 3], 11), param([4, 2], 12)]],
  ],
  add: [['broadcast rows', (a, b) => T.add(a, b), [param([3, 4], 1), param([4], 2)]], ['scalar', (a) => T.add(a, 2), [param([3], 3)]]],
  sub: [['broadcast middle', (a, b) => T.sub(a, b), [param([2, 3, 4], 1), param([2, 1, 4], 2)]]],
  mul: [['broadcast column', (a, b) => T.mul(a, b), [param([3, 4], 1), param([3, 1], 2)]]],
  div: [['broadcast', (a, b) => T.div(a, b), [param([3, 4], 1), positive([4], 2)]]],
  // A central difference at a tie is exactly torch's half-and-half share, so ties belong here.
  minimum: [
    ['broadcast rows, ties', (a, b) => T.minimum(a, b), withTies()],
    ['broadcast column', (a, b) => T.minimum(a, b), [leaf([1, -1, 0.5, 3, 2, -3], [2, 3]), leaf([0.2, 2.5], [2, 1])]],
  ],
  maximum: [
    ['broadcast rows, ties', (a, b) => T.maximum(a, b), withTies()],
    ['broadcast column', (a, b) => T.maximum(a, b), [leaf([1, -1, 0.5, 3, 2, -3], [2, 3]), leaf([0.2, 2.5], [2, 1])]],
  ],
  neg: [['', (a) => T.neg(a), [param([5], 1)]]],
  exp: [['', (a) => T.exp(a), [param([5], 1)]]],
  log: [['', (a) => T.log(a), [positive([5], 1)]]],
  sqrt: [['', (a) => T.sqrt(a), [positive([5], 1)]]],
  tanh: [['', (a) => T.tanh(a), [param([5], 1, 2)]]],
  sigmoid: [['', (a) => T.sigmoid(a), [param([5], 1, 3)]]],
  relu: [['', (a) => T.relu(a), [param([7], 3)]]],
  gelu: [['', (a) => T.gelu(a), [param([7], 1, 3)]]],
  silu: [['', (a) => T.silu(a), [param([7], 1, 3)]]],
  // No value lies within the step (3e-3) of a bound; the bounds themselves are checked by hand below.
  clamp: [
    ['both bounds', (a) => T.clamp(a, -0.4, 0.3), [param([3, 5], 1)]],
    ['lower only', (a) => T.clamp(a, -0.3, Infinity), [param([7], 2)]],
    ['upper only', (a) => T.clamp(a, -Infinity, 0.5), [param([7], 3)]],
  ],
  sum: [['all', (a) => T.sum(a), [param([2, 3], 1)]], ['axes 0,2 keepDims', (a) => T.sum(a, [0, 2], true), [param([2, 3, 4], 2)]]],
  mean: [['axis -1', (a) => T.mean(a, -1), [param([3, 4], 1)]]],
  max: [['axis 1', (a) => T.max(a, 1), [param([2, 5, 3], 1)]]],
  softmax: [['last', (a) => T.softmax(a), [param([3, 5], 1, 2)]], ['axis 0', (a) => T.softmax(a, 0), [param([3, 4], 2, 2)]]],
  logSoftmax: [['last', (a) => T.logSoftmax(a), [param([3, 5], 1, 2)]]],
  layerNorm: [['affine', (x, w, b) => T.layerNorm(x, w, b, 1e-5), [param([3, 6], 1), param([6], 2), param([6], 3)]]],
  rmsNorm: [['affine', (x, w) => T.rmsNorm(x, w, 1e-6), [param([3, 6], 1), param([6], 2)]]],
  embedding: [['duplicate ids', (w) => T.embedding(w, ids([1, 3, 1, 0], [2, 2])), [param([4, 3], 1)]]],
  reshape: [['', (a) => T.reshape(a, [3, -1]), [param([2, 3, 2], 1)]]],
  permute: [['', (a) => T.permute(a, [2, 0, 1]), [param([2, 3, 4], 1)]]],
  transpose: [['', (a) => T.transpose(a, 0, 1), [param([2, 3], 1)]]],
  slice: [['middle', (a) => T.slice(a, 1, 1, 3), [param([2, 4, 3], 1)]]],
  concat: [['axis 1', (a, b) => T.concat([a, b], 1), [param([2, 2], 1), param([2, 3], 2)]]],
  indexSelect: [['repeats', (a) => T.indexSelect(a, 1, [2, 0, 2]), [param([2, 3, 2], 1)]]],
  broadcastTo: [['', (a) => T.broadcastTo(a, [2, 3, 4]), [param([3, 1], 1)]]],
  where: [['', (a, b) => T.where(T.tensor([1, 0, 0, 1, 1, 0], [2, 3]), a, b), [param([2, 3], 1), param([3], 2)]]],
  maskedFill: [['', (a) => T.maskedFill(a, T.tensor([0, 1, 0], [3]), -5), [param([2, 3], 1)]]],
  rope: [['partial rotary', (x) => T.rope(x, ids([0, 1, 2, 5, 6, 7], [2, 3]), { rotaryDims: 4, base: 10000 }), [param([2, 2, 3, 6], 1)]]],
  attention: [
    ['causal with padding', (q, k, v) => T.attention(q, k, v, { causal: true, keyMask: T.tensor([0, 1, 1, 1, 1, 1, 1, 0], [2, 4]) }), [param([2, 2, 4, 3], 1), param([2, 2, 4, 3], 2), param([2, 2, 4, 3], 3)]],
    ['grouped-query, cached keys', (q, k, v) => T.attention(q, k, v, { causal: true }), [param([1, 4, 2, 3], 4), param([1, 2, 5, 3], 5), param([1, 2, 5, 3], 6)]],
  ],
  crossEntropy: [['ignore index', (x) => T.crossEntropy(x, ids([2, -100, 0, 4])), [param([4, 5], 1, 2)]]],
  dropout: [['training', (x) => T.dropout(x, 0.3, repeatableSource(), true), [param([10], 1)]]],
  tokenLogProbs: [
    ['batched, ids at 0 and V−1', (x) => T.tokenLogProbs(x, ids([0, 4, 2, 4], [2, 2])), [param([2, 2, 5], 1, 2)]],
    ['one row, scalar id', (x) => T.tokenLogProbs(x, T.idTensor(5)), [param([6], 2, 3)]],
  ],
  entropy: [
    ['batched', (x) => T.entropy(x), [param([2, 3, 5], 1, 2)]],
    ['a peaked row', (x) => T.entropy(x), [leaf([0.7, -0.3, 1.2, 6, -1, 0.5], [2, 3])]],
    ['one class', (x) => T.entropy(x), [param([3, 1], 3)]],
  ],
}));

describe('gradient checks (reference backend, float32 central differences)', () => {
  it('covers every op', () => {
    assert.deepEqual(Object.keys(cases).sort(), Object.keys(T.OPS).sort());
  });
  for (const [op, list] of Object.entries(cases)) {
    for (const [label, fn, inputs] of list) {
      it(`${op}${label ? ` (${label})` : ''}`, () => {
        withBackend(referenceBackend, () => gradcheck(op, fn, inputs));
      });
    }
  }
});

describe('gradients at kinks follow torch (by hand, on every backend)', () => {
  const backends = [...new Set([referenceBackend, T.currentBackend()])];
  const gradOf = (x: Tensor) => x.grad!.toArray();

  for (const backend of backends) {
    it(`clamp passes the gradient at the bounds, not outside them or at NaN (${backend.name})`, () => withBackend(backend, () => {
      const x = leaf([-1, -0.5, 0, 0.25, 1, NaN], [6]);
      const y = T.clamp(x, -0.5, 0.25);
      assert.deepEqual(y.toArray(), [-0.5, -0.5, 0, 0.25, 0.25, NaN]);
      y.backward(T.tensor([1, 2, 3, 4, 5, 6]));
      assert.deepEqual(gradOf(x), [0, 2, 3, 4, 0, 0]);
      // min > max: every element is max and no gradient passes (torch.clamp's rule).
      const z = leaf([-1, 0, 1], [3]);
      const w = T.clamp(z, 1, -1);
      assert.deepEqual(w.toArray(), [-1, -1, -1]);
      T.sum(w).backward();
      assert.deepEqual(gradOf(z), [0, 0, 0]);
    }));

    it(`minimum and maximum split ties half and half, also when broadcast; NaN feeds both (${backend.name})`, () => withBackend(backend, () => {
      for (const [op, expectA, expectB] of [
        ['maximum', [[0.5, 1, 0], [0.5, 1, 0, 1]], [[0.5, 0, 1], [2.5]]],
        ['minimum', [[0.5, 0, 1], [0.5, 0, 1, 1]], [[0.5, 1, 0], [2.5]]],
      ] as const) {
        const a = leaf([1, 2, 3], [3]);
        const b = leaf([1, 0, 5], [3]);
        T.sum(T[op](a, b)).backward();
        assert.deepEqual(gradOf(a), expectA[0], `${op} a`);
        assert.deepEqual(gradOf(b), expectB[0], `${op} b`);
        // b = [1] broadcast over [1, 2, 0, NaN]: a tie, a clear winner each way, and a NaN.
        const c = leaf([1, 2, 0, NaN], [4]);
        const d = leaf([1], [1]);
        const out = T[op](c, d);
        assert.ok(Number.isNaN(out.toArray()[3]!), `${op} propagates NaN`);
        T.sum(out).backward();
        assert.deepEqual(gradOf(c), expectA[1], `${op} broadcast a`);
        assert.deepEqual(gradOf(d), expectB[1], `${op} broadcast b: 0.5 (tie) + 0 + 1 (the element it won) + 1 (NaN)`);
      }
    }));
  }
});
