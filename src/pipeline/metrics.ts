/**
 * metrics.jsonl: one JSON object per line, `{stage, step?, time, ...values}`, appended with one
 * write per line. A run killed mid-write leaves a torn last line: the reader skips it, and the
 * writer cuts it off before appending, so it never merges with the next record. trainingReporter
 * turns a training loop's per-step report into these records and run.log lines.
 */
import { closeSync, existsSync, readFileSync } from 'node:fs';
import { appendToFile, writeFileAtomic } from '../io/atomic.js';
import { openForAppending, parseJsonLines } from '../io/json-lines.js';
import type { TrainMetrics } from '../train/index.js';
import { PipelineError } from './errors.js';
import type { Logger } from './log.js';

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

export class MetricsWriter {
  private fd: number | undefined;

  constructor(readonly path: string) {
    this.fd = openForAppending(path);
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
    this.fd = openForAppending(this.path);
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
  const records = parseJsonLines<unknown>(readFileSync(path, 'utf8'), (line) => new PipelineError(`${path}:${line}: not a JSON object; the metrics file is damaged (delete the line to go on)`));
  return records.filter((record, i): record is MetricRecord => {
    if (typeof record !== 'object' || record === null || typeof (record as MetricRecord).stage !== 'string') {
      throw new PipelineError(`${path}: record ${i + 1}: a metrics record must be a JSON object with a 'stage'`);
    }
    return options.stage === undefined || (record as MetricRecord).stage === options.stage;
  });
}

/** Reports training progress to the stage's metrics and, every `logEvery` steps and at evaluations, its log. */
export function trainingReporter(ctx: { log: Logger; metrics: StageMetrics }, what: string, logEvery: number): (m: TrainMetrics) => void {
  return (m) => {
    const values: Record<string, number> = { loss: m.loss, lr: m.lr, grad_norm: m.gradNorm, tokens_per_second: m.tokensPerSecond };
    if (m.evalLoss !== undefined) values.eval_loss = m.evalLoss;
    if (m.evalAccuracy !== undefined) values.eval_accuracy = m.evalAccuracy;
    ctx.metrics.write(values, m.step);
    if (m.step % logEvery === 0 || m.evalLoss !== undefined) {
      const extra = m.evalLoss !== undefined ? `, held-out loss ${m.evalLoss.toFixed(3)}${m.evalAccuracy !== undefined ? `, accuracy ${m.evalAccuracy.toFixed(3)}` : ''}` : '';
      ctx.log.info(`${what} step ${m.step}: loss ${m.loss.toFixed(3)}${extra} (${Math.round(m.tokensPerSecond)} tokens/s)`);
    }
  };
}
