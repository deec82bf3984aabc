/**
 * Geometric comparisons of two rewards as vectors over the same texts: the cosine of the angle
 * between them, and the Euclidean distance, raw (sensitive to the scale and offset a reward
 * cannot determine) and after standardising each vector to mean 0 and standard deviation 1.
 */
import { checkVectors, isConstant, mean, type Vector } from './input.js';

/** x·y / (‖x‖‖y‖); null when either vector is all zeros. */
export function cosineSimilarity(x: Vector, y: Vector): number | null {
  const n = checkVectors('cosineSimilarity', { x, y });
  let xy = 0;
  let xx = 0;
  let yy = 0;
  for (let i = 0; i < n; i++) {
    xy += x[i]! * y[i]!;
    xx += x[i]! * x[i]!;
    yy += y[i]! * y[i]!;
  }
  if (xx === 0 || yy === 0) return null;
  return Math.max(-1, Math.min(1, xy / (Math.sqrt(xx) * Math.sqrt(yy))));
}

/** ‖x − y‖₂ */
export function euclideanDistance(x: Vector, y: Vector): number {
  const n = checkVectors('euclideanDistance', { x, y });
  let sum = 0;
  for (let i = 0; i < n; i++) sum += (x[i]! - y[i]!) ** 2;
  return Math.sqrt(sum);
}

/** (v − mean) / sd with the population sd (n in the denominator), as scikit-learn's StandardScaler. */
function standardise(values: Vector): Float64Array {
  const m = mean(values);
  let squares = 0;
  for (let i = 0; i < values.length; i++) squares += (values[i]! - m) ** 2;
  const sd = Math.sqrt(squares / values.length);
  return Float64Array.from(values, (v) => (v - m) / sd);
}

/**
 * ‖z(x) − z(y)‖₂ with z standardising to mean 0 and population sd 1; it equals √(2n(1 − ρ)) for
 * Pearson's ρ. Null when either vector is constant (it cannot be standardised).
 */
export function standardisedEuclideanDistance(x: Vector, y: Vector): number | null {
  checkVectors('standardisedEuclideanDistance', { x, y });
  if (isConstant(x) || isConstant(y)) return null;
  return euclideanDistance(standardise(x), standardise(y));
}
