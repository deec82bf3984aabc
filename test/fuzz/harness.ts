/**
 * The harness every fuzz test shares: it feeds a parser generated and mutated inputs and checks
 * that each ends in a correct result or one of the parser's typed errors, within a second, having
 * allocated no more than a bound derived from the input's size.
 *
 * IRLENS_FUZZ_RUNS: inputs per parser (default 2000; `npm run fuzz` runs 20000).
 * IRLENS_FUZZ_SEED: the seed: a fixed one by default, so `npm test` gives the same verdict every
 * day; `npm run fuzz` takes a new one each day (the UTC date, e.g. 20261201) to explore further.
 * Each test prints its seed and outcomes, so a failure replays with IRLENS_FUZZ_SEED set to it.
 */
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import type { TestContext } from 'node:test';
import fc from 'fast-check';

function positiveInteger(name: string, fallback: number): number {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value <= 0) throw new Error(`${name} must be a positive integer, got '${text}'`);
  return value;
}

export const FUZZ_RUNS = positiveInteger('IRLENS_FUZZ_RUNS', 2000);
const today = () => Number(new Date().toISOString().slice(0, 10).replaceAll('-', ''));
export const FUZZ_SEED = process.env.IRLENS_FUZZ_SEED === 'date' ? today() : positiveInteger('IRLENS_FUZZ_SEED', 20261130);

/** A parse longer than this is a hang, unless the target allows more. */
const TIME_LIMIT_MS = 1000;
/** Allocation allowed whatever the input's size (typed arrays of the result, buffers of the reader). */
const ALLOCATION_SLACK = 16 * 1024 * 1024;

type ErrorClass = abstract new (...args: never[]) => Error;

export interface FuzzTarget<T> {
  /** How the report names the parser. */
  name: string;
  inputs: fc.Arbitrary<T>;
  /** Parses one input (usually a file written from it) and returns what was read. */
  parse(input: T): unknown;
  /** The typed errors by which the parser may refuse an input. */
  refusals: readonly ErrorClass[];
  /** The input's size in bytes, which bounds what parsing it may allocate. */
  bytes(input: T): number;
  /** Bytes a parse may allocate per input byte, beyond ALLOCATION_SLACK (default 8). */
  allocationFactor?: number;
  /** A parse longer than this is a hang (default TIME_LIMIT_MS). */
  timeLimitMs?: number;
  /** Checks a result the parser accepted (each tensor as long as its shape says, ...). */
  check?(result: unknown, input: T): void;
}

/** Runs FUZZ_RUNS inputs through the target, fails on the first bad outcome, and reports the tally. */
export async function fuzz<T>(t: TestContext, target: FuzzTarget<T>): Promise<void> {
  const outcomes = new Map<string, number>();
  const factor = target.allocationFactor ?? 8;
  const timeLimit = target.timeLimitMs ?? TIME_LIMIT_MS;
  const started = performance.now();
  await fc.assert(
    fc.asyncProperty(target.inputs, async (input) => {
      const before = process.memoryUsage().arrayBuffers;
      const start = performance.now();
      let outcome = 'ok';
      let result: unknown;
      try {
        result = await target.parse(input);
      } catch (error) {
        if (!target.refusals.some((errorClass) => error instanceof errorClass)) {
          const raw = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
          throw new Error(`${target.name} failed with a raw error instead of a typed one: ${raw}`, { cause: error });
        }
        outcome = (error as Error).name;
      }
      const elapsed = performance.now() - start;
      // A negative delta means a garbage collection ran; only growth is bounded.
      const allocated = process.memoryUsage().arrayBuffers - before;
      const bound = factor * target.bytes(input) + ALLOCATION_SLACK;
      assert.ok(elapsed < timeLimit, `${target.name} took ${elapsed.toFixed(0)} ms on one input (outcome: ${outcome})`);
      assert.ok(allocated <= bound, `${target.name} allocated ${allocated} bytes for a ${target.bytes(input)}-byte input (bound ${bound})`);
      if (outcome === 'ok') target.check?.(result, input);
      outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
    }),
    { seed: FUZZ_SEED, numRuns: FUZZ_RUNS, includeErrorInReport: true },
  );
  const total = [...outcomes.values()].reduce((a, b) => a + b, 0);
  const tally = [...outcomes].sort((a, b) => b[1] - a[1]).map(([name, count]) => `${name} ${count}`).join(', ');
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  t.diagnostic(`${target.name}: ${total} inputs, seed ${FUZZ_SEED}, ${seconds} s: ${tally}`);
}

/** A generated input: its bytes and how it was made, which is what a failure report shows. */
export class Sample {
  constructor(
    readonly bytes: Uint8Array,
    readonly recipe: string,
  ) {}

  [fc.toStringMethod](): string {
    return `${this.recipe} (${this.bytes.byteLength} bytes)`;
  }
}

/** One edit of a byte string, with its description. */
interface Edit {
  describe: string;
  apply(bytes: Uint8Array): Uint8Array;
}

/** Integers that lengths, counts and offsets are often checked against badly. */
const EDGE_INTEGERS = [0n, 1n, 0x7fn, 0x80n, 0xffn, 0xffffn, 2n ** 31n - 1n, 2n ** 31n, 2n ** 32n - 1n, 2n ** 53n - 1n, 2n ** 53n, 2n ** 63n, 2n ** 64n - 1n];
/** Bytes that mean something in JSON, CSV, YAML and pickles. */
const EDGE_BYTES = [0x00, 0xff, 0x7f, 0x80, 0x22, 0x27, 0x2c, 0x3a, 0x0a, 0x0d, 0x7b, 0x7d, 0x5b, 0x5d, 0x2d, 0x30, 0x39, 0x26, 0x2a, 0x21, 0x5c, 0x28, 0x2e, 0x52, 0x63, 0x93];

/**
 * A position: often near the start (where headers are), sometimes near the end (where Parquet and
 * zip keep theirs, counted back as a negative number), sometimes anywhere; clamped to the bytes.
 */
const position = fc.oneof(fc.integer({ min: 0, max: 64 }), fc.integer({ min: 0, max: 4096 }), fc.integer({ min: -64, max: -1 }), fc.nat());
const at = (raw: number, bytes: Uint8Array) => (raw < 0 ? Math.max(0, bytes.byteLength + raw) : raw % (bytes.byteLength + 1));

const concat = (...parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.byteLength;
  }
  return out;
};

const edit: fc.Arbitrary<Edit> = fc.oneof(
  fc.tuple(position, fc.integer({ min: 1, max: 255 })).map(([p, mask]): Edit => ({
    describe: `flip@${p}^${mask}`,
    apply: (b) => {
      const out = b.slice();
      if (out.byteLength > 0) out[at(p, out) % out.byteLength]! ^= mask;
      return out;
    },
  })),
  fc.tuple(position, fc.constantFrom(...EDGE_BYTES)).map(([p, value]): Edit => ({
    describe: `set@${p}=${value}`,
    apply: (b) => {
      const out = b.slice();
      if (out.byteLength > 0) out[at(p, out) % out.byteLength] = value;
      return out;
    },
  })),
  position.map((p): Edit => ({ describe: `truncate@${p}`, apply: (b) => b.slice(0, at(p, b)) })),
  fc.tuple(position, fc.oneof(fc.uint8Array({ minLength: 1, maxLength: 32 }), fc.tuple(fc.constantFrom(...EDGE_BYTES), fc.integer({ min: 1, max: 4096 })).map(([v, n]) => new Uint8Array(n).fill(v)))).map(([p, inserted]): Edit => ({
    describe: `insert@${p}[${inserted.byteLength}]`,
    apply: (b) => concat(b.subarray(0, at(p, b)), inserted, b.subarray(at(p, b))),
  })),
  fc.tuple(position, fc.integer({ min: 1, max: 256 })).map(([p, n]): Edit => ({
    describe: `delete@${p}+${n}`,
    apply: (b) => concat(b.subarray(0, at(p, b)), b.subarray(Math.min(b.byteLength, at(p, b) + n))),
  })),
  fc.tuple(position, fc.integer({ min: 1, max: 512 }), position).map(([from, n, to]): Edit => ({
    describe: `copy@${from}+${n}->${to}`,
    apply: (b) => concat(b.subarray(0, at(to, b)), b.slice(at(from, b), at(from, b) + n), b.subarray(at(to, b))),
  })),
  fc.tuple(position, fc.constantFrom(4, 8), fc.constantFrom(...EDGE_INTEGERS)).map(([p, width, value]): Edit => ({
    describe: `u${width * 8}@${p}=${value}`,
    apply: (b) => {
      const out = b.slice();
      const offset = Math.min(at(p, b), Math.max(0, out.byteLength - width));
      for (let i = 0; i < width && offset + i < out.byteLength; i++) out[offset + i] = Number((value >> BigInt(8 * i)) & 0xffn);
      return out;
    },
  })),
);

/** `base` with one to four random byte edits: flips, truncations, insertions, deletions, copies, integer overwrites. */
export function mutatedBytes(base: Sample): fc.Arbitrary<Sample> {
  return fc.array(edit, { minLength: 1, maxLength: 4 }).map((edits) => new Sample(edits.reduce((bytes, e) => e.apply(bytes), base.bytes), `${base.recipe} with ${edits.map((e) => e.describe).join(', ')}`));
}

// ---------------------------------------------------------------------------------------------
// JSON documents: values replaced, removed and added at paths of a real document.

/** Stands for `depth` nested arrays (or objects), written without JSON.stringify's recursion. */
class Nested {
  constructor(
    readonly depth: number,
    readonly kind: '[' | '{',
  ) {}
}

/** Values that parsers of numbers, strings, paths and nesting get wrong. */
export const nastyJsonValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.constantFrom(-1, 0, 1, 0.5, -0.5, 2 ** 31, 2 ** 32, 2 ** 53, 2 ** 53 + 2, 2 ** 64, 1e300, -1e300, 1e-300),
  fc.constantFrom('', '..', '../x', '/etc/passwd', 'a/../../b', 'C:\\x', '\u0000', '__proto__', 'constructor', 'F32', 'I64', 'BPE', 'gpt_neox', null, true, false, [], {}),
  fc.tuple(fc.integer({ min: 1, max: 20_000 }), fc.constantFrom('[' as const, '{' as const)).map(([depth, kind]) => new Nested(depth, kind)),
  fc.integer({ min: 1, max: 100_000 }).map((n) => 'x'.repeat(n)),
);

type JsonPath = readonly (string | number)[];

/** Paths into `value`: every container's first three children and its last (a vocabulary need not be walked whole). */
function samplePaths(value: unknown, path: JsonPath = [], out: JsonPath[] = []): JsonPath[] {
  out.push(path);
  if (typeof value !== 'object' || value === null) return out;
  const keys: (string | number)[] = Array.isArray(value) ? value.map((_, i) => i) : Object.keys(value);
  const chosen = keys.length <= 4 ? keys : [...keys.slice(0, 3), keys[keys.length - 1]!];
  for (const key of chosen) samplePaths((value as Record<string | number, unknown>)[key], [...path, key], out);
  return out;
}

type JsonEdit = { kind: 'set' | 'delete' | 'add'; path: JsonPath; key: string; value: unknown };

function applyJsonEdit(root: unknown, e: JsonEdit): unknown {
  if (e.path.length === 0 && e.kind === 'set') return e.value;
  const parentPath = e.kind === 'add' ? e.path : e.path.slice(0, -1);
  let parent = root as Record<string | number, unknown>;
  for (const key of parentPath) {
    if (typeof parent !== 'object' || parent === null) return root; // an earlier edit removed the way there
    parent = parent[key] as Record<string | number, unknown>;
  }
  if (typeof parent !== 'object' || parent === null) return root;
  if (e.kind === 'add') {
    if (Array.isArray(parent)) parent.push(e.value);
    else parent[e.key] = e.value;
    return root;
  }
  const last = e.path[e.path.length - 1]!;
  if (e.kind === 'set') parent[last] = e.value;
  else if (Array.isArray(parent)) parent.splice(last as number, 1);
  else delete parent[last];
  return root;
}

/** JSON text, with Nested stand-ins written out as deep nesting. */
export function jsonText(value: unknown): string {
  const marks: Nested[] = [];
  const text = JSON.stringify(value, (_key, v: unknown) => {
    if (!(v instanceof Nested)) return v;
    marks.push(v);
    return `\u0001nested ${marks.length - 1}\u0001`;
  });
  return (text ?? 'null').replace(/"\\u0001nested (\d+)\\u0001"/g, (_, i: string) => {
    const { depth, kind } = marks[Number(i)]!;
    return kind === '[' ? '['.repeat(depth) + ']'.repeat(depth) : '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
  });
}

/** A JSON document with one to three of its values replaced, removed, or given a new sibling. */
export function mutatedJson(base: unknown): fc.Arbitrary<{ value: unknown; recipe: string }> {
  const paths = samplePaths(base);
  const jsonEdit: fc.Arbitrary<JsonEdit> = fc.record({
    kind: fc.constantFrom('set', 'set', 'delete', 'add'),
    path: fc.constantFrom(...paths),
    key: fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('__proto__', 'constructor', 'type', 'dtype', 'weight_map', '__metadata__')),
    value: nastyJsonValue,
  });
  return fc.array(jsonEdit, { minLength: 1, maxLength: 3 }).map((edits) => {
    const value = edits.reduce((doc, e) => applyJsonEdit(doc, e), structuredClone(base));
    const show = (v: unknown) => (v instanceof Nested ? `${v.kind}×${v.depth}` : typeof v === 'string' ? `string[${v.length}] ${JSON.stringify(v.slice(0, 20))}` : (JSON.stringify(v) ?? String(v)).slice(0, 40));
    return { value, recipe: edits.map((e) => `${e.kind} ${e.path.join('.')}${e.kind === 'add' ? `.${e.key}` : ''}${e.kind === 'delete' ? '' : ` = ${show(e.value)}`}`).join('; ') };
  });
}

export const utf8 = (text: string) => new TextEncoder().encode(text);

/** Writes an input file. Removing the old one first is much faster than truncating it on some file systems. */
export function writeInput(file: string, content: Uint8Array | string): void {
  rmSync(file, { force: true });
  writeFileSync(file, content);
}

/**
 * Fuzzes a checkpoint reader: each sample is written to `file` and read back, and must end in
 * tensors that `check` accepts or in a CheckpointError (or one of `refusals`' other classes).
 */
export function fuzzCheckpointFile(
  t: TestContext,
  target: { name: string; inputs: fc.Arbitrary<Sample>; file: string; read(file: string): unknown; check(result: unknown): void; refusals: FuzzTarget<Sample>['refusals'] },
): Promise<void> {
  return fuzz(t, {
    name: target.name,
    inputs: target.inputs,
    parse(sample: Sample) {
      writeInput(target.file, sample.bytes);
      return target.read(target.file);
    },
    refusals: target.refusals,
    bytes: (sample) => sample.bytes.byteLength,
    check: target.check,
  });
}
