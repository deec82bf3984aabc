import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import type { Backend, IdStorage, Storage } from '../../src/tensor/backend.js';
import { loadNativeBackend } from '../../src/tensor/native/load.js';
import * as T from '../../src/tensor/index.js';
import { skipUnlessNative } from '../helpers/native.js';

const native = loadNativeBackend();
const skipNative = skipUnlessNative(native.backend !== null, `the native addon does not load (${native.reason})`);

/** The active backend, with every release() it is asked for recorded. */
function recordingReleases(): { backend: Backend; released: (Storage | IdStorage)[] } {
  const inner = T.currentBackend();
  const released: (Storage | IdStorage)[] = [];
  return { backend: { ...inner, release: (storage) => (released.push(storage), inner.release(storage)) }, released };
}

describe('tensor storage', () => {
  it('is zero-filled, also when a released block is reused', () => {
    const first = T.zeros([1000]);
    first.data.fill(7);
    first.dispose();
    const second = T.zeros([1000]);
    assert.ok(second.data.every((v) => v === 0));
  });

  it('is released only when the last tensor sharing it is disposed', () => {
    const { backend, released } = recordingReleases();
    T.withBackend(backend, () => {
      const a = T.add(T.zeros([2, 3]), 1);
      const view = T.reshape(a, [6]);
      const storage = view.data;
      a.dispose();
      assert.deepEqual(released, [], 'the reshaped view still owns the storage');
      assert.deepEqual(view.toArray(), [1, 1, 1, 1, 1, 1]);
      view.dispose();
      assert.equal(released.length, 1, 'released once, by the last owner');
      assert.equal(released[0], storage);
      assert.throws(() => view.toArray(), T.DisposedTensorError);
    });
  });

  it('on the native backend, a released block is freed at once: every view of it becomes empty', { skip: skipNative }, () => {
    T.withBackend(native.backend!, () => {
      const a = T.full([6], 2);
      const raw = a.data;
      a.dispose();
      assert.equal(raw.length, 0);
    });
  });

  it('on the native backend, id buffers come from the same blocks and are freed at once too', { skip: skipNative }, () => {
    const backend = native.backend!;
    const ids = backend.allocateIds(6);
    assert.deepEqual(Array.from(backend.idsToHost(ids)), [0, 0, 0, 0, 0, 0]);
    backend.release(ids);
    assert.equal(ids.length, 0);
  });

  it('frees intermediate gradients during backward without touching the results', () => {
    const x = T.tensor([1, 2, 3], [3], true);
    T.tidy(() => T.sum(T.mul(T.exp(x), T.exp(x))).backward());
    assert.deepEqual(x.grad!.toArray().map((v) => +v.toFixed(3)), [1, 2, 3].map((v) => +(2 * Math.exp(2 * v)).toFixed(3)));
  });

  it('on the native backend, keeps a reused block safe from the late finalizer of the buffer released before it', { skip: skipNative }, () => {
    // Release a block, get it back for a new tensor, then collect the old (detached) buffer.
    const script = `
      import * as T from './src/tensor/index.ts';
      let old = T.zeros([4096]);
      old.dispose();
      old = null;
      const reused = T.full([4096], 3);
      for (let i = 0; i < 5; i++) { globalThis.gc(); await new Promise((r) => setTimeout(r, 10)); }
      const again = T.full([4096], 5);
      console.log(reused.data.length === 4096 && reused.data.every((v) => v === 3) && again.data.every((v) => v === 5) ? 'intact' : 'corrupted');
    `;
    const child = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', '--input-type=module', '-e', script], {
      encoding: 'utf8',
      env: { ...process.env, IRLENS_BACKEND: 'native' },
    });
    assert.equal(child.status, 0, child.stderr);
    assert.equal(child.stdout.trim(), 'intact');
  });

  it('hands out uninitialised buffers as they come, and NaN-filled when poisoning, on every backend', () => {
    // Poisoning is read once, when the module loads: a child process with it set.
    const script = `
      import * as T from './src/tensor/index.ts';
      import { referenceBackend } from './src/tensor/reference/index.ts';
      const backends = [referenceBackend, T.currentBackend()];
      console.log(backends.map((b) => { const s = b.allocateUninitialized(100); const z = b.allocate(100); return s.length === 100 && s.every(Number.isNaN) && z.every((v) => v === 0); }).join());
    `;
    const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      encoding: 'utf8',
      env: { ...process.env, IRLENS_POISON_UNINITIALIZED: '1' },
    });
    assert.equal(child.status, 0, child.stderr);
    assert.equal(child.stdout.trim(), 'true,true');
    const fresh = T.currentBackend().allocateUninitialized(100);
    assert.equal(fresh.length, 100);
  });
});
