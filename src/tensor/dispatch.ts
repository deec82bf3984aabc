import type { Backend } from './backend.js';
import { BackendMismatchError } from './errors.js';
import type { Tensor } from './tensor.js';

/**
 * The backend an op runs on: the one that made its inputs' storage, not the active one, so that
 * a tensor is only ever handed to the kernels that can read it. Its outputs are allocated there
 * too. Absent optional inputs (null) are skipped; inputs from two backends throw
 * BackendMismatchError.
 */
export function backendOf(op: string, first: Tensor, ...others: (Tensor | null | undefined)[]): Backend {
  for (const other of others) {
    if (other && other.backend !== first.backend) throw new BackendMismatchError(op, first, other);
  }
  return first.backend;
}
