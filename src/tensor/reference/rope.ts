import type { IdStorage, Storage } from './storage.js';
import { TensorError } from '../errors.js';

/**
 * Rotary position embedding, rotate-half form (GPT-NeoX, Llama). For each head vector and
 * j < half = rotaryDims/2, dims (j, j + half) are rotated by angle = position · base^(-2j/rotaryDims):
 *   out[j]        = x[j]·cos − x[j+half]·sin
 *   out[j + half] = x[j+half]·cos + x[j]·sin
 * Dims ≥ rotaryDims pass through. inverse=true rotates by −angle, which is also the backward
 * (a rotation's transpose is its inverse). Angles are computed in float64.
 */
export function rope(x: Storage, positions: IdStorage, batch: number, heads: number, t: number,
  headDim: number, rotaryDims: number, base: number, out: Storage, inverse: boolean): void {
  if (rotaryDims % 2 !== 0 || rotaryDims < 0 || rotaryDims > headDim) {
    throw new TensorError(`rope: rotaryDims ${rotaryDims} must be even and between 0 and headDim ${headDim}`);
  }
  const half = rotaryDims / 2;
  const sign = inverse ? -1 : 1;
  for (let b = 0; b < batch; b++) {
    for (let h = 0; h < heads; h++) {
      for (let i = 0; i < t; i++) {
        const position = positions[b * t + i]!;
        const rowBase = ((b * heads + h) * t + i) * headDim;
        for (let j = 0; j < half; j++) {
          const angle = position * Math.pow(base, (-2 * j) / rotaryDims);
          const cos = Math.cos(angle);
          const sin = sign * Math.sin(angle);
          const first = x[rowBase + j]!;
          const second = x[rowBase + j + half]!;
          out[rowBase + j] = first * cos - second * sin;
          out[rowBase + j + half] = second * cos + first * sin;
        }
        for (let d = rotaryDims; d < headDim; d++) out[rowBase + d] = x[rowBase + d]!;
      }
    }
  }
}
