import type { AdamArgs } from '../backend.js';
import type { Storage } from './storage.js';

/**
 * One AdamW step in torch.optim.AdamW's order (single-tensor path): decoupled weight decay
 * first, then the moment updates, then param −= (lr / bc1) · m / (√v / √bc2 + eps) with
 * bc1 = 1 − β1^step and bc2 = 1 − β2^step.
 */
export function adamw(param: Storage, grad: Storage, m: Storage, v: Storage, args: AdamArgs): void {
  const { lr, beta1, beta2, eps, weightDecay, step } = args;
  const stepSize = lr / (1 - beta1 ** step);
  const bias2Sqrt = Math.sqrt(1 - beta2 ** step);
  const decay = 1 - lr * weightDecay;
  for (let i = 0; i < param.length; i++) {
    const g = grad[i]!;
    const p = param[i]! * decay;
    const mi = beta1 * m[i]! + (1 - beta1) * g;
    const vi = beta2 * v[i]! + (1 - beta2) * g * g;
    m[i] = mi;
    v[i] = vi;
    param[i] = p - (stepSize * mi) / (Math.sqrt(vi) / bias2Sqrt + eps);
  }
}
