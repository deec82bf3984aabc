import { ShapeError } from '../errors.js';
import { Tensor } from '../tensor.js';
import { mul } from './arithmetic.js';

/** Anything that yields uniform numbers in [0, 1): nn's seeded Rng. */
export interface UniformSource {
  uniform(): number;
}

/** Inverted dropout: in training, zeroes each element with probability p and scales the rest by 1/(1−p). */
export function dropout(x: Tensor, p: number, rng: UniformSource, training: boolean): Tensor {
  if (!(p >= 0 && p < 1)) throw new ShapeError('dropout', `probability must be in [0, 1), got ${p}`);
  if (!training || p === 0) return x;
  const keep = 1 / (1 - p);
  // The mask is drawn on the host (a device backend would need a random-number kernel).
  const mask = new Float32Array(x.size);
  for (let i = 0; i < mask.length; i++) mask[i] = rng.uniform() < p ? 0 : keep;
  return mul(x, new Tensor(x.backend.fromHost(mask), x.shape, x.backend));
}
