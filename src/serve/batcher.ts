/**
 * Scoring requests together: each request's texts join one queue, and the reward scores the queue
 * from its head in batches of up to `batchSize` texts, so that many small concurrent requests (as
 * OpenRLHF sends, one query each) share forward passes. A batch that is not full waits up to
 * `maxWaitMs` for more texts (requests arrive one event-loop turn apart, and would otherwise each
 * get a batch of their own). Scoring is synchronous; the batcher yields to the event loop between
 * batches, so the server keeps accepting requests, which join the next batch. The queue is
 * bounded: texts past `maxQueue` are refused at once rather than left to wait.
 */
import { performance } from 'node:perf_hooks';
import type { RewardFunction } from '../reward/index.js';
import { HttpError, UnavailableError } from './errors.js';

export interface BatcherOptions {
  /** Texts per call to the reward. */
  batchSize: number;
  /** Texts that may wait in the queue (not yet in a batch) at any time. */
  maxQueue: number;
  /** How long a batch that is not full waits for more texts, in milliseconds. */
  maxWaitMs: number;
}

/** One request's texts, and where the scores go as its batches finish. */
interface Job {
  texts: readonly string[];
  scores: number[];
  /** How many of its texts have been taken into batches so far. */
  taken: number;
  /** When it joined the queue (performance.now()). */
  arrived: number;
  resolve(scores: number[]): void;
  reject(error: unknown): void;
}

export class ScoreBatcher {
  private readonly queue: Job[] = [];
  private waiting = 0;
  /** A batch is being scored (runBatch schedules the next one). */
  private busy = false;
  /** The timer that will start the next batch, when one is set. */
  private timer: NodeJS.Timeout | null = null;
  /** The metadata of the latest batch the reward scored (what the reward is and how it scores). */
  metadata: Record<string, unknown> = {};
  /** Texts scored since the server started. */
  scored = 0;

  constructor(
    private readonly reward: RewardFunction,
    private readonly options: BatcherOptions,
  ) {}

  /** Texts in the queue, not yet taken into a batch. */
  get queued(): number {
    return this.waiting;
  }

  /** The texts' scores, in order, once every batch holding one of them is scored. */
  score(texts: readonly string[]): Promise<number[]> {
    if (texts.length === 0) return Promise.resolve([]);
    if (texts.length > this.options.maxQueue) {
      throw new HttpError(413, `the request has ${texts.length} texts to score but the queue holds at most ${this.options.maxQueue}; split it into smaller requests, or start the server with a larger --max-queue`);
    }
    if (this.waiting + texts.length > this.options.maxQueue) {
      throw new UnavailableError(`the scoring queue is full (${this.waiting} texts waiting, at most ${this.options.maxQueue}); retry shortly, or start the server with a larger --max-queue`);
    }
    return new Promise((resolve, reject) => {
      this.queue.push({ texts, scores: [], taken: 0, arrived: performance.now(), resolve, reject });
      this.waiting += texts.length;
      this.schedule();
    });
  }

  /** Starts the next batch once it is full, or once the oldest text in it has waited maxWaitMs. */
  private schedule(): void {
    if (this.busy || this.queue.length === 0) return;
    const full = this.waiting >= this.options.batchSize;
    if (this.timer && !full) return;
    if (this.timer) clearTimeout(this.timer);
    const waited = performance.now() - this.queue[0]!.arrived;
    // Even a batch due now starts on a timer, so pending I/O (new requests) runs first.
    this.timer = setTimeout(() => {
      this.timer = null;
      this.runBatch();
    }, full ? 0 : Math.max(0, this.options.maxWaitMs - waited));
  }

  private runBatch(): void {
    this.busy = true;
    const batch = this.takeBatch();
    const texts = batch.flatMap(({ job, from, to }) => job.texts.slice(from, to));
    try {
      const { scores, metadata } = this.reward.score(texts);
      this.metadata = metadata;
      this.scored += texts.length;
      let offset = 0;
      for (const { job, from, to } of batch) {
        job.scores.push(...scores.slice(offset, offset + to - from));
        offset += to - from;
        if (job.scores.length === job.texts.length) job.resolve(job.scores);
      }
    } catch (error) {
      // A batch that fails fails each request with a text in it; the rest of their texts are dropped.
      for (const job of new Set(batch.map((part) => part.job))) this.fail(job, error);
    }
    this.busy = false;
    this.schedule();
  }

  /** Up to batchSize texts from the head of the queue, as slices of the jobs they belong to. */
  private takeBatch(): Array<{ job: Job; from: number; to: number }> {
    const parts: Array<{ job: Job; from: number; to: number }> = [];
    let room = this.options.batchSize;
    while (room > 0 && this.queue.length > 0) {
      const job = this.queue[0]!;
      const from = job.taken;
      const to = Math.min(job.texts.length, from + room);
      parts.push({ job, from, to });
      job.taken = to;
      room -= to - from;
      this.waiting -= to - from;
      if (to === job.texts.length) this.queue.shift();
    }
    return parts;
  }

  private fail(job: Job, error: unknown): void {
    const index = this.queue.indexOf(job);
    if (index >= 0) {
      this.queue.splice(index, 1);
      this.waiting -= job.texts.length - job.taken;
    }
    job.reject(error);
  }
}
