import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
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

  it('keeps a reused block safe from the late finalizer of the buffer released before it', () => {
    // Release a block, get it back for a new tensor, then collect the old (detached) buffer.
    const script = `
      import * as T from './src/tensor/index.ts';
      if (T.currentBackend().name !== 'native') { console.log('skip'); process.exit(0); }
      let old = T.zeros([4096]);
      old.dispose();
      old = null;
      const reused = T.full([4096], 3);
      for (let i = 0; i < 5; i++) { globalThis.gc(); await new Promise((r) => setTimeout(r, 10)); }
      const again = T.full([4096], 5);
      console.log(reused.data.length === 4096 && reused.data.every((v) => v === 3) && again.data.every((v) => v === 5) ? 'intact' : 'corrupted');
    `;
    const child = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' });
    assert.equal(child.status, 0, child.stderr);
    assert.match(child.stdout, /intact|skip/);
  });
});
