/** Where the real public data sets are: $IRLENS_SHARED (default ../shared) resolved against the project root. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const sharedDir = resolve(projectRoot, process.env.IRLENS_SHARED ?? '../shared');
export const dataFile = (...parts: string[]) => join(sharedDir, 'data', ...parts);

/** A fresh temporary folder and a function that removes it. */
export function temporaryFolder(prefix = 'irlens-data-'): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
