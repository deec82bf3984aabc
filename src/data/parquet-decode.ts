/**
 * Decoding Parquet row groups in a worker thread, under a deadline. hyparquet trusts the page
 * headers it reads, and a corrupt one can send it into an endless loop (a missing length makes an
 * offset NaN, and one byte is then read for ever) or grow an array without bound. In a worker
 * such a decode can be stopped: past the deadline, or when the worker dies, the thread is ended
 * and the next call starts a fresh one. The deadline counts from the request, so calls are meant
 * to come one at a time, as read.ts makes them.
 */
import type { Worker } from 'node:worker_threads';
import { startModuleWorker } from '../io/module-worker.js';
import type { DecodeReply, DecodeRequest } from './parquet-decode-worker.js';

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
  worker.on('exit', (code) => end(new Error(`the decoding thread stopped (exit code ${code})`)));
  return self;
}

/** The rows [rowStart, rowEnd) of a Parquet file; throws with the decoder's message, or when `deadlineMs` passes. */
export async function decodeRows(request: Omit<DecodeRequest, 'id'>, deadlineMs: number): Promise<Record<string, unknown>[]> {
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
        settle(new Error(`decoding did not finish within ${(deadlineMs / 1000).toFixed(1)} s and was stopped; a corrupt page can make the decoder loop for ever`));
      }, deadlineMs);
      current.pending.set(id, (result) => {
        clearTimeout(timer);
        settle(result);
      });
      current.worker.postMessage({ id, ...request } satisfies DecodeRequest);
    });
    if (reply instanceof Error) throw reply;
    if ('error' in reply) throw new Error(reply.error);
    return reply.rows;
  } finally {
    if (--current.calls === 0) current.worker.unref();
  }
}
