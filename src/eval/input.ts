/**
 * The checks every metric makes on its inputs, so each fails the same way: one value per text in
 * every vector, at least one text, and no NaN or ±Infinity (a diverged reward model's output must
 * not quietly become a number in a report).
 */
import { MetricInputError } from './errors.js';

/** A vector of values, one per text: a plain array or a typed array. */
export type Vector = ArrayLike<number>;

/** Throws unless every vector has the same, non-zero length and only finite values. */
export function checkVectors(metric: string, vectors: Record<string, Vector>): number {
  const entries = Object.entries(vectors);
  const n = entries[0]![1].length;
  for (const [name, values] of entries) {
    if (values.length !== n) {
      const lengths = entries.map(([other, v]) => `${other} has ${v.length}`).join(', ');
      throw new MetricInputError(`${metric}: the vectors differ in length (${lengths}); pass one value per text to each`);
    }
    for (let i = 0; i < n; i++) {
      if (!Number.isFinite(values[i])) throw new MetricInputError(`${metric}: ${name}[${i}] is ${values[i]}; every value must be a finite number`);
    }
  }
  if (n === 0) throw new MetricInputError(`${metric}: no values; evaluate on at least one text`);
  return n;
}

/** Throws unless there is one group id per text. */
export function checkGroups(metric: string, groups: ArrayLike<string | number>, n: number): void {
  if (groups.length !== n) throw new MetricInputError(`${metric}: ${groups.length} group ids for ${n} texts; pass the prompt id of every text`);
}

export function mean(values: Vector): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i]!;
  return sum / values.length;
}

/** Whether every value equals the first exactly (then a correlation is undefined, as in SciPy). */
export function isConstant(values: Vector): boolean {
  for (let i = 1; i < values.length; i++) if (values[i] !== values[0]) return false;
  return true;
}
