/**
 * Builds native/test/kernel_check.cc with every kernel source (against the stand-in napi.h, no
 * Node) for a given compiler, optimisation and defines, and runs programs. Object files are cached
 * under the system's temporary folder by a hash of all that goes into them, so builds that differ
 * in one define share the rest and a rerun with unchanged sources compiles nothing; compilers run
 * at most one per core.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface KernelCheckBuild {
  compiler: string;
  /** '-O0' or '-O2'. */
  optimisation: string;
  defines?: string[];
  /** Include folders searched before the stand-in napi.h and native/src. */
  includes?: string[];
  /** Linker arguments after the objects, e.g. '-lblas'. */
  libraries?: string[];
}

const root = fileURLToPath(new URL('../../', import.meta.url));
const native = (...parts: string[]): string => join(root, 'native', ...parts);
const sources = [
  ...readdirSync(native('src')).filter((f) => f.endsWith('.cc')).map((f) => native('src', f)),
  native('test', 'kernel_check.cc'),
];
const headers = [
  ...readdirSync(native('src')).filter((f) => f.endsWith('.h')).map((f) => native('src', f)),
  native('test', 'napi_stub', 'napi.h'),
  native('test', 'accelerate_stub', 'Accelerate', 'Accelerate.h'),
];
const flags = ['-std=c++17', '-fno-math-errno', '-ffp-contract=off', '-pthread', '-DNODE_ADDON_API_DISABLE_CPP_EXCEPTIONS'];
const cacheDir = join(tmpdir(), 'irlens-kernel-check');

export function runCommand(command: string, args: string[]): Promise<{ status: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => { output += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { output += d.toString(); });
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, output }));
  });
}

let compilersRunning = 0;
const waiting: Array<() => void> = [];

/** Runs a compiler once fewer than one per core are running. */
async function compile(compiler: string, args: string[]): Promise<void> {
  if (compilersRunning >= availableParallelism()) await new Promise<void>((resolve) => waiting.push(resolve));
  compilersRunning++;
  try {
    const { status, output } = await runCommand(compiler, args);
    if (status !== 0) throw new Error(`${compiler} ${args.join(' ')} failed:\n${output}`);
  } finally {
    compilersRunning--;
    waiting.shift()?.();
  }
}

const digest = (...parts: Array<string | Buffer>): string => {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part).update('\0');
  return hash.digest('hex').slice(0, 16);
};

/** Compiles `output` into place atomically, unless a previous run already did. */
async function cached(output: string, compiler: string, args: string[]): Promise<string> {
  if (existsSync(output)) return output;
  const partial = `${output}.${process.pid}.tmp`;
  await compile(compiler, [...args, '-o', partial]);
  renameSync(partial, output);
  return output;
}

/** The path of kernel_check built as `build` says. */
export async function buildKernelCheck(build: KernelCheckBuild): Promise<string> {
  mkdirSync(cacheDir, { recursive: true });
  const options = [build.optimisation, ...flags, ...(build.defines ?? []).map((d) => `-D${d}`),
    ...[...(build.includes ?? []), native('test', 'napi_stub'), native('src')].flatMap((dir) => ['-I', dir])];
  const headerText = headers.map((h) => readFileSync(h));
  const objects = await Promise.all(sources.map((source) => {
    const name = digest(build.compiler, options.join(' '), readFileSync(source), ...headerText);
    return cached(join(cacheDir, `${name}.o`), build.compiler, [...options, '-c', source]);
  }));
  const libraries = build.libraries ?? [];
  const binary = join(cacheDir, `kernel_check-${digest(build.compiler, ...objects, ...libraries)}`);
  return cached(binary, build.compiler, [...objects, '-pthread', ...libraries]);
}
