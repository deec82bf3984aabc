// Builds the C++ kernels (native/) with node-gyp during `npm ci`. A failed build is not fatal:
// irlens then runs on the pure TypeScript reference backend and says so when it starts. With
// IRLENS_BACKEND=native (as CI sets it) the kernels are required, so a failed build fails here.
import { spawnSync } from 'node:child_process';

const required = process.env.IRLENS_BACKEND === 'native';
const fix = 'Install a C++ compiler (g++), make and python3, then run `npm rebuild` in the irlens folder.';

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
  if (required) {
    console.error(`\n*** irlens: the native kernels could not be built (node-gyp exited with ${result.status}) and IRLENS_BACKEND=native requires them. ${fix} ***\n`);
    process.exit(1);
  }
  console.warn('\n*** irlens: the native kernels could not be built (node-gyp exited with ' +
    `${result.status}). irlens will run on the slow TypeScript reference backend. ${fix} ***\n`);
}
