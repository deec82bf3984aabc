/** Misuse of a metric that the caller can fix: vectors of different lengths, no values, NaN. */
export class MetricInputError extends Error {
  override name = 'MetricInputError';
}
