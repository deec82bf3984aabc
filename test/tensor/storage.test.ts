import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as T from '../../src/tensor/index.js';

describe('tensor storage', () => {
  it('is zero-filled, also when a released block is reused', () => {
    const first = T.zeros([1000]);
    first.data.fill(7);
    first.dispose();
    const second = T.zeros([1000]);
    assert.ok(second.data.every((v) => v === 0));
  });

  it('is released only when the last tensor sharing it is disposed', () => {
    const a = T.add(T.zeros([2, 3]), 1);
    const view = T.reshape(a, [6]);
    a.dispose();
    assert.deepEqual(view.toArray(), [1, 1, 1, 1, 1, 1], 'the reshaped view still owns the storage');
    const raw = view.data;
    view.dispose();
    if (T.currentBackend().name === 'native') assert.equal(raw.length, 0, 'the native backend frees the block at once');
    assert.throws(() => view.toArray(), T.DisposedTensorError);
  });

  it('frees intermediate gradients during backward without touching the results', () => {
    const x = T.tensor([1, 2, 3], [3], true);
    T.tidy(() => T.sum(T.mul(T.exp(x), T.exp(x))).backward());
    assert.deepEqual(x.grad!.toArray().map((v) => +v.toFixed(3)), [1, 2, 3].map((v) => +(2 * Math.exp(2 * v)).toFixed(3)));
  });
});
