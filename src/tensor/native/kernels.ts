import type { Backend } from '../backend.js';
import type { NativeAddon } from './backend.js';

/** The addon's kernels other than GEMM (native/src/*.cc). */
export function nativeKernels(addon: NativeAddon): Partial<Backend> {
  void addon;
  return {};
}
