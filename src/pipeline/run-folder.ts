/**
 * The run folder while a run uses it: its lock, run.log and metrics.jsonl held open, and what
 * interrupted runs left at its top cleared up. Everything is closed and the lock released
 * however the run ends.
 */
import { readdirSync, rmSync, rmdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { recoverInterruptedWrites } from '../io/atomic.js';
import { CHECKPOINTS_DIR } from './checkpoints.js';
import { acquireRunLock } from './lock.js';
import { RunLog, type LogLine } from './log.js';
import { MetricsWriter } from './metrics.js';

export interface OpenRunFolder {
  log: RunLog;
  metrics: MetricsWriter;
}

/** Runs `body` with the folder `runDir` (created if needed) locked and its log and metrics open. */
export async function withRunFolder<T>(runDir: string, onLog: ((line: LogLine) => void) | undefined, body: (folder: OpenRunFolder) => Promise<T>): Promise<T> {
  const lock = acquireRunLock(runDir);
  let log: RunLog | undefined;
  let metrics: MetricsWriter | undefined;
  try {
    log = new RunLog(join(runDir, 'run.log'), onLog);
    metrics = new MetricsWriter(join(runDir, 'metrics.jsonl'));
    return await body({ log, metrics });
  } finally {
    try {
      rmdirSync(join(runDir, CHECKPOINTS_DIR)); // only if empty
    } catch {
      /* missing, or holds checkpoints to resume from */
    }
    metrics?.close();
    log?.close();
    lock.release();
  }
}

/**
 * Clears up what interrupted runs left at the top of the run folder: unfinished stage folders and
 * files (io/atomic.ts's recovery, which also puts back a stage folder a kill caught mid-swap), and
 * the lock's temporary files.
 */
export function removeStaleEntries(runDir: string, log: RunLog): void {
  for (const { target, leftover, action } of recoverInterruptedWrites(runDir)) {
    const what = `${relative(runDir, leftover)}, left by an interrupted run for ${relative(runDir, target)}`;
    log.info(action === 'restored-previous' ? `restored ${what}` : `removed ${what}`);
  }
  for (const entry of readdirSync(runDir, { withFileTypes: true })) {
    if (entry.isFile() && entry.name.startsWith('.lock.') && (entry.name.endsWith('.tmp') || entry.name.startsWith('.lock.stale.'))) {
      rmSync(join(runDir, entry.name), { force: true });
    }
  }
}
