/** Content hashes for fingerprints: canonical JSON, files, and folders (every file, in name order). */
import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync, readdirSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

/** JSON with object keys sorted at every level, so equal values always hash equally. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    typeof v === 'object' && v !== null && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

export const sha256 = (text: string | Uint8Array): string => createHash('sha256').update(text).digest('hex');

export const hashJson = (value: unknown): string => sha256(canonicalJson(value));

const CHUNK = 1 << 20;

/** The SHA-256 of a file's bytes, read in 1 MiB chunks. */
export function hashFile(path: string): string {
  const hash = createHash('sha256');
  const buffer = Buffer.allocUnsafe(CHUNK);
  const fd = openSync(path, 'r');
  try {
    for (;;) {
      const read = readSync(fd, buffer, 0, CHUNK, null);
      if (read === 0) break;
      hash.update(buffer.subarray(0, read));
    }
  } finally {
    closeSync(fd);
  }
  return hash.digest('hex');
}

/** Every regular file under `dir`, as '/'-separated paths relative to it, sorted. */
export function listFiles(dir: string, options: { skip?: (relativePath: string) => boolean } = {}): string[] {
  const files: string[] = [];
  const walk = (folder: string) => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const full = join(folder, entry.name);
      const rel = relative(dir, full).split(sep).join('/');
      if (options.skip?.(rel)) continue;
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile() || (entry.isSymbolicLink() && statSync(full).isFile())) files.push(rel);
    }
  };
  walk(dir);
  return files.sort();
}

/** A file's hash, or for a folder the hash of its files' relative paths and hashes. */
export function hashPath(path: string): string {
  if (!statSync(path).isDirectory()) return hashFile(path);
  return hashJson(listFiles(path).map((file) => [file, hashFile(join(path, file))]));
}
