/**
 * The one way irlens writes its outputs, files and folders alike, with one guarantee: the last
 * good version stays until the new one is complete, flushed to disk and renamed into place. A
 * crash or a full disk at any moment leaves the old version or the complete new one, never a
 * torn mix and never neither (after `recoverInterruptedWrites` for a crash between a folder's
 * two renames, which every reader of written folders runs first).
 *
 * A folder X is written in these steps (a file skips set-aside and remove-old, since renaming a
 * file over another replaces it in one step):
 *   write        fill the hidden sibling `.X.tmp-<pid>-<id>`
 *   sync         fsync every file in it and every folder, so its contents survive a power cut
 *   set-aside    rename the old X, if any, to `.X.old-<pid>-<id>` (a folder cannot be renamed over)
 *   rename       rename the new folder to X: the commit point
 *   sync-parent  fsync X's parent, so the renames survive a power cut
 *   remove-old   delete the old version
 * A step that fails before the commit point undoes what was done (the old X is renamed back, the
 * temporary removed) and throws WriteFailedError naming X; a crash leaves what recovery expects.
 * Files that grow a line at a time (run.log, metrics.jsonl) are appended to with appendToFile,
 * which reports a failure the same way.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { WriteFailedError } from './errors.js';

export type AtomicWriteStep = 'write' | 'sync' | 'set-aside' | 'rename' | 'sync-parent' | 'remove-old';

/** Faults a test injects into a write; production code passes none. */
export interface AtomicWriteFaults {
  /** Called just before a step; an error it throws is that step failing (as ENOSPC would). */
  beforeStep?(step: AtomicWriteStep): void;
  /** Called once a step is done; an error it throws stops the write there with no clean-up, as a crash would. */
  afterStep?(step: AtomicWriteStep): void;
}

/** A folder being written: fill `dir`, then `commit()` it into place, or `abandon()` it. */
export interface StagedFolder {
  readonly dir: string;
  commit(): void;
  /**
   * Removes the unfinished folder after `error` stopped its filling, and returns the error to throw:
   * a file-system error (a full disk ...) as a WriteFailedError naming the destination, not the
   * hidden folder, and saying what is left there; any other error unchanged.
   */
  abandon(error: unknown): unknown;
}

/** What `recoverInterruptedWrites` did about one leftover of an interrupted write. */
export interface RecoveredWrite {
  /** The destination the leftover belonged to. */
  target: string;
  /** The leftover itself. */
  leftover: string;
  action: 'removed-unfinished' | 'restored-previous' | 'removed-previous';
}

const LEFTOVER = /^\.(.+)\.(tmp|old)-\d+-[0-9a-f]+$/;

const sibling = (target: string, kind: 'tmp' | 'old'): string =>
  join(dirname(target), `.${basename(target)}.${kind}-${process.pid}-${randomBytes(4).toString('hex')}`);

/** Writes `chunks` to the file `path`, replacing any old file there only once they are all on disk. */
export function writeFileAtomic(path: string, chunks: readonly Uint8Array[] | string, faults?: AtomicWriteFaults): void {
  recoverInterruptedWrites(dirname(path), basename(path));
  const temporary = sibling(path, 'tmp');
  const parts = typeof chunks === 'string' ? [Buffer.from(chunks, 'utf8')] : chunks;
  const replacing = existsSync(path);
  let fd: number | undefined;
  const closeFile = () => {
    if (fd !== undefined) closeSync(fd);
    fd = undefined;
  };
  runSteps(path, replacing, faults, [
    {
      step: 'write',
      run: () => {
        fd = openSync(temporary, 'wx');
        for (const chunk of parts) writeAll(fd, chunk);
      },
      undo: () => {
        closeFile();
        rmSync(temporary, { force: true });
      },
    },
    { step: 'sync', run: () => (fsyncSync(fd!), closeFile()) },
    { step: 'rename', run: () => renameSync(temporary, path) },
    { step: 'sync-parent', run: () => syncFolder(dirname(path)) },
  ]);
}

/** Writes the folder `folder` with `fill(dir)`, replacing any old folder there only once the new one is complete. */
export function writeFolderAtomic(folder: string, fill: (dir: string) => void, faults?: AtomicWriteFaults): void {
  const staged = stageFolder(folder, faults);
  try {
    faults?.beforeStep?.('write');
    fill(staged.dir);
  } catch (error) {
    throw staged.abandon(error);
  }
  faults?.afterStep?.('write');
  staged.commit();
}

/**
 * Starts writing the folder `folder` (for writers that fill it over time, such as a pipeline stage):
 * first recovers what an interrupted write to it left, then makes an empty hidden sibling to fill.
 */
export function stageFolder(folder: string, faults?: AtomicWriteFaults): StagedFolder {
  const parent = dirname(folder);
  mkdirSync(parent, { recursive: true });
  recoverInterruptedWrites(parent, basename(folder));
  const dir = sibling(folder, 'tmp');
  mkdirSync(dir);
  return {
    dir,
    commit: () => commitFolder(dir, folder, faults),
    abandon: (error) => {
      rmSync(dir, { recursive: true, force: true });
      return failure(folder, existsSync(folder), error);
    },
  };
}

function commitFolder(staging: string, folder: string, faults: AtomicWriteFaults | undefined): void {
  const replacing = existsSync(folder);
  const aside = sibling(folder, 'old');
  runSteps(folder, replacing, faults, [
    { step: 'sync', run: () => syncTree(staging), undo: () => rmSync(staging, { recursive: true, force: true }) },
    ...(replacing ? [{ step: 'set-aside' as const, run: () => renameSync(folder, aside), undo: () => renameSync(aside, folder) }] : []),
    { step: 'rename', run: () => renameSync(staging, folder) },
    { step: 'sync-parent', run: () => syncFolder(dirname(folder)) },
    ...(replacing ? [{ step: 'remove-old' as const, run: () => rmSync(aside, { recursive: true, force: true }) }] : []),
  ]);
}

interface Step {
  step: AtomicWriteStep;
  run(): void;
  /** Reverses the step (and clears up after it when it failed halfway). */
  undo?(): void;
}

/**
 * Runs the steps of a write in order. A step failing before the rename undoes itself and the steps
 * before it, newest first, so the old version stays; any failure becomes a WriteFailedError naming
 * the destination. afterStep faults are called outside that handling, so they act as crashes.
 */
function runSteps(target: string, replacing: boolean, faults: AtomicWriteFaults | undefined, steps: readonly Step[]): void {
  const done: Step[] = [];
  let renamed = false;
  for (const step of steps) {
    try {
      faults?.beforeStep?.(step.step);
      step.run();
    } catch (error) {
      if (!renamed) undoAll([step, ...done.reverse()]);
      throw failure(target, replacing, error, renamed);
    }
    done.push(step);
    renamed ||= step.step === 'rename';
    faults?.afterStep?.(step.step);
  }
}

function undoAll(steps: readonly Step[]): void {
  for (const step of steps) {
    try {
      step.undo?.();
    } catch {
      // What cannot be undone now (an old version left set aside) is put right by recoverInterruptedWrites.
    }
  }
}

/** The error to throw for a failed write: file-system errors become a WriteFailedError naming the destination. */
function failure(target: string, replacing: boolean, error: unknown, renamed = false): unknown {
  const outcome = renamed ? 'new' : replacing ? 'previous' : 'nothing';
  if (error instanceof WriteFailedError) return new WriteFailedError(target, error.code, outcome, error);
  const { code, syscall } = (error ?? {}) as NodeJS.ErrnoException;
  return typeof code === 'string' && typeof syscall === 'string' ? new WriteFailedError(target, code, outcome, error) : error;
}

/**
 * Appends `text` to the file `path`, open as `fd` (run.log, metrics.jsonl: files that grow a line
 * at a time and whose readers skip a torn last line). Writes every byte, or throws a
 * WriteFailedError naming the file; the lines before stay as they were.
 */
export function appendToFile(fd: number, path: string, text: string): void {
  try {
    writeAll(fd, Buffer.from(text, 'utf8'));
  } catch (error) {
    throw failure(path, true, error);
  }
}

function writeAll(fd: number, chunk: Uint8Array): void {
  let written = 0;
  while (written < chunk.byteLength) written += writeSync(fd, chunk, written, chunk.byteLength - written);
}

/** Flushes a folder's entries (names created, renamed or removed in it) to disk. */
function syncFolder(folder: string): void {
  const fd = openSync(folder, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Flushes every file under `folder`, and every folder, to disk. */
function syncTree(folder: string): void {
  for (const entry of readdirSync(folder, { withFileTypes: true })) {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) {
      syncTree(path);
    } else if (entry.isFile()) {
      const fd = openSync(path, 'r');
      try {
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
    }
  }
  syncFolder(folder);
}

/**
 * Clears up after writes in `parent` that a crash interrupted (only those to `name`, when given):
 * unfinished temporaries are removed; a previous version set aside is renamed back when its
 * destination is missing (the crash fell between the two renames) and removed otherwise.
 * Callers run it where no other process writes the same destination at the same time.
 */
export function recoverInterruptedWrites(parent: string, name?: string): RecoveredWrite[] {
  if (!existsSync(parent) || !statSync(parent).isDirectory()) return [];
  const leftovers = readdirSync(parent)
    .map((entry) => ({ entry, match: LEFTOVER.exec(entry) }))
    .filter(({ match }) => match !== null && (name === undefined || match[1] === name))
    .map(({ entry, match }) => ({ leftover: join(parent, entry), target: join(parent, match![1]!), kind: match![2] as 'tmp' | 'old' }));
  const recovered: RecoveredWrite[] = [];
  for (const { leftover, target } of leftovers.filter((l) => l.kind === 'tmp')) {
    rmSync(leftover, { recursive: true, force: true });
    recovered.push({ target, leftover, action: 'removed-unfinished' });
  }
  // Newest first: if several old versions wait (crashes in a row), the latest one is restored.
  const previous = leftovers.filter((l) => l.kind === 'old').sort((a, b) => statSync(b.leftover).mtimeMs - statSync(a.leftover).mtimeMs);
  for (const { leftover, target } of previous) {
    if (existsSync(target)) {
      rmSync(leftover, { recursive: true, force: true });
      recovered.push({ target, leftover, action: 'removed-previous' });
    } else {
      renameSync(leftover, target);
      recovered.push({ target, leftover, action: 'restored-previous' });
    }
  }
  if (recovered.length > 0) syncFolder(parent);
  return recovered;
}
