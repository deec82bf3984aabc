/** How far an output is from its golden, in the measures the parity suite's tolerances use. */

export interface Difference {
  /** The measured error, in the tolerance's units. */
  error: number;
  /** Where the largest error is, as a flat index. */
  at: number;
  actual: number;
  expected: number;
}

function check(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string): void {
  if (actual.length !== expected.length) throw new Error(`${what}: ${actual.length} values, but the golden has ${expected.length}`);
}

/** max |a − b| / max(1, |b|): absolute for values up to 1, relative above. */
export function scaledDifference(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string): Difference {
  check(actual, expected, what);
  let worst: Difference = { error: 0, at: -1, actual: NaN, expected: NaN };
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const b = expected[i]!;
    const scaled = Math.abs(a - b) / Math.max(1, Math.abs(b));
    // A NaN output must fail, and NaN compares false with everything.
    const error = Number.isNaN(scaled) ? Infinity : scaled;
    if (error > worst.error) worst = { error, at: i, actual: a, expected: b };
  }
  return worst;
}

/**
 * max |a − b| / max(max |b|, floor): the error relative to the golden's largest entry (for
 * gradients). The floor keeps a gradient that is zero in exact arithmetic (e.g. of attention's
 * key bias, which softmax cancels), and so only rounding noise in both, from failing.
 */
export function relativeToLargest(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string, floor = 0): Difference & { largest: number } {
  check(actual, expected, what);
  let largest = 0;
  for (let i = 0; i < expected.length; i++) largest = Math.max(largest, Math.abs(expected[i]!));
  const scale = Math.max(largest, floor);
  let worst = { error: 0, at: -1, actual: NaN, expected: NaN };
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const b = expected[i]!;
    const diff = Math.abs(a - b);
    const error = Number.isNaN(diff) ? Infinity : scale > 0 ? diff / scale : diff;
    if (error > worst.error) worst = { error, at: i, actual: a, expected: b };
  }
  return { ...worst, largest };
}

/** Where flat index `at` is in an array of the given shape, e.g. [1, 4, 33]. */
export function position(at: number, shape: readonly number[]): string {
  const index: number[] = [];
  for (let d = shape.length - 1; d >= 0; d--) {
    index.unshift(at % shape[d]!);
    at = Math.floor(at / shape[d]!);
  }
  return `[${index.join(', ')}]`;
}

export const formatError = (x: number): string => (x === 0 ? '0' : x.toExponential(2));
