import type { Tensor } from '../../tensor/index.js';

/** The gradient an update may use: none for a frozen parameter or one that no backward reached. */
export function usableGrad(p: Tensor): Tensor | null {
  return p.requiresGrad && p.grad ? p.grad : null;
}
