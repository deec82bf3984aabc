/**
 * One irlens process per run folder: `<run>/.lock` holds the owner's pid, host and a random token.
 * The lock is created atomically with its content (written to a temporary file, then hard-linked
 * into place, which fails if a lock exists). A lock left by a process that is no longer alive on
 * this host is stale and taken over; a live one is refused with a RunLockedError.
 */
import { randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { RunLockedError } from './errors.js';

export const LOCK_FILE = '.lock';

interface LockContent {
  pid: number;
  host: string;
  token: string;
  startedAt: string;
}

export interface RunLock {
  file: string;
  /** Removes the lock if it is still ours. Safe to call more than once. */
  release(): void;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'; // alive, but someone else's
  }
}

function readLock(file: string): LockContent | undefined | 'missing' {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'missing';
    throw error;
  }
  try {
    const content = JSON.parse(text) as LockContent;
    return Number.isInteger(content.pid) && typeof content.host === 'string' ? content : undefined;
  } catch {
    return undefined;
  }
}

/** Takes the run folder's lock (creating the folder if needed), or throws RunLockedError. */
export function acquireRunLock(runDir: string): RunLock {
  mkdirSync(runDir, { recursive: true });
  const file = join(runDir, LOCK_FILE);
  const content: LockContent = { pid: process.pid, host: hostname(), token: randomBytes(8).toString('hex'), startedAt: new Date().toISOString() };
  const text = JSON.stringify(content) + '\n';
  const temporary = `${file}.${content.token}.tmp`;
  writeFileSync(temporary, text);
  try {
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        linkSync(temporary, file);
        return lockHandle(file, content.token);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') {
          writeFileSync(temporary, text); // our temporary file was cleaned away by the lock holder
          continue;
        }
        if (code !== 'EEXIST') throw error;
      }
      const holder = readLock(file);
      if (holder === 'missing') continue; // released meanwhile
      if (holder === undefined) {
        throw new RunLockedError(file, NaN, '', 'the run folder has a lock file that cannot be read; if no irlens is using this run, delete the file and try again');
      }
      if (holder.host !== content.host) {
        throw new RunLockedError(
          file,
          holder.pid,
          holder.host,
          `the run is locked by process ${holder.pid} on host '${holder.host}' (since ${holder.startedAt}); if no irlens is running there, delete the lock file`,
        );
      }
      if (holder.pid === process.pid || isAlive(holder.pid)) {
        throw new RunLockedError(
          file,
          holder.pid,
          holder.host,
          `another irlens (pid ${holder.pid}, since ${holder.startedAt}) is using this run folder; wait for it to finish or stop it, or use another run name`,
        );
      }
      // Stale: move it aside (atomic), and check that what was moved is the stale lock we judged.
      const aside = `${file}.stale.${content.token}`;
      try {
        renameSync(file, aside);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw error;
      }
      const moved = readLock(aside);
      if (typeof moved === 'object' && moved.token !== holder.token) {
        // Another process took the stale lock over between our read and our rename: give it back.
        try {
          linkSync(aside, file);
        } catch {
          /* it re-locked already */
        }
        rmSync(aside, { force: true });
        throw new RunLockedError(file, moved.pid, moved.host, `another irlens (pid ${moved.pid}) has just taken over this run folder`);
      }
      rmSync(aside, { force: true });
    }
    throw new RunLockedError(file, NaN, '', 'could not take the run folder lock; another irlens keeps taking it');
  } finally {
    rmSync(temporary, { force: true });
  }
}

function lockHandle(file: string, token: string): RunLock {
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    process.off('exit', release);
    const holder = readLock(file);
    if (typeof holder === 'object' && holder.token === token) rmSync(file, { force: true });
  };
  process.on('exit', release);
  return { file, release };
}
