/** Reading a request's JSON fields with their types checked: a wrong one is a 400 naming the field. */
import { HttpError } from './http.js';

/** The body as an object, or 400. */
export function requestObject(body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new HttpError(400, 'the request body must be a JSON object');
  return body as Record<string, unknown>;
}

interface Range<T> {
  min?: number;
  max?: number;
  exclusiveMin?: boolean;
  default: T;
}

/** A finite number field inside the range; absent or null: the default. */
export function number(body: Record<string, unknown>, field: string, range: Range<number>): number {
  const value = body[field];
  if (value == null) return range.default;
  const low = range.min === undefined || (range.exclusiveMin ? (value as number) > range.min : (value as number) >= range.min);
  if (typeof value !== 'number' || !Number.isFinite(value) || !low || (range.max !== undefined && value > range.max)) {
    const bounds = [range.min !== undefined ? `${range.exclusiveMin ? '>' : '≥'} ${range.min}` : '', range.max !== undefined ? `≤ ${range.max}` : ''].filter(Boolean).join(' and ');
    throw new HttpError(400, `\`${field}\` must be a number${bounds ? ` ${bounds}` : ''}, got ${JSON.stringify(value)}`);
  }
  return value;
}

/** A whole-number field inside the range; absent or null: the default. */
export function integer(body: Record<string, unknown>, field: string, range: Range<number>): number {
  const value = number(body, field, range);
  if (!Number.isSafeInteger(value)) throw new HttpError(400, `\`${field}\` must be a whole number, got ${JSON.stringify(body[field])}`);
  return value;
}

export function boolean(body: Record<string, unknown>, field: string, fallback: boolean): boolean {
  const value = body[field];
  if (value == null) return fallback;
  if (typeof value !== 'boolean') throw new HttpError(400, `\`${field}\` must be true or false, got ${JSON.stringify(value)}`);
  return value;
}
