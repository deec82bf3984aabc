/** Misuse of a metric that the caller can fix: vectors of different lengths, no values, NaN. */
import { UserError } from '../errors.js';
export class MetricInputError extends UserError {
  override name = 'MetricInputError';
}
