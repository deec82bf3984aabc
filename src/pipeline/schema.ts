/**
 * A small typed schema for run configs. Each stage describes its own config section with these
 * builders; the sections and the top-level keys are assembled into one schema (see config.ts).
 * Validation fills in defaults and collects every problem with the key path and where the value
 * came from, and suggests the closest valid key for an unknown one.
 *
 *   const rlhfSection = s.object({
 *     learning_rate: s.number({ min: 0, default: 1e-5 }),
 *     steps: s.integer({ min: 1, default: 1000 }),
 *     unfrozen_layers: s.nullable(s.integer({ min: 0 })),
 *   });
 *   type RlhfConfig = Infer<typeof rlhfSection>;
 */
import { closestMatch } from './closest.js';
import { describeOrigin, type ConfigIssue, type ConfigOrigin } from './errors.js';

/** Settings every schema node may have. */
export interface SchemaCommon {
  description?: string;
  default?: unknown;
  /** null is a valid value. */
  nullable?: boolean;
  /** The key may be left out (and stays absent) even without a default. */
  optional?: boolean;
}

export type SchemaNode = SchemaCommon &
  (
    | { kind: 'number'; integer: boolean; min?: number; max?: number; exclusiveMin?: boolean }
    | { kind: 'string'; nonEmpty?: boolean; pattern?: StringPattern }
    | { kind: 'boolean' }
    | { kind: 'enum'; values: readonly string[] }
    | { kind: 'array'; items: SchemaNode; minLength?: number }
    | { kind: 'object'; fields: Readonly<Record<string, SchemaNode>> }
    | { kind: 'record'; values: SchemaNode }
  );

/** A schema node that also carries, for the type checker only, the type of the values it accepts. */
export type Schema<T = unknown> = SchemaNode & { readonly __type?: T };
export type ObjectSchema<T = unknown> = Schema<T> & { kind: 'object' };

/** The type of the values a schema accepts (after defaults are filled in). */
export type Infer<S> = S extends { readonly __type?: infer T } ? T : never;

/** A regular expression a string must match, and how to say it in an error ("a folder name ..."). */
export interface StringPattern {
  regex: RegExp;
  description: string;
}

interface Described<T> {
  description?: string;
  default?: T;
}

export interface NumberOptions extends Described<number> {
  min?: number;
  max?: number;
  /** min itself is not allowed (for "> 0"). */
  exclusiveMin?: boolean;
}

type Fields = Record<string, Schema<any>>;
type ObjectOf<F extends Fields> = { [K in keyof F]: Infer<F[K]> };

/** The schema builders. */
export const s = {
  number: (options: NumberOptions = {}): Schema<number> => ({ kind: 'number', integer: false, ...options }),
  integer: (options: NumberOptions = {}): Schema<number> => ({ kind: 'number', integer: true, ...options }),
  string: (options: Described<string> & { nonEmpty?: boolean; pattern?: StringPattern } = {}): Schema<string> => ({ kind: 'string', ...options }),
  boolean: (options: Described<boolean> = {}): Schema<boolean> => ({ kind: 'boolean', ...options }),
  enum: <const V extends readonly string[]>(values: V, options: Described<V[number]> = {}): Schema<V[number]> => ({
    kind: 'enum',
    values,
    ...options,
  }),
  array: <T>(items: Schema<T>, options: Described<T[]> & { minLength?: number } = {}): Schema<T[]> => ({ kind: 'array', items, ...options }),
  object: <F extends Fields>(fields: F, options: Described<Partial<ObjectOf<F>>> = {}): ObjectSchema<ObjectOf<F>> => ({
    kind: 'object',
    fields,
    ...options,
  }),
  record: <T>(values: Schema<T>, options: Described<Record<string, T>> = {}): Schema<Record<string, T>> => ({
    kind: 'record',
    values,
    ...options,
  }),
  /** Also accepts null. */
  nullable: <T>(schema: Schema<T>, options: Described<T | null> = {}): Schema<T | null> => ({ ...schema, ...options, nullable: true }),
  /** The key may be left out; it is then absent from the resolved config. */
  optional: <T>(schema: Schema<T>): Schema<T | undefined> => ({ ...schema, optional: true }),
};

/** Where each key path's key and value came from; supplied by the config resolver. */
export type OriginLookup = (path: readonly string[], part: 'key' | 'value') => ConfigOrigin | undefined;

export const formatPath = (path: readonly string[]): string => path.join('.');

/** "an integer ≥ 1", "one of 'a', 'b'", "a list of numbers" ... */
export function describeSchema(schema: SchemaNode): string {
  let text: string;
  switch (schema.kind) {
    case 'number': {
      text = schema.integer ? 'an integer' : 'a number';
      const { min, max } = schema;
      if (min !== undefined && max !== undefined) text += ` between ${min} and ${max}`;
      else if (min !== undefined) text += ` ${schema.exclusiveMin ? '>' : '≥'} ${min}`;
      else if (max !== undefined) text += ` ≤ ${max}`;
      if (min !== undefined && max !== undefined && schema.exclusiveMin) text += ` (excluding ${min})`;
      break;
    }
    case 'string':
      text = schema.pattern ? schema.pattern.description : schema.nonEmpty ? 'a non-empty string' : 'a string';
      break;
    case 'boolean':
      text = 'true or false';
      break;
    case 'enum':
      text = `one of ${schema.values.map((v) => `'${v}'`).join(', ')}`;
      break;
    case 'array':
      text = `a list of ${describeSchema(schema.items).replace(/^(a|an|one of) /, (m) => (m === 'one of ' ? 'values, each one of ' : ''))}`;
      break;
    case 'object':
      text = `a mapping with the keys ${Object.keys(schema.fields).join(', ') || '(none)'}`;
      break;
    case 'record':
      text = `a mapping of names to ${describeSchema(schema.values)}`;
      break;
  }
  return schema.nullable ? `${text} or null` : text;
}

function showValue(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return `the string '${value}'`;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return String(value);
}

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const at = (origin: ConfigOrigin | undefined) => (origin === undefined ? '' : ` at ${describeOrigin(origin)}`);
const under = (parent: readonly string[]) => (parent.length === 0 ? 'at the top level' : `under ${formatPath(parent)}`);

/** A deep copy of a JSON-like value (defaults must never be shared between configs). */
export const cloneJson = <T>(value: T): T => (value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T));

/**
 * Checks `value` against `schema`, returning it with defaults filled in, and appends every problem
 * to `issues`.
 */
export function validateAgainst(
  schema: SchemaNode,
  value: unknown,
  issues: ConfigIssue[],
  origin: OriginLookup = () => undefined,
  path: readonly string[] = [],
): unknown {
  const invalid = (extra = '') => {
    const where = origin(path, 'value');
    issues.push({
      kind: 'invalid-value',
      path: formatPath(path),
      origin: where,
      message: `${formatPath(path) || 'the config'}${at(where)}: expected ${describeSchema(schema)}, got ${showValue(value)}${extra}`,
    });
    return value;
  };
  if (value === null) return schema.nullable ? null : invalid();
  switch (schema.kind) {
    case 'number': {
      if (typeof value !== 'number') {
        const looksNumeric = typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value));
        return invalid(looksNumeric ? ' (a quoted number; remove the quotes)' : '');
      }
      if (!Number.isFinite(value)) return invalid();
      if (schema.integer && !Number.isInteger(value)) return invalid();
      if (schema.min !== undefined && (schema.exclusiveMin ? value <= schema.min : value < schema.min)) return invalid();
      if (schema.max !== undefined && value > schema.max) return invalid();
      return value;
    }
    case 'string':
      if (typeof value !== 'string') return invalid(typeof value === 'number' || typeof value === 'boolean' ? ` (quote it: '${value}')` : '');
      if (schema.nonEmpty && value === '') return invalid();
      if (schema.pattern && !schema.pattern.regex.test(value)) return invalid();
      return value;
    case 'boolean':
      return typeof value === 'boolean' ? value : invalid();
    case 'enum': {
      if (typeof value === 'string' && schema.values.includes(value)) return value;
      const suggestion = typeof value === 'string' ? closestMatch(value, schema.values) : undefined;
      return invalid(suggestion === undefined ? '' : `; did you mean '${suggestion}'?`);
    }
    case 'array': {
      if (!Array.isArray(value)) return invalid();
      if (schema.minLength !== undefined && value.length < schema.minLength) return invalid(` with ${value.length} items (at least ${schema.minLength} needed)`);
      return value.map((item, i) => validateAgainst(schema.items, item, issues, origin, [...path, String(i)]));
    }
    case 'record': {
      if (!isPlainObject(value)) return invalid();
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, validateAgainst(schema.values, v, issues, origin, [...path, k])]));
    }
    case 'object': {
      if (!isPlainObject(value)) return invalid();
      const result: Record<string, unknown> = {};
      const known = Object.keys(schema.fields);
      for (const key of Object.keys(value)) {
        if (Object.hasOwn(schema.fields, key)) continue;
        const where = origin([...path, key], 'key');
        const suggestion = closestMatch(key, known);
        const hint =
          suggestion !== undefined
            ? `did you mean '${suggestion}'?`
            : known.length > 0
              ? `the keys there are ${known.map((k) => `'${k}'`).join(', ')}`
              : 'nothing can be set there';
        issues.push({
          kind: 'unknown-key',
          path: formatPath([...path, key]),
          origin: where,
          suggestion,
          message: `unknown key '${key}'${at(where)} ${under(path)}; ${hint}`,
        });
      }
      for (const [key, field] of Object.entries(schema.fields)) {
        const childPath = [...path, key];
        let child = value[key];
        if (child === undefined) {
          if (field.default !== undefined) {
            result[key] = cloneJson(field.default);
            continue;
          }
          if (field.optional) continue;
          if (field.kind === 'object') child = {};
          else {
            issues.push({
              kind: 'missing-key',
              path: formatPath(childPath),
              message: `missing key '${key}' ${under(path)}: expected ${describeSchema(field)}; set it in the config file or with --set ${formatPath(childPath)}=...`,
            });
            continue;
          }
        }
        result[key] = validateAgainst(field, child, issues, origin, childPath);
      }
      return result;
    }
  }
}

/** The schema node at a key path, or where the path leaves the schema (for --set). */
export function schemaAt(
  schema: SchemaNode,
  path: readonly string[],
): { node: SchemaNode } | { unknownAt: number; parent: SchemaNode } {
  let node = schema;
  for (let i = 0; i < path.length; i++) {
    const key = path[i]!;
    if (node.kind === 'object' && Object.hasOwn(node.fields, key)) node = node.fields[key]!;
    else if (node.kind === 'record') node = node.values;
    else if (node.kind === 'array' && /^\d+$/.test(key)) node = node.items;
    else return { unknownAt: i, parent: node };
  }
  return { node };
}
