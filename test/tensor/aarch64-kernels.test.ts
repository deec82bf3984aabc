// The C++ kernels built for aarch64 Linux (NEON GEMM, vector loops without target_clones) and run
// under qemu-user against the reference backend, so the ARM paths are tested on every CI run on
// this x86-64 machine. native/test/kernel_check.cc replays the calls test/helpers/kernel-cases.ts
// records (every kernel on awkward shapes, with 1 and 2 threads, which must agree bit for bit);
// the same program also runs natively, which checks the program and its cases against the x86-64
// kernels (built with -O0 to halve the compile time: native-kernels and native-gemm test the
// optimised x86-64 build through the addon).
//
// Needs g++-aarch64-linux-gnu and qemu-user (Debian packages; .ci/run installs them). Without them
// the aarch64 test skips, except with CI=true, where it fails; without g++ the native run skips,
// except with IRLENS_BACKEND=native. The aarch64 program is compiled with
// -O2, as the addon's vector code is optimised; both are cached under the system's temporary folder
// per version of the sources.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { kernelCases } from '../helpers/kernel-cases.js';
import { skipUnlessNative } from '../helpers/native.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const sources = readdirSync(join(root, 'native/src')).filter((f) => f.endsWith('.cc')).map((f) => join(root, 'native/src', f));
const headers = [
  ...readdirSync(join(root, 'native/src')).filter((f) => f.endsWith('.h')).map((f) => join(root, 'native/src', f)),
  join(root, 'native/test/napi_stub/napi.h'),
];
const driver = join(root, 'native/test/kernel_check.cc');
const flags = ['-std=c++17', '-fno-math-errno', '-ffp-contract=off', '-pthread', '-DNODE_ADDON_API_DISABLE_CPP_EXCEPTIONS',
  '-I', join(root, 'native/test/napi_stub'), '-I', join(root, 'native/src')];
const cross = { compiler: 'aarch64-linux-gnu-g++', qemu: 'qemu-aarch64', sysroot: '/usr/aarch64-linux-gnu' };

const has = (command: string): boolean => spawnSync('sh', ['-c', 'command -v "$1"', 'sh', command]).status === 0;

/** Why the aarch64 run cannot happen here, or null; throws when CI=true requires it. */
function crossToolsMissing(): string | null {
  const missing = [cross.compiler, cross.qemu].filter((c) => !has(c));
  if (missing.length === 0) return null;
  const what = `${missing.join(' and ')} not found`;
  if (process.env.CI === 'true') {
    throw new Error(`${what}, and CI=true requires the aarch64 kernel test: apt-get install g++-aarch64-linux-gnu qemu-user`);
  }
  return `${what}; install g++-aarch64-linux-gnu and qemu-user (apt) to test the aarch64 kernels`;
}

function run(command: string, args: string[]): Promise<{ status: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => { output += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { output += d.toString(); });
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, output }));
  });
}

/** kernel_check built with `compiler`, reused while the sources and flags are unchanged. */
async function build(compiler: string, optimisation: string): Promise<string> {
  const hash = createHash('sha256').update(compiler).update(optimisation).update(flags.join(' '));
  for (const file of [...sources, ...headers, driver].sort()) hash.update(file).update(readFileSync(file));
  const dir = join(tmpdir(), 'irlens-kernel-check');
  const binary = join(dir, `${compiler}-${hash.digest('hex').slice(0, 16)}`);
  if (existsSync(binary)) return binary;
  mkdirSync(dir, { recursive: true });
  const partial = `${binary}.${process.pid}.tmp`;
  const { status, output } = await run(compiler, [optimisation, ...flags, ...sources, driver, '-o', partial]);
  assert.equal(status, 0, `${compiler} failed:\n${output}`);
  renameSync(partial, binary);
  return binary;
}

const casesDir = mkdtempSync(join(tmpdir(), 'irlens-kernel-cases-'));
const casesFile = join(casesDir, 'cases.bin');
const cases = kernelCases();
cases.write(casesFile);
process.on('exit', () => rmSync(casesDir, { recursive: true, force: true }));

function assertPassed(result: { status: number | null; output: string }, where: string): void {
  assert.equal(result.status, 0, `kernel_check on ${where} failed:\n${result.output}`);
  assert.match(result.output, new RegExp(`kernel_check: ${cases.size} calls of \\d+ kernels, storage ok;.* 0 failed`));
}

const crossMissing = crossToolsMissing();
const nativeSkip = skipUnlessNative(has('g++'), 'g++ not found');
// Started together so the two compilers use both cores.
const nativeBuild = nativeSkip ? null : build('g++', '-O0');
const crossBuild = crossMissing ? null : build(cross.compiler, '-O2');

test('every kernel matches the reference on aarch64 (NEON) under qemu-user, with 1 and 2 threads', { skip: crossMissing ?? false }, async () => {
  const binary = await crossBuild!;
  const result = await run(cross.qemu, ['-L', cross.sysroot, binary, casesFile]);
  assertPassed(result, 'aarch64 under qemu');
  assert.match(result.output, /gemm neon, vector loops neon/);
  console.log(result.output.trim());
});

test('the same cases pass natively through the same program', { skip: nativeSkip }, async () => {
  const binary = await nativeBuild!;
  const result = await run(binary, [casesFile]);
  assertPassed(result, 'this machine');
  console.log(result.output.trim());
});
