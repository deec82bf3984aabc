import { ShapeError, formatShape } from '../errors.js';
import { record } from '../record.js';
import { allocate, currentBackend } from '../registry.js';
import { Tensor } from '../tensor.js';

function checkAffine(op: string, x: Tensor, ...params: (Tensor | null)[]): { rows: number; cols: number } {
  const cols = x.shape[x.rank - 1] ?? 1;
  for (const p of params) {
    if (p && (p.rank !== 1 || p.shape[0] !== cols)) {
      throw new ShapeError(op, `parameter of shape ${formatShape(p.shape)} does not match the last dimension of input ${formatShape(x.shape)} (${cols})`);
    }
  }
  return { rows: cols === 0 ? 0 : x.size / cols, cols };
}

const gradBuffer = (p: Tensor | null) => (p?.requiresGrad ? allocate(p.size) : null);
const asGrad = (buffer: Float32Array | null, p: Tensor | null) => (buffer && p ? new Tensor(buffer, p.shape) : null);

/** Layer normalisation over the last dimension, with optional weight and bias. */
export function layerNorm(x: Tensor, weight: Tensor | null, bias: Tensor | null, eps = 1e-5): Tensor {
  const { rows, cols } = checkAffine('layerNorm', x, weight, bias);
  const out = new Tensor(allocate(x.size), x.shape);
  const mean = allocate(rows);
  const rstd = allocate(rows);
  currentBackend().layerNorm(x.buffer, weight?.buffer ?? null, bias?.buffer ?? null, rows, cols, eps, out.buffer, mean, rstd);
  const inputs = [x, weight, bias].filter((t): t is Tensor => t !== null);
  return record('layerNorm', inputs, out, (g) => {
    const dx = allocate(x.size);
    const dWeight = gradBuffer(weight);
    const dBias = gradBuffer(bias);
    currentBackend().layerNormBackward(x.buffer, weight?.buffer ?? null, mean, rstd, g.buffer, rows, cols, dx, dWeight, dBias);
    return [new Tensor(dx, x.shape), ...(weight ? [asGrad(dWeight, weight)] : []), ...(bias ? [asGrad(dBias, bias)] : [])];
  }, [mean, rstd]);
}

/** RMS normalisation over the last dimension (Llama), with an optional weight. */
export function rmsNorm(x: Tensor, weight: Tensor | null, eps = 1e-6): Tensor {
  const { rows, cols } = checkAffine('rmsNorm', x, weight);
  const out = new Tensor(allocate(x.size), x.shape);
  const rstd = allocate(rows);
  currentBackend().rmsNorm(x.buffer, weight?.buffer ?? null, rows, cols, eps, out.buffer, rstd);
  const inputs = [x, weight].filter((t): t is Tensor => t !== null);
  return record('rmsNorm', inputs, out, (g) => {
    const dx = allocate(x.size);
    const dWeight = gradBuffer(weight);
    currentBackend().rmsNormBackward(x.buffer, weight?.buffer ?? null, rstd, g.buffer, rows, cols, dx, dWeight);
    return [new Tensor(dx, x.shape), ...(weight ? [asGrad(dWeight, weight)] : [])];
  }, [rstd]);
}
