import { Tensor, isGradEnabled } from './tensor.js';

/**
 * Attaches an op's backward to its output when gradients are being recorded and some input
 * needs one. `backward` receives the output's gradient and returns one gradient per input,
 * in the order of `inputs` (null where an input gets none).
 */
export function record(op: string, inputs: Tensor[], out: Tensor, backward: (grad: Tensor) => (Tensor | null)[]): Tensor {
  if (isGradEnabled() && inputs.some((t) => t.requiresGrad)) {
    out.requiresGrad = true;
    out.gradNode = { op, inputs, backward };
  }
  return out;
}

/** True when the op must keep what its backward needs. */
export const needsGrad = (...inputs: Tensor[]): boolean => isGradEnabled() && inputs.some((t) => t.requiresGrad);
