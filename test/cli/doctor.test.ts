// `irlens doctor`: the platform, the backend in use and the native kernel paths, as JSON and as text.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { arch, platform } from 'node:os';
import { nativeAddonPath } from '../../src/tensor/native/load.js';
import { skipUnlessNative } from '../helpers/native.js';
import { describeRun, irlens } from './helpers.js';

const skip = skipUnlessNative(existsSync(nativeAddonPath()), `native addon not built (${nativeAddonPath()})`);

test('doctor reports the native backend and the kernel paths the addon dispatched to', { skip }, async () => {
  const run = await irlens(['doctor', '--json'], { env: { IRLENS_THREADS: '2' } });
  assert.equal(run.code, 0, describeRun(run));
  const report = JSON.parse(run.stdout);
  assert.deepEqual([report.platform.os, report.platform.arch], [platform(), arch()]);
  assert.equal(report.backend, 'native');
  assert.equal(report.nativeUnavailable, undefined);
  assert.ok(['avx512', 'avx2', 'neon', 'accelerate', 'scalar'].includes(report.kernels.gemm), report.kernels.gemm);
  assert.ok(['avx512', 'avx2', 'sse2', 'neon', 'generic'].includes(report.kernels.vectorLoops), report.kernels.vectorLoops);
  assert.equal(report.kernels.threads, 2);
  assert.equal(report.kernels.deterministic, report.kernels.gemm !== 'accelerate');

  const forced = await irlens(['doctor'], { env: { IRLENS_SIMD: 'scalar' } });
  assert.equal(forced.code, 0, describeRun(forced));
  assert.match(forced.stdout, /^backend\s+native \(/m);
  assert.match(forced.stdout, /^gemm\s+scalar$/m);
  assert.match(forced.stdout, /^deterministic yes/m);
});

test('without the addon doctor says the reference backend is in use, why, how much slower, and the fix', async () => {
  const run = await irlens(['doctor'], { env: { IRLENS_NATIVE_ADDON: '/nonexistent/irlens_native.node', IRLENS_BACKEND: '' } });
  assert.equal(run.code, 0, describeRun(run));
  assert.match(run.stdout, new RegExp(`^platform\\s+${platform()} ${arch()}, Node v`, 'm'));
  assert.match(run.stdout, /^backend\s+reference, 10–100x slower than the native kernels: \/nonexistent\/irlens_native.node does not exist$/m);
  assert.match(run.stdout, /npm rebuild/);
  assert.doesNotMatch(run.stdout, /^gemm/m);
});
