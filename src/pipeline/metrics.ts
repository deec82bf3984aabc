/**
 * metrics.jsonl: one JSON object per line, `{stage, step?, time, ...values}`, appended with one
 * write per line. A run killed mid-write leaves a torn last line: the reader skips it, and the
 * writer cuts it off before appending, so it never merges with the next record.
 */
import { closeSync, existsSync, fstatSync, ftruncateSync, openSync, readFileSync, readSync } from 'node:fs';
import { appendToFile, writeFileAtomic } from '../io/atomic.js';
import { PipelineError } from './errors.js';

export type MetricValue = number | string | boolean | null | readonly number[];

export interface MetricRecord {
  stage: string;
  step?: number;
  /** ISO-8601 time of writing. */
  time: string;
  [name: string]: unknown;
}

/** What a stage writes its metrics through. */
export interface StageMetrics {
  /** Appends one record for this stage. NaN and ±Infinity are written as null. */
  write(values: Record<string, MetricValue>, step?: number): void;
  /**
   * Drops this stage's records with a step above `step` (a stage resuming from a checkpoint at
   * `step` calls this, so the steps it redoes are not recorded twice), up to `upTo` when given: a
   * stage that runs several trainings one after another gives each its own range of steps, and a
   * training resumed at its end must not drop the ranges of those after it.
   */
  discardAfter(step: number, upTo?: number): void;
}

const RESERVED = new Set(['stage', 'step', 'time']);

/** Cuts a file back to just after its last newline (removing a torn last line). */
function cutTornTail(fd: number): void {
  const size = fstatSync(fd).size;
  if (size === 0) return;
  const chunk = Buffer.alloc(Math.min(size, 1 << 16));
  let end = size;
  while (end > 0) {
    const start = Math.max(0, end - chunk.length);
    const read = readSync(fd, chunk, 0, end - start, start);
    const newline = chunk.subarray(0, read).lastIndexOf(0x0a);
    if (newline >= 0) {
      if (start + newline + 1 !== size) ftruncateSync(fd, start + newline + 1);
      return;
    }
    end = start;
  }
  ftruncateSync(fd, 0);
}

export class MetricsWriter {
  private fd: number | undefined;

  constructor(readonly path: string) {
    this.fd = openSync(path, 'a+');
    cutTornTail(this.fd);
  }

  write(stage: string, values: Record<string, MetricValue>, step?: number): void {
    if (this.fd === undefined) throw new PipelineError(`${this.path}: the metrics writer is closed`);
    for (const key of Object.keys(values)) {
      if (RESERVED.has(key)) throw new PipelineError(`metric name '${key}' is reserved (stage, step and time are set by the pipeline)`);
    }
    const record: Record<string, unknown> = { stage };
    if (step !== undefined) record.step = step;
    record.time = new Date().toISOString();
    Object.assign(record, values);
    appendToFile(this.fd, this.path, JSON.stringify(record) + '\n');
  }

  /** Rewrites the file without the records `drop` selects (atomically). */
  rewriteWithout(drop: (record: MetricRecord) => boolean): void {
    this.close();
    const records = readMetrics(this.path);
    const kept = records.filter((record) => !drop(record));
    if (kept.length !== records.length) writeFileAtomic(this.path, kept.map((record) => JSON.stringify(record) + '\n').join(''));
    this.fd = openSync(this.path, 'a+');
  }

  forStage(stage: string): StageMetrics {
    return {
      write: (values, step) => this.write(stage, values, step),
      discardAfter: (step, upTo = Infinity) => this.rewriteWithout((record) => record.stage === stage && record.step !== undefined && record.step > step && record.step <= upTo),
    };
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

/**
 * Reads metrics.jsonl. A last line that does not parse (a run killed mid-write) is skipped; a bad
 * line anywhere else is an error naming its line number. A missing file reads as no records.
 */
export function readMetrics(path: string, options: { stage?: string } = {}): MetricRecord[] {
  if (!existsSync(path)) return [];
  const lines = readFileSync(path, 'utf8').split('\n');
  const records: MetricRecord[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === '') continue;
    let record: unknown;
    try {
      record = JSON.parse(line);
    } catch {
      const isLast = lines.slice(i + 1).every((rest) => rest.trim() === '');
      if (isLast) break; // torn by a kill
      throw new PipelineError(`${path}:${i + 1}: not a JSON object; the metrics file is damaged (delete the line to go on)`);
    }
    if (typeof record !== 'object' || record === null || typeof (record as MetricRecord).stage !== 'string') {
      throw new PipelineError(`${path}:${i + 1}: a metrics record must be a JSON object with a 'stage'`);
    }
    if (options.stage === undefined || (record as MetricRecord).stage === options.stage) records.push(record as MetricRecord);
  }
  return records;
}
