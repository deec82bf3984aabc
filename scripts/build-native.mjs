// Builds the C++ kernels (native/) with node-gyp during `npm ci`. A failed build is not fatal:
// irlens then runs on the pure TypeScript reference backend and says so when it starts.
import { spawnSync } from 'node:child_process';

if (process.env.IRLENS_SKIP_NATIVE === '1') {
  console.warn('irlens: IRLENS_SKIP_NATIVE=1, not building the native kernels.');
  process.exit(0);
}
const result = spawnSync('node-gyp', ['rebuild'], { stdio: 'inherit', shell: true });
if (result.status !== 0) {
  console.warn('\n*** irlens: the native kernels could not be built (node-gyp exited with ' +
    `${result.status}). irlens will run on the slow TypeScript reference backend. ` +
    'Install a C++ compiler (g++), make and python3, then run `npm run install` in the irlens folder. ***\n');
}
