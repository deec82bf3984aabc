import type { Backend } from '../backend.js';
import { referenceKernels } from '../reference/index.js';
import { type HostArrayBackend, opaqueStorage, poisoned } from '../reference/storage.js';
import { nativeGemmKernels } from './gemm.js';
import { nativeKernels } from './kernels.js';

/** The functions the addon exports (see native/src). */
export type NativeAddon = Record<string, (...args: never[]) => unknown>;

/**
 * The native backend: the C++ kernels where the addon has them. Any kernel it does not provide
 * runs on the reference implementation, so the backend is always complete.
 */
export function createNativeBackend(addon: NativeAddon): Backend {
  return opaqueStorage({ ...referenceKernels, ...nativeStorage(addon), ...nativeKernels(addon), ...nativeGemmKernels(addon), name: 'native' });
}

/**
 * Storage the addon owns, freed as soon as its tensor is disposed (see native/src/storage.cc). Ids
 * take a block of the same size (int32 and float32 are both four bytes) viewed as int32.
 */
function nativeStorage(addon: NativeAddon): Partial<HostArrayBackend> {
  if (typeof addon.allocate !== 'function' || typeof addon.release !== 'function') return {};
  const allocate = addon.allocate as unknown as (n: number, zero?: boolean) => Float32Array;
  const release = addon.release as unknown as (storage: Float32Array | Int32Array) => boolean;
  return {
    allocate: (n) => allocate(n),
    allocateUninitialized: (n) => poisoned(allocate(n, false)),
    allocateIds: (n) => {
      const block = allocate(n);
      return new Int32Array(block.buffer, block.byteOffset, n);
    },
    release: (storage) => void release(storage),
  };
}
