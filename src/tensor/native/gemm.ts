import type { GemmArgs } from '../backend.js';
import type { HostArrayBackend, Storage } from '../reference/storage.js';
import type { NativeAddon } from './backend.js';

/** The addon's gemm export (native/src/gemm.cc); throws a RangeError/TypeError on bad arguments. */
type NativeGemm = (
  a: Float32Array, b: Float32Array, out: Float32Array,
  batch: number, m: number, n: number, k: number,
  transA: boolean, transB: boolean, strideA: number, strideB: number, accumulate: boolean,
) => void;

/** The addon's GEMM exports as the GEMM benchmark and tests call them: the kernel, its thread count, and its SIMD path. */
export interface GemmAddon {
  gemm: NativeGemm;
  setThreads(n: number): void;
  threads(): number;
  /** 'avx512', 'avx2', 'neon', 'accelerate' or 'scalar'. */
  simd(): string;
}

/**
 * The GEMM kernel of the addon (native/src/gemm*.cc): a packed, cache-blocked product with an
 * AVX-512, AVX2, NEON (or portable) microkernel, split over the addon's threads. It works in place
 * on the typed arrays (their byteOffset is respected) and gives bit-identical results for any
 * thread count — except through Accelerate on macOS (see native/src/gemm_accelerate.cc).
 * Returns no kernel when the addon lacks `gemm`.
 */
export function nativeGemmKernels(addon: NativeAddon): Partial<HostArrayBackend> {
  if (typeof addon.gemm !== 'function') return {};
  const nativeGemm = addon.gemm as unknown as NativeGemm;
  return {
    gemm(a: Storage, b: Storage, out: Storage, args: GemmArgs): void {
      nativeGemm(a, b, out, args.batch, args.m, args.n, args.k, args.transA, args.transB,
        args.strideA, args.strideB, args.accumulate);
    },
  };
}
