import type { Backend } from '../backend.js';
import type { NativeAddon } from './backend.js';

/** The GEMM kernel of the addon (native/src/gemm*.cc). */
export function nativeGemmKernels(addon: NativeAddon): Partial<Backend> {
  void addon;
  return {};
}
