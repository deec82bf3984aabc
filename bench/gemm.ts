// Micro-benchmark of the native GEMM: GFLOP/s for [512x2048]@[2048x2048] (the `matmul_gflops`
// of ../shared/bench/torch_peer.py) and the products of a Pythia-70M training step (512 tokens,
// d 512, d_ff 2048, vocab 50304: forward, transB input gradients, transA weight gradients) and
// batched attention products, with 1 thread and with all threads.
//
// usage: node --import tsx bench/gemm.ts [--reps N] [--threads 1,2] [--only substring] [--best]
// Prints one JSON object. Each figure is the median over reps (best in parentheses in the
// table printed to stderr; --best adds them to the JSON as <key>_best). Set IRLENS_NATIVE_ADDON to benchmark another build of the addon.
import { createRequire } from 'node:module';
import type { GemmAddon } from '../src/tensor/native/gemm.js';
import { nativeAddonPath } from '../src/tensor/native/load.js';

const addon = createRequire(import.meta.url)(nativeAddonPath()) as GemmAddon;

function argValue(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

interface Shape {
  key: string;
  batch: number; m: number; n: number; k: number;
  transA: boolean; transB: boolean; strideA: number; strideB: number;
}

function shape(key: string, m: number, n: number, k: number, transA = false, transB = false, batch = 1): Shape {
  return { key, batch, m, n, k, transA, transB, strideA: m * k, strideB: k * n };
}

const shapes: Shape[] = [
  shape('matmul_gflops', 512, 2048, 2048),
  shape('qkv_512x512x1536', 512, 1536, 512),
  shape('mlp_up_512x512x2048', 512, 2048, 512),
  shape('mlp_down_512x2048x512', 512, 512, 2048),
  shape('lm_head_512x512x50304', 512, 50304, 512),
  shape('lm_head_nt_512x512x50304', 512, 50304, 512, false, true),
  shape('dx_lm_head_512x50304x512_nt', 512, 512, 50304, false, true),
  shape('dx_lm_head_512x50304x512_nn', 512, 512, 50304, false, false),
  shape('dw_lm_head_tn_512x512x50304', 512, 50304, 512, true, false),
  shape('dx_mlp_up_512x2048x512_nt', 512, 512, 2048, false, true),
  shape('dw_mlp_up_tn_512x512x2048', 512, 2048, 512, true, false),
  shape('dw_qkv_tn_512x512x1536', 512, 1536, 512, true, false),
  shape('attn_scores_64x64x64_b64_nt', 64, 64, 64, false, true, 64),
  shape('attn_values_64x64x64_b64', 64, 64, 64, false, false, 64),
  shape('attn_dq_64x64x64_b64_tn', 64, 64, 64, true, false, 64),
  shape('square_256', 256, 256, 256),
  shape('gemv_1x2048x2048', 1, 2048, 2048),
  // Generation: one or a few tokens against the lm head / MLP weights (the small-m path).
  shape('gen_lm_head_1x512x50304', 1, 50304, 512),
  shape('gen_lm_head_nt_1x512x50304', 1, 50304, 512, false, true),
  shape('gen_lm_head_16x512x50304', 16, 50304, 512),
  shape('gen_lm_head_nt_16x512x50304', 16, 50304, 512, false, true),
  shape('gen_mlp_nt_4x512x2048', 4, 2048, 512, false, true),
  shape('tall_attn_4096x64x64', 4096, 64, 64),
];

function random(length: number): Float32Array {
  const out = new Float32Array(length);
  for (let i = 0; i < length; i++) out[i] = Math.random() * 2 - 1;
  return out;
}

function measure(s: Shape, reps: number): { median: number; best: number } {
  const a = random((s.batch - 1) * s.strideA + s.m * s.k);
  const b = random((s.batch - 1) * s.strideB + s.k * s.n);
  const out = new Float32Array(s.batch * s.m * s.n);
  const flops = 2 * s.batch * s.m * s.n * s.k;
  const call = () => addon.gemm(a, b, out, s.batch, s.m, s.n, s.k, s.transA, s.transB, s.strideA, s.strideB, false);
  call();
  // Enough repetitions for about 0.3 s of work, within [3, 2000].
  const t0 = performance.now();
  call();
  const once = Math.max((performance.now() - t0) / 1e3, 1e-6);
  const n = Math.min(2000, Math.max(reps, Math.ceil(0.3 / once)));
  const times: number[] = [];
  for (let r = 0; r < n; r++) {
    const t = performance.now();
    call();
    times.push((performance.now() - t) / 1e3);
  }
  times.sort((x, y) => x - y);
  return { median: flops / times[Math.floor(times.length / 2)]! / 1e9, best: flops / times[0]! / 1e9 };
}

const reps = Number(argValue('--reps') ?? 5);
const original = addon.threads();
const threadCounts = (argValue('--threads') ?? [...new Set([1, original])].join(','))
  .split(',').map(Number).filter((t) => t >= 1);
const only = argValue('--only');
const withBest = process.argv.includes('--best');

const result: Record<string, unknown> = { simd: addon.simd(), threads: original };
for (const threads of threadCounts) {
  addon.setThreads(threads);
  for (const s of shapes) {
    if (only && !s.key.includes(only)) continue;
    const { median, best } = measure(s, reps);
    const suffix = threads === original ? '' : `_t${threads}`;
    result[s.key + suffix] = Math.round(median * 10) / 10;
    if (withBest) result[s.key + suffix + '_best'] = Math.round(best * 10) / 10;
    process.stderr.write(`${threads} thr  ${s.key.padEnd(32)} ${median.toFixed(1).padStart(7)} GFLOP/s (best ${best.toFixed(1)})\n`);
  }
}
addon.setThreads(original);
console.log(JSON.stringify(result));
