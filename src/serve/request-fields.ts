/** Reading a request's JSON fields with their types checked: a wrong one is a 400 naming the field. */
import { BadRequestError } from './errors.js';

export const typeName = (value: unknown): string => (value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value);

/** A field that must be a list of strings; `length` when it must match query's. */
export function stringList(body: Record<string, unknown>, field: string, length?: number): string[] {
  const value = body[field];
  if (!Array.isArray(value)) throw new BadRequestError(`"${field}" must be a list of strings, got ${typeName(value)}`);
  const bad = value.findIndex((item) => typeof item !== 'string');
  if (bad >= 0) throw new BadRequestError(`"${field}"[${bad}] must be a string, got ${typeName(value[bad])}`);
  if (length !== undefined && value.length !== length) {
    throw new BadRequestError(`"${field}" has ${value.length} items but "query" has ${length}; send one per query, in the same order`);
  }
  return value as string[];
}

/** The body as a JSON object, or a 400 saying which shape the route takes. */
export function jsonObject(body: unknown, shape: string): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new BadRequestError(`the body must be a JSON object ${shape}, got ${typeName(body)}`);
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
    throw new BadRequestError(`"${field}" must be a number${bounds ? ` ${bounds}` : ''}, got ${JSON.stringify(value)}`);
  }
  return value;
}

/** A whole-number field inside the range; absent or null: the default. */
export function integer(body: Record<string, unknown>, field: string, range: Range<number>): number {
  const value = number(body, field, range);
  if (!Number.isSafeInteger(value)) throw new BadRequestError(`"${field}" must be a whole number, got ${JSON.stringify(body[field])}`);
  return value;
}

export function boolean(body: Record<string, unknown>, field: string, fallback: boolean): boolean {
  const value = body[field];
  if (value == null) return fallback;
  if (typeof value !== 'boolean') throw new BadRequestError(`"${field}" must be true or false, got ${JSON.stringify(value)}`);
  return value;
}
