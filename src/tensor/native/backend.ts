import type { Backend } from '../backend.js';
import { referenceBackend } from '../reference/index.js';
import { nativeGemmKernels } from './gemm.js';
import { nativeKernels } from './kernels.js';

/** The functions the addon exports (see native/src). */
export type NativeAddon = Record<string, (...args: never[]) => unknown>;

/**
 * The native backend: the C++ kernels where the addon has them. Any kernel it does not provide
 * runs on the reference implementation, so the backend is always complete.
 */
export function createNativeBackend(addon: NativeAddon): Backend {
  return { ...referenceBackend, ...nativeKernels(addon), ...nativeGemmKernels(addon), name: 'native' };
}
