import type { Backend, IdStorage, Storage } from './backend.js';
import { referenceBackend } from './reference/index.js';
import { NativeBackendUnavailableError } from './errors.js';
import { strictMode } from './host.js';
import { loadNativeBackend } from './native/load.js';

/**
 * Chooses the backend: the native C++ kernels when the addon is built, else the TypeScript
 * reference (with one loud warning). IRLENS_BACKEND=reference|native forces a choice.
 */
let active: Backend | null = null;

export function currentBackend(): Backend {
  active ??= strictMode ? countingBuffers(chooseBackend()) : chooseBackend();
  return active;
}

let liveBuffers = 0;

/**
 * Buffers the active backend allocated and nobody has released yet, counted under
 * IRLENS_STRICT=1 only: a device backend frees memory only on release, so a workload that leaves
 * this higher than it found it leaks.
 */
export const liveBufferCount = (): number => liveBuffers;

function countingBuffers(backend: Backend): Backend {
  const live = new WeakSet<Storage | IdStorage>();
  const counted = <S extends Storage | IdStorage>(storage: S): S => {
    if (!live.has(storage)) {
      live.add(storage);
      liveBuffers++;
    }
    return storage;
  };
  return {
    ...backend,
    allocate: (n) => counted(backend.allocate(n)),
    allocateUninitialized: (n) => counted(backend.allocateUninitialized(n)),
    allocateIds: (n) => counted(backend.allocateIds(n)),
    // A device backend uploads into a buffer of its own, which must be released like any other.
    fromHost: (values) => counted(backend.fromHost(values)),
    idsFromHost: (ids) => counted(backend.idsFromHost(ids)),
    release(storage) {
      if (live.delete(storage)) liveBuffers--;
      backend.release(storage);
    },
  };
}

/**
 * Runs fn with the given backend active: the tensors fn makes from host values (tensor(), zeros()
 * ...) live on it, and so the ops on them run there (tests compare backends this way).
 */
export function withBackend<T>(backend: Backend, fn: () => T): T {
  const previous = currentBackend();
  active = backend;
  try {
    return fn();
  } finally {
    active = previous;
  }
}

function chooseBackend(): Backend {
  const wanted = process.env.IRLENS_BACKEND;
  if (wanted === 'reference') return referenceBackend;
  const native = loadNativeBackend();
  if (native.backend) return native.backend;
  if (wanted === 'native') {
    throw new NativeBackendUnavailableError(native.reason);
  }
  process.emitWarning(
    `irlens: the native kernels are not available (${native.reason}). Running on the TypeScript ` +
      'reference backend, which is 10-100x slower. Build them with `npm rebuild` in the irlens folder (needs g++, make and python3).',
    { code: 'IRLENS_NO_NATIVE' },
  );
  return referenceBackend;
}
