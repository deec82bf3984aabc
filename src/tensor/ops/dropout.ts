import { ShapeError } from '../errors.js';
import { type Tensor, outputTensor } from '../tensor.js';
import { mul } from './arithmetic.js';

/** Anything that yields uniform numbers in [0, 1): nn's seeded Rng. */
export interface UniformSource {
  uniform(): number;
}

/** A uint32 from a uniform source: half of a mask's key. */
const keyWord = (rng: UniformSource): number => Math.floor(rng.uniform() * 4294967296) >>> 0;

/**
 * Inverted dropout: in training, zeroes each element with probability p and scales the rest by
 * 1/(1−p). The mask is drawn on the backend from a key the seeded source gives (Backend.dropoutMask),
 * so each call costs the source two draws, whatever the size of x.
 */
export function dropout(x: Tensor, p: number, rng: UniformSource, training: boolean): Tensor {
  if (!(p >= 0 && p < 1)) throw new ShapeError('dropout', `probability must be in [0, 1), got ${p}`);
  if (!training || p === 0) return x;
  const mask = outputTensor(x.backend, x.shape);
  x.backend.dropoutMask([keyWord(rng), keyWord(rng)], p, 1 / (1 - p), mask.buffer);
  return mul(x, mask);
}
