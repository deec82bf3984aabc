import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | undefined;

/** irlens' version, from the package.json above this file (works from src/ and from dist/). */
export function irlensVersion(): string {
  if (cached !== undefined) return cached;
  let folder = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(folder, 'package.json');
    if (existsSync(candidate)) {
      const json = JSON.parse(readFileSync(candidate, 'utf8')) as { name?: string; version?: string };
      if (json.name === 'irlens' && typeof json.version === 'string') return (cached = json.version);
    }
    const parent = dirname(folder);
    if (parent === folder) return (cached = 'unknown');
    folder = parent;
  }
}
