/**
 * Reading a run folder's files for the report: a file that is not there reads as undefined (the
 * stage did not run), one that is there but does not parse is a RunFileError naming it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { parseJsonLines } from '../io/json-lines.js';
import { RunFileError } from './errors.js';

export function readTextFile(path: string): string | undefined {
  if (!existsSync(path)) return undefined;
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new RunFileError(path, (error as Error).message);
  }
}

export function readJsonFile<T>(path: string): T | undefined {
  const text = readTextFile(path);
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as T;
  } catch (error) {
    throw new RunFileError(path, `not JSON: ${(error as Error).message}`);
  }
}

/**
 * One object per line. A last line that does not parse is skipped: metrics.jsonl is appended to
 * while a run goes on, and a run killed mid-write leaves a torn last line.
 */
export function readJsonLines<T>(path: string): T[] | undefined {
  const text = readTextFile(path);
  return text === undefined ? undefined : parseJsonLines<T>(text, (line) => new RunFileError(path, `line ${line} is not JSON`));
}
