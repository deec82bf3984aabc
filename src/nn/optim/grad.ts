import type { Tensor } from '../../tensor/index.js';

/**
 * The gradient an update may use: none for a frozen parameter, one that no backward reached, or
 * one left stale by zeroGrad() (its values belong to an earlier step, as torch's set_to_none).
 */
export function usableGrad(p: Tensor): Tensor | null {
  return p.requiresGrad && p.grad && !p.gradIsStale ? p.grad : null;
}
