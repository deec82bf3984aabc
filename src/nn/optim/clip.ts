import { backendOf, onDevice, type Tensor } from '../../tensor/index.js';
import { NnError, NonFiniteGradientError } from '../errors.js';
import { usableGrad } from './grad.js';

/**
 * torch.nn.utils.clip_grad_norm_: the global L2 norm of all gradients together (squares summed in
 * float64); when it exceeds maxNorm every gradient is scaled in place by maxNorm / (norm + 1e-6).
 * Returns the norm before clipping. Throws NonFiniteGradientError when it is NaN or infinite.
 */
export function clipGradNorm(params: Iterable<Tensor>, maxNorm: number): number {
  if (!(maxNorm > 0)) throw new NnError(`clipGradNorm: maxNorm must be > 0, got ${maxNorm}`);
  const withGrads: [Tensor, Tensor][] = [];
  for (const p of new Set(params)) {
    const g = usableGrad(p);
    if (g) withGrads.push([p, g]);
  }
  const [first, ...rest] = withGrads.map(([, g]) => g);
  if (!first) return 0; // no gradient: a norm of 0 and nothing to scale
  const backend = backendOf('clipGradNorm', first, ...rest);
  // The one host read of a clipping step: every gradient's squares summed on the backend.
  const squares = (gs: [Tensor, Tensor][]) => backend.sumSquares(gs.map(([, g]) => g.buffer));
  const totalNorm = Math.sqrt(squares(withGrads));
  if (!Number.isFinite(totalNorm)) {
    const culprit = withGrads.find((pair) => !Number.isFinite(squares([pair])));
    throw new NonFiniteGradientError(totalNorm, culprit && (culprit[0].name ?? 'an unnamed parameter'));
  }
  const coefficient = maxNorm / (totalNorm + 1e-6);
  if (coefficient < 1) onDevice('gradient clipping', () => withGrads.forEach(([, g]) => backend.scaleInPlace(g.buffer, coefficient)));
  return totalNorm;
}
