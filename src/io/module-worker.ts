/**
 * Worker threads running one of irlens's own modules. Compiled, the module is a .js file beside
 * its caller; under tsx (tests, development) it is the .ts source, and the worker needs the
 * TypeScript loader, which it does not inherit from the `node --import tsx` that started this thread.
 */
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';

/** A worker running the module `path` (relative to `callerUrl`, without its extension). */
export function startModuleWorker(callerUrl: string, path: string, options: WorkerOptions = {}): Worker {
  const extension = extname(fileURLToPath(callerUrl));
  const entry = JSON.stringify(new URL(`${path}${extension}`, callerUrl).href);
  const code = extension === '.ts'
    ? `import('tsx/esm/api').then(({ register }) => { register(); return import(${entry}); });`
    : `import(${entry});`;
  return new Worker(code, { ...options, eval: true });
}
