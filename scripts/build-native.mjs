// Builds the C++ kernels (native/) with node-gyp during `npm ci`. A failed build is not fatal:
// irlens then runs on the pure TypeScript reference backend and says so when it starts. With
// IRLENS_BACKEND=native (as CI sets it) the kernels are required, so a failed build fails here.
import { spawnSync } from 'node:child_process';
import { arch, platform } from 'node:os';

const required = process.env.IRLENS_BACKEND === 'native';
const fix = 'Install a C++ compiler (g++ or clang; Xcode Command Line Tools on macOS), make and python3, then run `npm rebuild` in the irlens folder.';
// The kernel paths binding.gyp builds for each platform; elsewhere the portable C++ fallbacks.
const paths = {
  'linux x64': 'x86-64 AVX-512/AVX2 kernels',
  'linux arm64': 'aarch64 NEON kernels',
  'darwin arm64': 'NEON kernels with Accelerate for the GEMM',
  'darwin x64': 'portable (scalar) kernels, untested',
};
const target = `${platform()} ${arch()}`;
const tried = `node-gyp rebuild for ${target} (${paths[target] ?? 'portable C++ kernels: an unsupported platform, untested'})`;

if (process.env.IRLENS_SKIP_NATIVE === '1') {
  if (required) {
    console.error('irlens: IRLENS_SKIP_NATIVE=1 and IRLENS_BACKEND=native contradict each other; unset one of them.');
    process.exit(1);
  }
  console.warn('irlens: IRLENS_SKIP_NATIVE=1, not building the native kernels.');
  process.exit(0);
}
const result = spawnSync('node-gyp', ['rebuild'], { stdio: 'inherit', shell: true });
if (result.status !== 0) {
  const failed = `irlens: the native kernels could not be built on ${target}: ${tried} exited with ${result.status}`;
  if (required) {
    console.error(`\n*** ${failed}, and IRLENS_BACKEND=native requires them. ${fix} ***\n`);
    process.exit(1);
  }
  console.warn(`\n*** ${failed}. irlens will run on the TypeScript reference backend, 10–100x slower. ${fix} ` +
    '`irlens doctor` shows what is in use. ***\n');
}
