/**
 * The shared fixtures (../shared/fixtures, or env IRLENS_FIXTURES, resolved against the project
 * root rather than the cwd): where they are, what each folder is, and reading their goldens.
 *
 * Integer goldens (input_ids, attention_mask, ...) are read here straight from the file's bytes,
 * independently of io/'s safetensors reader, so the tokenizer tests do not depend on it; float
 * goldens go through io/'s reader, which the io tests check against files torch wrote.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readSafetensors, type TensorMap } from '../../src/io/index.js';

export const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const fixturesDir = resolve(projectRoot, process.env.IRLENS_FIXTURES ?? '../shared/fixtures');
export const fixture = (...parts: string[]): string => resolve(fixturesDir, ...parts);

export const readJson = <T>(file: string): T => JSON.parse(readFileSync(file, 'utf8')) as T;

/** Every sub-folder of the fixtures folder, sorted by name (hidden folders left out). */
export function listFixtureFolders(root = fixturesDir): string[] {
  if (!existsSync(root) || !statSync(root).isDirectory()) {
    throw new Error(`the fixtures folder ${root} does not exist; set IRLENS_FIXTURES to the folder that holds the fixtures`);
  }
  return readdirSync(root)
    .filter((name) => !name.startsWith('.') && statSync(join(root, name)).isDirectory())
    .sort();
}

/**
 * What a fixture folder holds: a model (config.json + weights + goldens), a tokenizer alone
 * (tokenizer.json + golden.json), or something the suites cannot tell (with the reason).
 */
export type FixtureKind = { kind: 'model' } | { kind: 'tokenizer' } | { kind: 'unknown'; reason: string };

export function classifyFixture(folder: string): FixtureKind {
  const has = (name: string) => existsSync(join(folder, name));
  if (has('config.json')) return { kind: 'model' };
  if (has('tokenizer.json') && has('golden.json')) return { kind: 'tokenizer' };
  const present = readdirSync(folder).sort().join(', ') || 'nothing';
  return {
    kind: 'unknown',
    reason: `it has neither config.json (a model fixture) nor tokenizer.json with golden.json (a tokenizer fixture); it holds ${present}`,
  };
}

interface HeaderEntry {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

/** Rows of an I64 tensor of shape [rows, columns] from a safetensors file. */
export function readIntMatrix(file: string, name: string): number[][] {
  const bytes = readFileSync(file);
  const headerLength = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + headerLength).toString('utf8')) as Record<string, HeaderEntry>;
  const entry = header[name];
  if (entry === undefined) throw new Error(`${file} has no tensor ${name}`);
  if (entry.dtype !== 'I64' || entry.shape.length !== 2) throw new Error(`${name}: expected a 2-D I64 tensor`);
  const [rows, columns] = entry.shape as [number, number];
  const start = 8 + headerLength + entry.data_offsets[0];
  const out: number[][] = [];
  for (let r = 0; r < rows; r++) {
    const row: number[] = [];
    for (let c = 0; c < columns; c++) row.push(Number(bytes.readBigInt64LE(start + 8 * (r * columns + c))));
    out.push(row);
  }
  return out;
}

/** A model fixture's goldens: golden.json's description and golden.safetensors' tensors. */
export interface ModelGoldens {
  folder: string;
  /** golden.json: prompts/texts, padding_side, pad_token_id, greedy_max_new_tokens, loss, ... */
  json: Record<string, unknown>;
  /** golden.safetensors: inputs and reference outputs (I64 read as int32, F32 as float32). */
  tensors: TensorMap;
}

export function readModelGoldens(folder: string): ModelGoldens {
  for (const name of ['golden.json', 'golden.safetensors']) {
    if (!existsSync(join(folder, name))) throw new Error(`${folder} has config.json but no ${name}; a model fixture needs both`);
  }
  return {
    folder,
    json: readJson<Record<string, unknown>>(join(folder, 'golden.json')),
    tensors: readSafetensors(join(folder, 'golden.safetensors')),
  };
}
