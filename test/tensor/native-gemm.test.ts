// The native GEMM (native/src/gemm*.cc) against a float64 reference loop: awkward shapes, all
// transpose combinations, batches with broadcast operands, accumulation, subarray views, the
// argument checks, bit-identical results for any thread count, the few-row (unpacked) path
// against the packed one, and the AVX2/scalar fallbacks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import type { GemmAddon } from '../../src/tensor/native/gemm.js';
import { nativeAddonPath } from '../../src/tensor/native/load.js';
import { skipUnlessNative } from '../helpers/native.js';
import { randomFloats as random } from '../helpers/random-buffers.js';

const addonPath = nativeAddonPath();

function loadAddon(): GemmAddon | null {
  if (!existsSync(addonPath)) return null;
  const addon = createRequire(import.meta.url)(addonPath) as Partial<GemmAddon>;
  return typeof addon.gemm === 'function' ? addon as GemmAddon : null;
}
const addon = loadAddon();
const skip = skipUnlessNative(addon !== null, `native addon with gemm not built (${addonPath})`);

interface Case {
  batch: number; m: number; n: number; k: number; transA: boolean; transB: boolean;
  strideA: number; strideB: number; accumulate: boolean;
}

function maxAbs(x: Float32Array): number {
  let mx = 0;
  for (let i = 0; i < x.length; i++) mx = Math.max(mx, Math.abs(x[i]!));
  return mx;
}

/**
 * Checks out (after the native call) against a float64 reference at the given elements (all when
 * `sample` is omitted). `before` is out's content before the call (for accumulate).
 */
function check(c: Case, a: Float32Array, b: Float32Array, before: Float32Array, out: Float32Array,
  sample?: Array<[number, number, number]>): void {
  const { m, n, k, transA, transB, strideA, strideB, accumulate } = c;
  const tol = 1e-5 * Math.sqrt(Math.max(k, 1)) * Math.max(maxAbs(a), 1e-30) * Math.max(maxAbs(b), 1e-30)
    + (accumulate ? 1e-6 * maxAbs(before) : 0);
  const points: Array<[number, number, number]> = sample ?? [];
  if (!sample) {
    for (let t = 0; t < c.batch; t++)
      for (let i = 0; i < m; i++)
        for (let j = 0; j < n; j++) points.push([t, i, j]);
  }
  for (const [t, i, j] of points) {
    const aBase = t * strideA, bBase = t * strideB;
    let sum = 0;
    for (let p = 0; p < k; p++) {
      const av = transA ? a[aBase + p * m + i]! : a[aBase + i * k + p]!;
      const bv = transB ? b[bBase + j * k + p]! : b[bBase + p * n + j]!;
      sum += av * bv;
    }
    const o = t * m * n + i * n + j;
    const want = accumulate ? before[o]! + sum : sum;
    const got = out[o]!;
    if (!(Math.abs(got - want) <= tol)) {
      assert.fail(`gemm ${JSON.stringify(c)}: out[${t}, ${i}, ${j}] = ${got}, want ${want} (tol ${tol})`);
    }
  }
}

function aLength(c: Case): number {
  return c.batch === 0 ? 0 : (c.batch - 1) * c.strideA + c.m * c.k;
}
function bLength(c: Case): number {
  return c.batch === 0 ? 0 : (c.batch - 1) * c.strideB + c.k * c.n;
}

function run(addonRef: GemmAddon, c: Case, seed: number, sample?: Array<[number, number, number]>): void {
  const a = random(aLength(c), seed);
  const b = random(bLength(c), seed + 1);
  const out = c.accumulate ? random(c.batch * c.m * c.n, seed + 2) : new Float32Array(c.batch * c.m * c.n).fill(NaN);
  const before = out.slice();
  addonRef.gemm(a, b, out, c.batch, c.m, c.n, c.k, c.transA, c.transB, c.strideA, c.strideB, c.accumulate);
  check(c, a, b, before, out, sample);
}

function single(m: number, n: number, k: number, transA: boolean, transB: boolean, accumulate = false): Case {
  return { batch: 1, m, n, k, transA, transB, strideA: m * k, strideB: k * n, accumulate };
}

const sizes = [1, 3, 7, 15, 16, 17, 31, 33, 64, 65, 127, 200];
const transposes: Array<[boolean, boolean]> = [[false, false], [true, false], [false, true], [true, true]];

test('simd() names the path in use and threads() is at least 1', { skip }, () => {
  assert.ok(['avx512', 'avx2', 'neon', 'accelerate', 'scalar'].includes(addon!.simd()));
  assert.ok(addon!.threads() >= 1);
});

test('awkward shapes, all transpose combinations', { skip }, () => {
  let seed = 1;
  for (const [transA, transB] of transposes) {
    for (let mi = 0; mi < sizes.length; mi++) {
      for (let ni = 0; ni < sizes.length; ni++) {
        const k = sizes[(mi * 5 + ni * 7 + (transA ? 3 : 0) + (transB ? 1 : 0)) % sizes.length]!;
        run(addon!, single(sizes[mi]!, sizes[ni]!, k, transA, transB, (mi + ni) % 3 === 0), seed++);
      }
    }
    // Every k against a few edge-tile shapes.
    for (const k of sizes) {
      run(addon!, single(17, 65, k, transA, transB), seed++);
      run(addon!, single(1, 1, k, transA, transB, true), seed++);
    }
  }
});

test('long k and shapes that cross the cache blocks (sampled)', { skip }, () => {
  let seed = 1000;
  for (const [transA, transB] of transposes) {
    run(addon!, single(33, 65, 3000, transA, transB), seed++);
    run(addon!, single(7, 129, 3001, transA, transB, true), seed++);
    // m > MC, n > NC, k spanning several k blocks: check rows/columns around block edges.
    const c = single(1601, 1100, 801, transA, transB, transA !== transB);
    const rows = [0, 1, 5, 6, 7, 383, 384, 511, 512, 1535, 1536, 1537, 1600];
    const cols = [0, 15, 16, 63, 64, 65, 479, 480, 511, 512, 513, 1023, 1024, 1099];
    const sample: Array<[number, number, number]> = [];
    for (const i of rows) for (const j of cols) sample.push([0, i, j]);
    run(addon!, c, seed++, sample);
  }
});

test('batches with broadcast operands (stride 0) and gaps between items', { skip }, () => {
  let seed = 2000;
  for (const [transA, transB] of transposes) {
    for (const [m, n, k] of [[7, 33, 17], [64, 64, 64], [65, 31, 127], [3, 200, 1]] as const) {
      const base = single(m, n, k, transA, transB);
      run(addon!, { ...base, batch: 5, strideA: 0 }, seed++);
      run(addon!, { ...base, batch: 5, strideB: 0 }, seed++);
      run(addon!, { ...base, batch: 4, strideA: m * k + 3, strideB: k * n + 5, accumulate: true }, seed++);
      run(addon!, { ...base, batch: 3, strideA: 0, strideB: 0 }, seed++);
    }
  }
  // Many small attention-sized products (the parallel-over-items path).
  run(addon!, { ...single(64, 64, 64, false, true), batch: 64 }, seed++,
    Array.from({ length: 64 }, (_, t) => [t, (t * 7) % 64, (t * 13) % 64] as [number, number, number]));
  run(addon!, { ...single(64, 64, 64, false, false), batch: 64 }, seed++,
    Array.from({ length: 64 }, (_, t) => [t, (t * 5) % 64, 63 - t] as [number, number, number]));
});

test('k = 0 writes zeros (or leaves out unchanged when accumulating); empty shapes are no-ops', { skip }, () => {
  const out = new Float32Array(6).fill(7);
  addon!.gemm(new Float32Array(0), new Float32Array(0), out, 1, 2, 3, 0, false, false, 0, 0, false);
  assert.deepEqual(Array.from(out), [0, 0, 0, 0, 0, 0]);
  out.fill(7);
  addon!.gemm(new Float32Array(0), new Float32Array(0), out, 1, 2, 3, 0, false, false, 0, 0, true);
  assert.deepEqual(Array.from(out), [7, 7, 7, 7, 7, 7]);
  addon!.gemm(new Float32Array(0), new Float32Array(0), new Float32Array(0), 0, 5, 5, 5, false, false, 25, 25, false);
  addon!.gemm(new Float32Array(0), new Float32Array(10), new Float32Array(0), 1, 0, 5, 2, false, false, 0, 10, false);
});

test('works on subarrays with a non-zero byteOffset and leaves the rest untouched', { skip }, () => {
  const m = 17, n = 33, k = 19;
  const aAll = random(m * k + 5, 1), bAll = random(k * n + 9, 2), outAll = random(m * n + 13, 3);
  const a = aAll.subarray(5), b = bAll.subarray(9), out = outAll.subarray(7, 7 + m * n);
  const outBefore = outAll.slice();
  for (const [transA, transB] of transposes) {
    addon!.gemm(a, b, out, 1, m, n, k, transA, transB, m * k, k * n, false);
    check(single(m, n, k, transA, transB), a, b, out, out);
  }
  for (let i = 0; i < 7; i++) assert.equal(outAll[i], outBefore[i]);
  for (let i = 7 + m * n; i < outAll.length; i++) assert.equal(outAll[i], outBefore[i]);
});

test('argument errors name the problem', { skip }, () => {
  const g = addon!;
  const f = (n: number) => new Float32Array(n);
  assert.throws(() => g.gemm(f(5), f(6), f(4), 1, 2, 2, 3, false, false, 6, 6, false), /a has 5 elements but needs 6/);
  assert.throws(() => g.gemm(f(6), f(5), f(4), 1, 2, 2, 3, false, false, 6, 6, false), /b has 5 elements but needs 6/);
  assert.throws(() => g.gemm(f(6), f(6), f(3), 1, 2, 2, 3, false, false, 6, 6, false), /out has 3 elements but needs 4/);
  assert.throws(() => g.gemm(f(11), f(6), f(8), 2, 2, 2, 3, false, false, 6, 0, false), /a has 11 elements but needs 12/);
  assert.throws(() => g.gemm(new Float64Array(6) as unknown as Float32Array, f(6), f(4), 1, 2, 2, 3, false, false, 6, 6, false),
    /a must be a Float32Array/);
  assert.throws(() => g.gemm(f(6), f(6), f(4), 1, 2, 2, 1.5, false, false, 6, 6, false), /k must be a non-negative integer/);
  assert.throws(() => g.gemm(f(6), f(6), f(4), 1, -2, 2, 3, false, false, 6, 6, false), /m must be a non-negative integer/);
  assert.throws(() => g.gemm(f(6), f(6), f(4), 1, 2, 2, 3, 0 as unknown as boolean, false, 6, 6, false), /transA must be a boolean/);
  const shared = f(16);
  assert.throws(() => g.gemm(shared.subarray(0, 6), f(6), shared.subarray(4, 8), 1, 2, 2, 3, false, false, 6, 6, false),
    /must not share memory/);
  assert.throws(() => (g.gemm as unknown as (...x: unknown[]) => void)(f(6), f(6), f(4)), /expected 12 arguments/);
  assert.throws(() => g.setThreads(0), /setThreads/);
});

test('results are bit-identical for 1, 2 and 3 threads and across repeated calls', { skip }, () => {
  const g = addon!;
  const original = g.threads();
  const cases: Case[] = [
    single(512, 512, 512, false, false),
    single(200, 1100, 777, true, false, true),
    single(1000, 96, 300, false, true),
    single(130, 130, 1000, true, true),
    single(1, 3000, 64, false, false),
    { ...single(64, 64, 64, false, true), batch: 48 },
    { ...single(33, 65, 70, false, false), batch: 6, strideB: 0 },
    { ...single(100, 300, 40, true, false), batch: 3, strideA: 0 },
    // Few rows (the unpacked small-m path, split over columns).
    single(1, 5000, 700, false, false, true),
    single(3, 4099, 600, true, false),
    single(4, 3000, 530, false, true),
    single(16, 2500, 1100, false, false),
    // The parallel driver's shared packed A in several rounds: over k blocks, and over rows.
    single(300, 200, 8000, false, true),
    single(4200, 50, 1024, true, false, true),
  ];
  try {
    let seed = 3000;
    for (const c of cases) {
      const a = random(aLength(c), seed++), b = random(bLength(c), seed++);
      const init = random(c.batch * c.m * c.n, seed++);
      const results: Float32Array[] = [];
      for (const threads of [1, 2, 3, 2, 1]) {
        g.setThreads(threads);
        assert.equal(g.threads(), threads);
        const out = init.slice();
        g.gemm(a, b, out, c.batch, c.m, c.n, c.k, c.transA, c.transB, c.strideA, c.strideB, c.accumulate);
        results.push(out);
      }
      const first = new Uint32Array(results[0]!.buffer);
      for (let r = 1; r < results.length; r++) {
        const other = new Uint32Array(results[r]!.buffer);
        let same = true;
        for (let i = 0; i < first.length && same; i++) same = first[i] === other[i];
        assert.ok(same, `gemm ${JSON.stringify(c)}: run ${r} differs from the 1-thread result`);
      }
    }
  } finally {
    g.setThreads(original);
  }
});

test('few-row products (read op(B) in place) match float64 and the packed path bit for bit', { skip }, () => {
  let seed = 4000;
  const shapes: Array<[number, number, number]> = [[1, 1000, 700], [2, 77, 1030], [5, 1100, 64], [6, 129, 513],
    [7, 640, 300], [12, 65, 1200], [16, 1000, 600]];
  for (const [transA, transB] of transposes) {
    for (const [i, [m, n, k]] of shapes.entries()) {
      const sample: Array<[number, number, number]> = [];
      for (let r = 0; r < m; r++) for (const j of [0, 1, 15, 16, 63, 64, n - 2, n - 1]) if (j >= 0 && j < n) sample.push([0, r, j]);
      run(addon!, single(m, n, k, transA, transB, i % 2 === 1), seed++, sample);
    }
  }
  // The same products with the small-m path switched off (IRLENS_GEMM_SMALLM=0) give the same bits.
  const script = `
    const addon = require(${JSON.stringify(addonPath)});
    let s = 11, h = 2166136261 >>> 0;
    const rnd = (len) => { const x = new Float32Array(len); for (let i = 0; i < len; i++) { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; x[i] = s / 2147483648 - 1; } return x; };
    for (const threads of [1, 2])
      for (const [m, n, k] of ${JSON.stringify(shapes)})
        for (const ta of [false, true]) for (const tb of [false, true]) for (const acc of [false, true]) {
          addon.setThreads(threads);
          const a = rnd(m * k), b = rnd(k * n), out = rnd(m * n);
          addon.gemm(a, b, out, 1, m, n, k, ta, tb, m * k, k * n, acc);
          for (const w of new Uint32Array(out.buffer)) h = Math.imul(h ^ w, 16777619) >>> 0;
        }
    console.log('hash ' + h);
  `;
  const hashes = ['1', '0'].map((on) => {
    const r = spawnSync(process.execPath, ['-e', script], { env: { ...process.env, IRLENS_GEMM_SMALLM: on }, encoding: 'utf8' });
    assert.equal(r.status, 0, `IRLENS_GEMM_SMALLM=${on}: ${r.stderr}`);
    return r.stdout.trim();
  });
  assert.match(hashes[0]!, /^hash \d+$/);
  assert.equal(hashes[0], hashes[1], 'small-m path and packed path differ');
});

test('the AVX2 and scalar fallbacks (IRLENS_SIMD) are correct too', { skip }, () => {
  // A child process picks the path when the addon loads; it checks a few shapes against float64.
  const script = `
    const addon = require(${JSON.stringify(addonPath)});
    const want = process.env.IRLENS_SIMD;
    if (addon.simd() !== want && !(want === 'avx2' && addon.simd() === 'scalar')) throw new Error('simd ' + addon.simd());
    let s = 7;
    const rnd = (len) => { const x = new Float32Array(len); for (let i = 0; i < len; i++) { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; x[i] = s / 2147483648 - 1; } return x; };
    for (const [m, n, k] of [[1, 1, 1], [7, 17, 33], [65, 31, 300], [33, 129, 1000], [200, 70, 9]])
      for (const ta of [false, true]) for (const tb of [false, true]) for (const acc of [false, true]) {
        const a = rnd(m * k), b = rnd(k * n), out = rnd(m * n), before = out.slice();
        addon.gemm(a, b, out, 1, m, n, k, ta, tb, m * k, k * n, acc);
        for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
          let sum = 0;
          for (let p = 0; p < k; p++) sum += (ta ? a[p * m + i] : a[i * k + p]) * (tb ? b[j * k + p] : b[p * n + j]);
          const w = acc ? before[i * n + j] + sum : sum;
          if (!(Math.abs(out[i * n + j] - w) <= 1e-5 * Math.sqrt(k) + 1e-6)) throw new Error([m, n, k, ta, tb, acc, i, j, out[i * n + j], w].join(' '));
        }
      }
    console.log('ok ' + addon.simd());
  `;
  for (const simd of ['avx2', 'scalar']) {
    const r = spawnSync(process.execPath, ['-e', script], { env: { ...process.env, IRLENS_SIMD: simd }, encoding: 'utf8' });
    assert.equal(r.status, 0, `IRLENS_SIMD=${simd}: ${r.stderr}`);
    assert.match(r.stdout, /^ok /);
  }
});
