/**
 * Reading Parquet with hyparquet in a worker thread, under a deadline. hyparquet trusts what a
 * file says: a negative child count in the footer's schema loops for ever, and a page header
 * without its level lengths makes an offset NaN, after which one byte is read for ever. In a
 * worker such a read can be stopped: past the deadline, or when the worker dies, the thread is
 * ended and the next call starts a fresh one. The deadline counts from the request, so calls are
 * meant to come one at a time, as read.ts makes them.
 */
import type { Worker } from 'node:worker_threads';
import type { FileMetaData } from 'hyparquet';
import { startModuleWorker } from '../io/module-worker.js';
import type { DecodeJob, DecodeReply, DecodeRequest, ParquetFooter } from './parquet-decode-worker.js';

interface DecoderThread {
  worker: Worker;
  /** Settles once the worker has loaded hyparquet; startup does not count against a deadline. */
  ready: Promise<void>;
  pending: Map<number, (reply: DecodeReply | Error) => void>;
  /** Calls in progress: the worker keeps the process alive only while there are some. */
  calls: number;
}

let thread: DecoderThread | undefined;
let nextId = 0;

function startThread(): DecoderThread {
  const worker = startModuleWorker(import.meta.url, './parquet-decode-worker');
  let markReady!: () => void;
  let failStart!: (error: Error) => void;
  const ready = new Promise<void>((resolve, reject) => {
    markReady = resolve;
    failStart = reject;
  });
  ready.catch(() => undefined); // observed by the calls waiting on it
  const self: DecoderThread = { worker, ready, pending: new Map(), calls: 0 };
  const end = (error: Error) => {
    if (thread === self) thread = undefined;
    failStart(error);
    for (const settle of self.pending.values()) settle(error);
    self.pending.clear();
  };
  worker.on('message', (message: 'ready' | DecodeReply) => {
    if (message === 'ready') return markReady();
    self.pending.get(message.id)?.(message);
    self.pending.delete(message.id);
  });
  worker.on('error', end);
  worker.on('exit', (code) => end(new Error(`the Parquet thread stopped (exit code ${code})`)));
  return self;
}

/** Sends one request to the worker; throws with hyparquet's message, or when `deadlineMs` passes. */
async function call(job: DecodeJob, deadlineMs: number): Promise<unknown> {
  const current = (thread ??= startThread());
  current.calls++;
  current.worker.ref();
  try {
    await current.ready;
    const id = nextId++;
    const reply = await new Promise<DecodeReply | Error>((settle) => {
      const timer = setTimeout(() => {
        current.pending.delete(id);
        if (thread === current) thread = undefined;
        void current.worker.terminate();
        settle(new Error(`reading did not finish within ${(deadlineMs / 1000).toFixed(1)} s and was stopped; a corrupt file can make the reader loop for ever`));
      }, deadlineMs);
      current.pending.set(id, (result) => {
        clearTimeout(timer);
        settle(result);
      });
      current.worker.postMessage({ ...job, id } satisfies DecodeRequest);
    });
    if (reply instanceof Error) throw reply;
    if ('error' in reply) throw new Error(reply.error);
    return reply.value;
  } finally {
    if (--current.calls === 0) current.worker.unref();
  }
}

/** The footer of a Parquet file: its row groups and top-level columns. */
export async function readFooter(file: string, deadlineMs: number): Promise<ParquetFooter> {
  return (await call({ kind: 'footer', file }, deadlineMs)) as ParquetFooter;
}

/** The rows [rowStart, rowEnd) of a Parquet file whose footer `metadata` is. */
export async function decodeRows(file: string, metadata: FileMetaData, rowStart: number, rowEnd: number, deadlineMs: number): Promise<Record<string, unknown>[]> {
  return (await call({ kind: 'rows', file, metadata, rowStart, rowEnd }, deadlineMs)) as Record<string, unknown>[];
}
