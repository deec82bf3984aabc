/**
 * Files that grow one JSON object per line (metrics.jsonl, the served-model cache): appended with
 * one write per line, so a kill mid-write can leave only the last line torn. Readers drop such a
 * line; writers cut it off before appending, so it never merges with the next one.
 */
import { fstatSync, ftruncateSync, openSync, readFileSync, readSync } from 'node:fs';
import { UserError } from '../errors.js';

/**
 * The objects of JSONL text. A last line that does not parse is dropped (torn by a kill) unless
 * `lastLineMayBeTorn` is false; a bad line anywhere else is `badLine(its 1-based number)`, thrown.
 */
export function parseJsonLines<T>(text: string, badLine: (line: number) => Error, lastLineMayBeTorn = true): T[] {
  const lines = text.split('\n');
  while (lines.length > 0 && lines.at(-1)!.trim() === '') lines.pop();
  const records: T[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (lines[i]!.trim() === '') continue;
    try {
      records.push(JSON.parse(lines[i]!) as T);
    } catch {
      if (i === lines.length - 1 && lastLineMayBeTorn) break;
      throw badLine(i + 1);
    }
  }
  return records;
}

/** Reads a JSONL file written whole (atomically, as stage outputs are), so every line must parse, the last one too. */
export function readJsonLines<T>(path: string): T[] {
  return parseJsonLines<T>(readFileSync(path, 'utf8'), (line) => new UserError(`${path}:${line}: not valid JSON; the file is damaged: write it again (for a stage's output, run that stage again with --force)`), false);
}

/** Opens a JSONL file for appending (creating it), first cutting a torn last line off. */
export function openForAppending(path: string): number {
  const fd = openSync(path, 'a+');
  cutTornTail(fd);
  return fd;
}

/** Cuts a file back to just after its last newline. */
function cutTornTail(fd: number): void {
  const size = fstatSync(fd).size;
  if (size === 0) return;
  const chunk = Buffer.alloc(Math.min(size, 1 << 16));
  let end = size;
  while (end > 0) {
    const start = Math.max(0, end - chunk.length);
    const read = readSync(fd, chunk, 0, end - start, start);
    const newline = chunk.subarray(0, read).lastIndexOf(0x0a);
    if (newline >= 0) {
      if (start + newline + 1 !== size) ftruncateSync(fd, start + newline + 1);
      return;
    }
    end = start;
  }
  ftruncateSync(fd, 0);
}
