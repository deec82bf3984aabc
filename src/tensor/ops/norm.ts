import type { Backend } from '../backend.js';
import { backendOf } from '../dispatch.js';
import { ShapeError, formatShape } from '../errors.js';
import { record } from '../record.js';
import { Tensor, allocateTensor, outputTensor } from '../tensor.js';

function checkAffine(op: string, x: Tensor, ...params: (Tensor | null)[]): { rows: number; cols: number } {
  const cols = x.shape[x.rank - 1] ?? 1;
  for (const p of params) {
    if (p && (p.rank !== 1 || p.shape[0] !== cols)) {
      throw new ShapeError(op, `parameter of shape ${formatShape(p.shape)} does not match the last dimension of input ${formatShape(x.shape)} (${cols})`);
    }
  }
  return { rows: cols === 0 ? 0 : x.size / cols, cols };
}

/** The gradient of an optional parameter, when it wants one. */
const gradFor = (backend: Backend, p: Tensor | null) => (p?.requiresGrad ? allocateTensor(backend, p.shape) : null);

/** Layer normalisation over the last dimension, with optional weight and bias. */
export function layerNorm(x: Tensor, weight: Tensor | null, bias: Tensor | null, eps = 1e-5): Tensor {
  const { rows, cols } = checkAffine('layerNorm', x, weight, bias);
  const backend = backendOf('layerNorm', x, weight, bias);
  const out = outputTensor(backend, x.shape);
  const mean = backend.allocateUninitialized(rows);
  const rstd = backend.allocateUninitialized(rows);
  backend.layerNorm(x.buffer, weight?.buffer ?? null, bias?.buffer ?? null, rows, cols, eps, out.buffer, mean, rstd);
  const inputs = [x, weight, bias].filter((t): t is Tensor => t !== null);
  return record('layerNorm', inputs, out, (g) => {
    const dx = outputTensor(backend, x.shape);
    const dWeight = gradFor(backend, weight);
    const dBias = gradFor(backend, bias);
    backend.layerNormBackward(x.buffer, weight?.buffer ?? null, mean, rstd, g.buffer, rows, cols, dx.buffer,
      dWeight?.buffer ?? null, dBias?.buffer ?? null);
    return [dx, ...(weight ? [dWeight] : []), ...(bias ? [dBias] : [])];
  }, [mean, rstd]);
}

/** RMS normalisation over the last dimension (Llama), with an optional weight. */
export function rmsNorm(x: Tensor, weight: Tensor | null, eps = 1e-6): Tensor {
  const { rows, cols } = checkAffine('rmsNorm', x, weight);
  const backend = backendOf('rmsNorm', x, weight);
  const out = outputTensor(backend, x.shape);
  const rstd = backend.allocateUninitialized(rows);
  backend.rmsNorm(x.buffer, weight?.buffer ?? null, rows, cols, eps, out.buffer, rstd);
  const inputs = [x, weight].filter((t): t is Tensor => t !== null);
  return record('rmsNorm', inputs, out, (g) => {
    const dx = outputTensor(backend, x.shape);
    const dWeight = gradFor(backend, weight);
    backend.rmsNormBackward(x.buffer, weight?.buffer ?? null, rstd, g.buffer, rows, cols, dx.buffer, dWeight?.buffer ?? null);
    return [dx, ...(weight ? [dWeight] : [])];
  }, [rstd]);
}
