import { currentBackend, type Tensor } from '../../tensor/index.js';
import { NnError, NonFiniteGradientError } from '../errors.js';
import { usableGrad } from './grad.js';

/**
 * torch.nn.utils.clip_grad_norm_: the global L2 norm of all gradients together (squares summed in
 * float64); when it exceeds maxNorm every gradient is scaled in place by maxNorm / (norm + 1e-6).
 * Returns the norm before clipping. Throws NonFiniteGradientError when it is NaN or infinite.
 */
export function clipGradNorm(params: Iterable<Tensor>, maxNorm: number): number {
  if (!(maxNorm > 0)) throw new NnError(`clipGradNorm: maxNorm must be > 0, got ${maxNorm}`);
  const backend = currentBackend();
  const withGrads: [Tensor, Tensor][] = [];
  for (const p of new Set(params)) {
    const g = usableGrad(p);
    if (g) withGrads.push([p, g]);
  }
  let sumOfSquares = 0;
  let firstNonFinite: string | undefined;
  for (const [p, g] of withGrads) {
    const s = backend.sumSquares(g.data);
    if (!Number.isFinite(s)) firstNonFinite ??= p.name ?? 'an unnamed parameter';
    sumOfSquares += s;
  }
  const totalNorm = Math.sqrt(sumOfSquares);
  if (!Number.isFinite(totalNorm)) throw new NonFiniteGradientError(totalNorm, firstNonFinite);
  const coefficient = maxNorm / (totalNorm + 1e-6);
  if (coefficient < 1) for (const [, g] of withGrads) backend.scaleInPlace(g.data, coefficient);
  return totalNorm;
}
