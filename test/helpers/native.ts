/**
 * Whether a test of the native kernels may skip. Without the addon it skips, so the suite runs on
 * a machine with no C++ compiler; with IRLENS_BACKEND=native (as CI sets it) the addon is required,
 * and a missing one fails the test file instead of skipping it.
 */
export function skipUnlessNative(available: boolean, missing: string): string | false {
  if (available) return false;
  if (process.env.IRLENS_BACKEND === 'native') {
    throw new Error(`${missing}, and IRLENS_BACKEND=native requires it: build the addon with \`npm rebuild\` (needs g++, make and python3)`);
  }
  return missing;
}
