#!/usr/bin/env node
// The irlens command. Runs the compiled CLI that `npm ci` builds into dist/.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const main = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
if (!existsSync(main)) {
  console.error('irlens: dist/ is missing. Run `npm ci` (or `npm run build`) in the irlens folder first.');
  process.exit(2);
}
await import(main);
