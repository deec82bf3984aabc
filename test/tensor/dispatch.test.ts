// Ops run on the backend that owns their inputs' storage, not on the active one, and refuse
// inputs from two backends.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Backend } from '../../src/tensor/backend.js';
import * as T from '../../src/tensor/index.js';
import { loadNativeBackend } from '../../src/tensor/native/load.js';
import { referenceBackend } from '../../src/tensor/reference/index.js';
import { skipUnlessNative } from '../helpers/native.js';

const native = loadNativeBackend();
const skip = skipUnlessNative(native.backend !== null, `the native addon does not load (${native.reason})`);

/** backend with every call of its functions (allocation, uploads, kernels) recorded by name. */
function recordingCalls(backend: Backend): { backend: Backend; calls: string[] } {
  const calls: string[] = [];
  const record = ([name, value]: [string, unknown]) =>
    [name, typeof value === 'function' ? (...args: unknown[]) => (calls.push(name), value(...args)) : value];
  return { backend: Object.fromEntries(Object.entries(backend).map(record)) as Backend, calls };
}

describe('op dispatch', () => {
  it('refuses a reference tensor and a native one in one op, naming both and the way out', { skip }, () => {
    const a = T.withBackend(referenceBackend, () => T.tensor([1, 2, 3]));
    const b = T.withBackend(native.backend!, () => T.tensor([4, 5, 6]));
    a.name = 'a';
    b.name = 'b';
    assert.throws(() => T.add(a, b), (error: Error) => {
      assert.ok(error instanceof T.BackendMismatchError);
      assert.match(error.message, /^add: tensor 'a' of shape \[3\] lives on the reference backend but tensor 'b' of shape \[3\] on the native backend/);
      assert.match(error.message, /Create both under the same backend \(withBackend chooses it\)/);
      return true;
    });
    const ids = T.withBackend(native.backend!, () => T.idTensor([0, 1]));
    const table = T.withBackend(referenceBackend, () => T.tensor([1, 2, 3, 4], [2, 2]));
    assert.throws(() => T.embedding(table, ids), T.BackendMismatchError, 'ids count as inputs too');
  });

  it('runs an op on reference tensors on the reference backend while native is active, backward included', { skip }, () => {
    const [x, w, condition] = T.withBackend(referenceBackend, () =>
      [T.tensor([[1, -2], [3, 0.5]], undefined, true), T.tensor([[0.5, 1], [-1, 2]], undefined, true), T.idTensor([[1, 0], [1, 1]])]);
    const active = recordingCalls(native.backend!);
    const loss = T.withBackend(active.backend, () => {
      // Numbers become scalars on the inputs' backend, not the active one.
      const y = T.where(condition, T.gelu(T.matmul(x, w)), 2);
      const total = T.sum(T.mul(T.add(y, 1), 3));
      total.backward();
      return total;
    });
    assert.equal(loss.backend, referenceBackend);
    assert.equal(x.grad!.backend, referenceBackend);
    assert.equal(w.grad!.backend, referenceBackend);
    assert.deepEqual(active.calls, [], 'nothing was allocated or run on the active backend');
  });

  it('refuses a gradient from another backend in backward()', () => {
    const other = { ...referenceBackend };
    const x = T.withBackend(referenceBackend, () => T.tensor([1, 2], [2], true));
    const y = T.mul(x, x);
    const grad = T.withBackend(other, () => T.tensor([1, 1]));
    assert.throws(() => y.backward(grad), /^BackendMismatchError: backward: .* on another reference backend/);
  });
});
