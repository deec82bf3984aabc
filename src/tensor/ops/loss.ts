import { backendOf } from '../dispatch.js';
import { ShapeError, formatShape } from '../errors.js';
import { needsGrad, record } from '../record.js';
import { Tensor, allocateTensor, isSeedGradient } from '../tensor.js';
import { mul } from './arithmetic.js';

export interface CrossEntropyOptions {
  /** Targets equal to this are skipped (transformers uses -100). */
  ignoreIndex?: number;
}

/**
 * Mean cross-entropy of logits [..., classes] against int32 targets [...], over the targets that
 * are not ignored, as one fused op: the gradient (softmax − one-hot) is made in the same pass.
 */
export function crossEntropy(logits: Tensor, targets: Tensor, options: CrossEntropyOptions = {}): Tensor {
  const classes = logits.shape[logits.rank - 1]!;
  if (targets.dtype !== 'int32' || targets.shape.join() !== logits.shape.slice(0, -1).join()) {
    throw new ShapeError('crossEntropy', `targets must be int32 of shape ${formatShape(logits.shape.slice(0, -1))} for logits ${formatShape(logits.shape)}, got ${targets.dtype} ${formatShape(targets.shape)}`);
  }
  const ignoreIndex = options.ignoreIndex ?? -100;
  for (const t of targets.ids) {
    if (t !== ignoreIndex && (t < 0 || t >= classes)) {
      throw new ShapeError('crossEntropy', `target ${t} is outside 0..${classes - 1} (and is not the ignore index ${ignoreIndex})`);
    }
  }
  const rows = targets.size;
  const backend = backendOf('crossEntropy', logits, targets);
  const dLogits = needsGrad(logits) ? backend.allocate(logits.size) : null;
  // The graph owns the gradient made in the forward until its backward hands it over.
  const saved = dLogits ? [dLogits] : [];
  const out = allocateTensor(backend, []);
  backend.crossEntropy(logits.buffer, targets.idBuffer, rows, classes, ignoreIndex, dLogits, 1, out.buffer);
  return record('crossEntropy', [logits], out, (g) => {
    const grad = new Tensor(saved.pop()!, logits.shape, backend);
    return [isSeedGradient(g) ? grad : mul(grad, g)];
  }, saved);
}
