/**
 * Running a script of test/python/ with a Python that has torch and transformers, for the tests
 * that check irlens's folders in transformers. The Python is env IRLENS_PYTHON (which must then
 * have them), else the first of /tmp/irlens-ci-venv/bin/python, /tmp/peer/bin/python and python3
 * that does. Without one a test reports itself skipped, except in CI (CI=true), where it fails,
 * so that CI cannot pass without running these checks.
 */
import { spawnSync } from 'node:child_process';

/** The status a test/python script exits with when it cannot import torch and transformers. */
const NO_TRANSFORMERS = 3;

/** The Pythons to try: IRLENS_PYTHON alone when set (a user who names one wants that one), else the usual places. */
function pythonCandidates(): { candidates: string[]; required: boolean } {
  const named = process.env.IRLENS_PYTHON;
  if (named) return { candidates: [named], required: true };
  return { candidates: ['/tmp/irlens-ci-venv/bin/python', '/tmp/peer/bin/python', 'python3'], required: process.env.CI === 'true' };
}

/**
 * Runs `script` with `input` as JSON on stdin, with the first Python that has transformers and
 * torch: the script itself is the check, exiting with status 3 when it cannot import them, so
 * that Python starts once. Returns its stdout, or why there is no such Python to run it with.
 */
export function runPythonScript(script: string, input: unknown): { stdout: string } | { skip: string } {
  const { candidates, required } = pythonCandidates();
  for (const python of candidates) {
    const child = spawnSync(python, [script], {
      input: JSON.stringify(input),
      encoding: 'utf8',
      timeout: 300_000,
      maxBuffer: 64 * 1024 * 1024,
      env: { ...process.env, HF_HUB_OFFLINE: '1', TRANSFORMERS_VERBOSITY: 'error', HF_HUB_DISABLE_PROGRESS_BARS: '1' },
    });
    if ((child.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT' || child.status === NO_TRANSFORMERS) continue;
    if (child.status !== 0) throw new Error(`${python} ${script} failed (status ${child.status ?? child.signal}): ${child.stderr.slice(-3000)}`);
    return { stdout: child.stdout };
  }
  const missing = `no Python with transformers and torch (tried ${candidates.join(', ')})`;
  if (required) {
    const why = process.env.IRLENS_PYTHON ? 'IRLENS_PYTHON names it' : 'CI=true requires it';
    throw new Error(`${missing}, and ${why}: point IRLENS_PYTHON at a venv with torch and transformers (python3 -m venv V && V/bin/pip install torch==2.13.0 transformers)`);
  }
  return { skip: `${missing}; set IRLENS_PYTHON to one to run this test` };
}
