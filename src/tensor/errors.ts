/** Errors the tensor layer raises for misuse a caller can fix. */
import { UserError } from '../errors.js';
export class TensorError extends Error {
  override name = 'TensorError';
}

/** Two shapes that an op cannot combine. The message names the op and both shapes. */
export class ShapeError extends TensorError {
  override name = 'ShapeError';
  constructor(op: string, detail: string) {
    super(`${op}: ${detail}`);
  }
}

/**
 * IRLENS_BACKEND=native asked for the C++ kernels but the addon is not built or does not load: a
 * problem with the machine's set-up, which the message says how to fix, not a bug in irlens.
 */
export class NativeBackendUnavailableError extends UserError {
  override name = 'NativeBackendUnavailableError';
  constructor(readonly reason: string) {
    super(
      `IRLENS_BACKEND=native but the native kernels could not be loaded (${reason}). ` +
        'Install a C++ compiler (g++), make and python3, then run `npm rebuild` in the irlens folder to build them; ' +
        'or unset IRLENS_BACKEND to run on the slower TypeScript reference backend.',
    );
  }
}

/**
 * An op was given tensors whose storage belongs to two different backends: a kernel can read the
 * buffers of one backend only. The message names both tensors and their backends.
 */
export class BackendMismatchError extends TensorError {
  override name = 'BackendMismatchError';
  constructor(op: string, first: BackendHolder, other: BackendHolder) {
    const otherBackend = other.backend.name === first.backend.name ? `another ${other.backend.name} backend` : `the ${other.backend.name} backend`;
    super(
      `${op}: ${first.describe()} lives on the ${first.backend.name} backend but ${other.describe()} on ${otherBackend}, ` +
        'and an op runs on the backend of its inputs. Create both under the same backend (withBackend chooses it), ' +
        'or copy one across with tensor(t.data.slice(), t.shape) inside withBackend of the other.',
    );
  }
}

/** What BackendMismatchError needs of a tensor (errors.ts sits below tensor.ts). */
interface BackendHolder {
  readonly backend: { readonly name: string };
  describe(): string;
}

/** A tensor was used after dispose() released its storage. */
export class DisposedTensorError extends TensorError {
  override name = 'DisposedTensorError';
}

export const formatShape = (shape: readonly number[]): string => `[${shape.join(', ')}]`;
