/** Locating the shared fixtures and reading the integer tensors (input_ids, attention_mask) of golden.safetensors. */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const fixturesDir = resolve(projectRoot, process.env.IRLENS_FIXTURES ?? '../shared/fixtures');
export const fixture = (...parts: string[]): string => resolve(fixturesDir, ...parts);

/** Rows of an I64 tensor of shape [rows, columns] from a safetensors file. */
export function readIntMatrix(file: string, name: string): number[][] {
  const bytes = readFileSync(file);
  const headerLength = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + headerLength).toString('utf8')) as Record<
    string, { dtype: string; shape: number[]; data_offsets: [number, number] }
  >;
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

export const readJson = <T>(file: string): T => JSON.parse(readFileSync(file, 'utf8')) as T;
