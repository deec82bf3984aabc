// The C++ kernels built for aarch64 Linux (NEON GEMM, vector loops without target_clones) and run
// under qemu-user against the reference backend, so the ARM paths are tested on every CI run on
// this x86-64 machine. native/test/kernel_check.cc replays the calls test/helpers/kernel-cases.ts
// records (every kernel on awkward shapes, with 1 and 2 threads, which must agree bit for bit).
// The same program also runs natively, which checks the program and its cases against the x86-64
// kernels (built with -O0 to halve the compile time: native-kernels and native-gemm test the
// optimised x86-64 build through the addon), and once more with the macOS Accelerate GEMM's glue
// calling Debian's reference CBLAS in place of Accelerate.
//
// Tools: g++-aarch64-linux-gnu and qemu-user for the first test, g++ for the others, libblas-dev
// for the last (Debian packages; .ci/run installs them). Without them a test skips, except with
// CI=true (or IRLENS_BACKEND=native, for g++), where it fails. The aarch64 program is compiled
// with -O2, as the addon's vector code is optimised.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildKernelCheck, runCommand } from '../helpers/kernel-check-build.js';
import { kernelCases } from '../helpers/kernel-cases.js';
import { skipUnlessNative } from '../helpers/native.js';

const cross = { compiler: 'aarch64-linux-gnu-g++', qemu: 'qemu-aarch64', sysroot: '/usr/aarch64-linux-gnu' };
const accelerateStub = fileURLToPath(new URL('../../native/test/accelerate_stub', import.meta.url));

const has = (command: string): boolean => spawnSync('sh', ['-c', 'command -v "$1"', 'sh', command]).status === 0;
const hasCblas = (): boolean => has('g++') && spawnSync('g++', ['-E', '-x', 'c++', '-'], { input: '#include <cblas.h>\n' }).status === 0;

/** Why a test cannot run here, or false; throws when CI=true requires it. */
function skipUnlessInstalled(present: boolean, missing: string, packages: string): string | false {
  if (present) return false;
  if (process.env.CI === 'true') throw new Error(`${missing}, and CI=true requires it: apt-get install ${packages}`);
  return `${missing}; apt-get install ${packages} to run this test`;
}

const crossSkip = skipUnlessInstalled(has(cross.compiler) && has(cross.qemu), `${cross.compiler} or ${cross.qemu} not found`,
  'g++-aarch64-linux-gnu qemu-user');
const nativeSkip = skipUnlessNative(has('g++'), 'g++ not found');
const cblasSkip = nativeSkip || skipUnlessInstalled(hasCblas(), 'no cblas.h', 'libblas-dev');

// Started at once, so that the compilers keep every core busy.
const crossBuild = crossSkip ? null : buildKernelCheck({ compiler: cross.compiler, optimisation: '-O2' });
const nativeBuild = nativeSkip ? null : buildKernelCheck({ compiler: 'g++', optimisation: '-O0' });
const cblasBuild = cblasSkip ? null : buildKernelCheck({
  compiler: 'g++', optimisation: '-O0', defines: ['IRLENS_ACCELERATE'], includes: [accelerateStub], libraries: ['-lblas'],
});

const casesDir = mkdtempSync(join(tmpdir(), 'irlens-kernel-cases-'));
const casesFile = join(casesDir, 'cases.bin');
const cases = kernelCases();
cases.write(casesFile);
process.on('exit', () => rmSync(casesDir, { recursive: true, force: true }));

async function assertPasses(command: string, args: string[], paths: RegExp): Promise<void> {
  const result = await runCommand(command, [...args, casesFile]);
  assert.equal(result.status, 0, `kernel_check failed:\n${result.output}`);
  assert.match(result.output, new RegExp(`kernel_check: ${cases.size} calls of \\d+ kernels, storage ok;.* 0 failed`));
  assert.match(result.output, paths);
  console.log(result.output.trim());
}

test('every kernel matches the reference on aarch64 (NEON) under qemu-user, with 1 and 2 threads', { skip: crossSkip }, async () => {
  await assertPasses(cross.qemu, ['-L', cross.sysroot, await crossBuild!], /gemm neon, vector loops neon/);
});

test('the same cases pass natively through the same program', { skip: nativeSkip }, async () => {
  await assertPasses(await nativeBuild!, [], /gemm (avx512|avx2|scalar), vector loops/);
});

test("the Accelerate GEMM's CBLAS calls are right (Debian's reference CBLAS standing in for Accelerate)", { skip: cblasSkip }, async () => {
  await assertPasses(await cblasBuild!, [], /gemm accelerate, vector loops/);
});
