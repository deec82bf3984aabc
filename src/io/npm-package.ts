/**
 * Where an installed npm package's files are. The demo world is built from npm-packaged text, and
 * the package's version decides that text, so the world stage declares package.json as an input.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UserError } from '../errors.js';

/** The package.json of an installed npm package. */
export function packageFile(name: string): string {
  // Found from the package's entry point, since a package's "exports" may hide its package.json.
  let dir = dirname(fileURLToPath(import.meta.resolve(name)));
  for (;;) {
    const candidate = join(dir, 'package.json');
    if (existsSync(candidate) && (JSON.parse(readFileSync(candidate, 'utf8')) as { name?: string }).name === name) return candidate;
    const parent = dirname(dir);
    if (parent === dir) throw new UserError(`cannot find the package.json of the npm package ${name}; reinstall the project's dependencies (npm install)`);
    dir = parent;
  }
}

export function packageVersion(name: string): string {
  return (JSON.parse(readFileSync(packageFile(name), 'utf8')) as { version: string }).version;
}
