// Runs the test suite with node's built-in runner (through tsx for TypeScript).
// `npm test` runs everything under test/; `npm test -- test/tensor` runs one folder or file.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function testFiles(path) {
  if (statSync(path).isFile()) return [path];
  return readdirSync(path)
    .sort()
    .flatMap((name) => {
      const child = join(path, name);
      if (statSync(child).isDirectory()) return testFiles(child);
      return name.endsWith('.test.ts') ? [child] : [];
    });
}

const roots = process.argv.slice(2);
const files = (roots.length > 0 ? roots : ['test']).flatMap(testFiles);
// Resolve tsx from this project, so the suite runs from any working directory.
const tsx = import.meta.resolve('tsx');
const result = spawnSync(process.execPath, ['--import', tsx, '--test', '--test-concurrency=2', ...files], { stdio: 'inherit' });
process.exit(result.status ?? 1);
