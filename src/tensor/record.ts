import type { IdStorage, Storage } from './backend.js';
import { Tensor, isGradEnabled } from './tensor.js';

/**
 * Attaches an op's backward to its output when gradients are being recorded and some input
 * needs one. `backward` receives the output's gradient and returns one gradient per input,
 * in the order of `inputs` (null where an input gets none). `saved` are backend buffers only the
 * backward reads (statistics, probabilities, argmax positions): the graph owns them and releases them once the
 * backward has run or the output is disposed; with no graph to record they are released now.
 */
export function record(op: string, inputs: Tensor[], out: Tensor, backward: (grad: Tensor) => (Tensor | null)[],
  saved: (Storage | IdStorage)[] = []): Tensor {
  if (isGradEnabled() && inputs.some((t) => t.requiresGrad)) {
    out.requiresGrad = true;
    out.gradNode = { op, inputs, backward, saved };
  } else {
    for (const buffer of saved) out.backend.release(buffer);
  }
  return out;
}

/** True when the op must keep what its backward needs. */
export const needsGrad = (...inputs: Tensor[]): boolean => isGradEnabled() && inputs.some((t) => t.requiresGrad);
