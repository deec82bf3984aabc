/** Running the `irlens` command line as a child process, as a user would. */
import { execFile, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { projectRoot } from '../helpers/fixtures.js';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

const tsx = import.meta.resolve('tsx');
const main = join(projectRoot, 'src', 'cli', 'main.ts');

/**
 * Runs `irlens ...args` (through tsx) and returns its exit code and output. The hub is off
 * (HF_HUB_OFFLINE=1) unless `env` says otherwise.
 */
export function irlens(args: readonly string[], options: IrlensOptions = {}): Promise<CliRun> {
  return startIrlens(args, options).run;
}

interface IrlensOptions {
  cwd?: string;
  timeoutMs?: number;
  env?: Record<string, string>;
}

/** Starts `irlens ...args` as irlens() does, without waiting: the child (to kill) and its run. */
export function startIrlens(args: readonly string[], options: IrlensOptions = {}): { child: ChildProcess; run: Promise<CliRun> } {
  let child!: ChildProcess;
  const run = new Promise<CliRun>((resolve, reject) => {
    child = execFile(
      process.execPath,
      ['--import', tsx, main, ...args],
      { cwd: options.cwd ?? projectRoot, timeout: options.timeoutMs ?? 120_000, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, HF_HUB_OFFLINE: '1', ...options.env } },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== 'number') return reject(error);
        resolve({ code: typeof error?.code === 'number' ? error.code : 0, stdout, stderr });
      },
    );
  });
  return { child, run };
}

/** A fresh temporary folder, removed after the test file. */
export function temporaryDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'irlens-cli-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A user error: exit 1, one `irlens: ...` message, no stack trace. */
export function describeRun(run: CliRun): string {
  return `exit ${run.code}\n--- stdout\n${run.stdout}\n--- stderr\n${run.stderr}`;
}
