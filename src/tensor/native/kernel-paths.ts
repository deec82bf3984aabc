/**
 * Which code paths the native addon runs on this machine (for `irlens doctor`): the GEMM
 * microkernel and the instruction set of the vectorised loops, each chosen when the addon loads
 * (native/src/gemm_core.cc, native/src/vec_math.h), and the kernel threads.
 */
import type { NativeAddon } from './backend.js';

export interface NativeKernelPaths {
  /** 'avx512', 'avx2', 'neon', 'accelerate' (macOS) or 'scalar'. */
  gemm: string;
  /** Element-wise, norm, softmax, attention, loss and AdamW loops: 'avx512', 'avx2', 'sse2', 'neon' or 'generic'. */
  vectorLoops: string;
  threads: number;
  /** Whether results are bit-identical for any thread count (all paths but Accelerate's GEMM). */
  deterministic: boolean;
}

export function nativeKernelPaths(addon: NativeAddon): NativeKernelPaths {
  const ask = (name: string): unknown => (typeof addon[name] === 'function' ? (addon[name] as () => unknown)() : undefined);
  const gemm = String(ask('simd') ?? 'unknown');
  return {
    gemm,
    vectorLoops: String(ask('vectorSimd') ?? 'unknown'),
    threads: Number(ask('threads') ?? 1),
    deterministic: gemm !== 'accelerate',
  };
}
