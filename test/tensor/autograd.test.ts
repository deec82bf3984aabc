import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as T from '../../src/tensor/index.js';
import { DisposedTensorError, ShapeError, TensorError } from '../../src/tensor/index.js';

describe('autograd', () => {
  it('accumulates gradients of a tensor used twice', () => {
    const x = T.tensor([1, 2, 3], [3], true);
    T.sum(T.mul(x, x)).backward();
    assert.deepEqual(x.grad!.toArray(), [2, 4, 6]);
    T.sum(x).backward();
    assert.deepEqual(x.grad!.toArray(), [3, 5, 7], 'a second backward adds to the leaf gradient');
  });

  it('starts afresh once the gradient is cleared, as zero_grad(set_to_none=True)', () => {
    const x = T.tensor([1, 2], [2], true);
    T.sum(x).backward();
    x.grad = null;
    T.sum(T.mul(x, 3)).backward();
    assert.deepEqual(x.grad!.toArray(), [3, 3]);
  });

  it('records nothing under noGrad and detach cuts the graph', () => {
    const x = T.tensor([1, 2], [2], true);
    const y = T.noGrad(() => T.mul(x, 2));
    assert.equal(y.requiresGrad, false);
    assert.equal(y.gradNode, null);
    const z = T.mul(x, 2).detach();
    assert.equal(z.requiresGrad, false);
  });
});

describe('misuse fails clearly', () => {
  it('a shape mismatch names the op and both shapes', () => {
    const a = T.zeros([2, 3]);
    const b = T.zeros([4, 5]);
    assert.throws(() => T.matmul(a, b), (e: Error) => e instanceof ShapeError && /matmul/.test(e.message) && /\[2, 3\]/.test(e.message) && /\[4, 5\]/.test(e.message));
    assert.throws(() => T.add(T.zeros([2, 3]), T.zeros([4])), (e: Error) => e instanceof ShapeError && /add/.test(e.message) && /\[2, 3\]/.test(e.message) && /\[4\]/.test(e.message));
  });

  it('tokenLogProbs and entropy refuse ids and logits that do not fit, naming the op', () => {
    const logits = T.zeros([2, 3, 5]);
    const isShapeError = (op: string, detail: RegExp) => (e: Error) => e instanceof ShapeError && e.message.startsWith(`${op}:`) && detail.test(e.message);
    // The kernel checks the ids where they are, so the message is the backend's (the same on both CPU backends).
    const isIdError = (detail: RegExp) => (e: Error) => e instanceof TensorError && detail.test(e.message);
    assert.throws(() => T.tokenLogProbs(logits, T.idTensor([[0, 1, 5], [0, 0, 0]])), isIdError(/^tokenLogProbs: id 5 of row 2 is outside \[0, 5\)/));
    assert.throws(() => T.tokenLogProbs(logits, T.idTensor([[0, -1, 2], [0, 0, 0]])), isIdError(/^tokenLogProbs: id -1 of row 1 is outside/));
    assert.throws(() => T.tokenLogProbs(logits, T.idTensor([0, 1, 2])), isShapeError('tokenLogProbs', /int32 of shape \[2, 3\].*got int32 \[3\]/));
    assert.throws(() => T.tokenLogProbs(logits, T.zeros([2, 3])), isShapeError('tokenLogProbs', /got float32/));
    assert.throws(() => T.entropy(T.zeros([4, 0])), isShapeError('entropy', /non-empty last \(class\) axis.*\[4, 0\]/));
    assert.throws(() => T.entropy(T.scalar(1)), isShapeError('entropy', /got shape \[\]/));
  });

  it('backward() on a non-scalar without a gradient says so', () => {
    const x = T.tensor([1, 2], [2], true);
    assert.throws(() => T.mul(x, 2).backward(), (e: Error) => e instanceof TensorError && /not a scalar/.test(e.message) && /backward\(grad\)/.test(e.message));
  });

  it('using a tensor after its storage was released says so', () => {
    const x = T.tensor([1, 2], [2]);
    x.dispose();
    assert.throws(() => T.add(x, 1), (e: Error) => e instanceof DisposedTensorError && /dispose\(\)/.test(e.message));
  });

  it('tidy releases intermediates but keeps the result and what its graph needs', () => {
    const w = T.tensor([1, 2], [2], true);
    let intermediate: T.Tensor | null = null;
    let unused: T.Tensor | null = null;
    const loss = T.tidy(() => {
      unused = T.mul(w, 5);
      intermediate = T.mul(w, w);
      return T.sum(intermediate);
    });
    assert.equal(unused!.isDisposed, true);
    assert.equal(intermediate!.isDisposed, false, 'the graph still needs it');
    loss.backward();
    assert.deepEqual(w.grad!.toArray(), [2, 4]);
    assert.equal(w.isDisposed, false, 'tensors made outside the scope are untouched');
  });
});
