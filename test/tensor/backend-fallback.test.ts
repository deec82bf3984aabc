import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { arch, platform } from 'node:os';
import { fileURLToPath } from 'node:url';

/** Runs a tiny computation in a child process with the given environment. */
function runChild(env: Record<string, string>) {
  const script = `
    import * as T from './src/tensor/index.ts';
    const a = T.tensor([[1, 2], [3, 4]], undefined, true);
    const loss = T.sum(T.matmul(a, a));
    loss.backward();
    T.sum(T.exp(a));
    console.log(JSON.stringify({ backend: T.currentBackend().name, loss: loss.item(), grad: a.grad.toArray() }));
  `;
  return spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
  });
}

describe('without the native addon', () => {
  it('runs on the reference backend and warns once, loudly', () => {
    const child = runChild({ IRLENS_NATIVE_ADDON: '/nonexistent/irlens_native.node', IRLENS_BACKEND: '' });
    assert.equal(child.status, 0, child.stderr);
    const result = JSON.parse(child.stdout.trim());
    assert.equal(result.backend, 'reference');
    assert.equal(result.loss, 54);
    assert.deepEqual(result.grad, [7, 11, 9, 13], "d(sum(A·A))/dA = 1·Aᵀ + Aᵀ·1");
    const warnings = child.stderr.match(/native kernels are not available/g) ?? [];
    assert.equal(warnings.length, 1, child.stderr);
    assert.match(child.stderr, /npm rebuild/);
  });

  it('refuses IRLENS_BACKEND=native with a typed error that gives the reason and the fix', () => {
    const child = runChild({ IRLENS_NATIVE_ADDON: '/nonexistent/irlens_native.node', IRLENS_BACKEND: 'native' });
    assert.notEqual(child.status, 0);
    assert.match(child.stderr, /NativeBackendUnavailableError: IRLENS_BACKEND=native but the native kernels could not be loaded \(.*does not exist\)/);
    assert.match(child.stderr, /Install a C\+\+ compiler \(g\+\+\), make and python3, then run `npm rebuild`/);
  });

  it('a failed build names the platform, what was tried and the slowdown, and leaves npm ci working', () => {
    // No node-gyp on this PATH: the build fails as on a machine without the toolchain.
    const child = spawnSync(process.execPath, ['scripts/build-native.mjs'], {
      cwd: fileURLToPath(new URL('../../', import.meta.url)),
      encoding: 'utf8',
      env: { ...process.env, PATH: '/nonexistent', IRLENS_BACKEND: '', IRLENS_SKIP_NATIVE: '' },
    });
    assert.equal(child.status, 0, child.stderr);
    assert.match(child.stderr, new RegExp(`could not be built on ${platform()} ${arch()}: node-gyp rebuild for ${platform()} ${arch()} \\(`));
    assert.match(child.stderr, /reference backend, 10–100x slower/);
    assert.match(child.stderr, /irlens doctor/);
  });
});
