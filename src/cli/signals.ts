/**
 * Ctrl-C as an abort. Training loops run synchronously, so a SIGINT handler on their thread would
 * never run while they work; long commands (`irlens run`) therefore do their work in a worker
 * thread and keep the main thread free to hear Ctrl-C. The main thread sets a flag in shared
 * memory; in the worker, `sharedAbortSignal` is an AbortSignal whose `aborted` reads that flag, so
 * a loop that checks `signal.aborted` (or calls `throwIfAborted()`) between steps stops there, also
 * in the middle of synchronous work. A second Ctrl-C ends the process at once.
 */

/** A flag in shared memory: 0 running, 1 asked to stop. */
export function createStopFlag(): Int32Array {
  return new Int32Array(new SharedArrayBuffer(4));
}

export function requestStop(flag: Int32Array): void {
  Atomics.store(flag, 0, 1);
}

export const stopRequested = (flag: Int32Array): boolean => Atomics.load(flag, 0) === 1;

function stopReason(): Error {
  const reason = new Error('stopped by Ctrl-C');
  reason.name = 'AbortError';
  return reason;
}

/**
 * An AbortSignal that aborts as soon as anyone looks at it after the flag is set (and, while the
 * thread is idle, within `pollMs`), so listeners and `throwIfAborted()` behave as usual.
 */
export function sharedAbortSignal(flag: Int32Array, pollMs = 100): AbortSignal {
  const controller = new AbortController();
  const signal = controller.signal;
  const proto = AbortSignal.prototype;
  const check = () => {
    if (!signal.aborted && stopRequested(flag)) controller.abort(stopReason());
  };
  const realAborted = Object.getOwnPropertyDescriptor(proto, 'aborted')!.get!;
  const realReason = Object.getOwnPropertyDescriptor(proto, 'reason')!.get!;
  Object.defineProperties(signal, {
    aborted: {
      get() {
        if (!realAborted.call(signal) && stopRequested(flag)) controller.abort(stopReason());
        return realAborted.call(signal) as boolean;
      },
    },
    reason: {
      get() {
        check();
        return realReason.call(signal) as unknown;
      },
    },
    throwIfAborted: {
      value() {
        check();
        proto.throwIfAborted.call(signal);
      },
    },
  });
  const timer = setInterval(() => {
    check();
    if (signal.aborted) clearInterval(timer);
  }, pollMs);
  timer.unref();
  return signal;
}

/** The main thread's side: the first SIGINT (or SIGTERM) sets the flag, the second exits with 130. */
export function stopOnInterrupt(flag: Int32Array, onSecond: () => void, stream: NodeJS.WritableStream = process.stderr): () => void {
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopRequested(flag)) {
      stream.write(`\nirlens: ${signal} again; exiting now (the next run redoes the unfinished stage)\n`);
      onSecond();
      process.exit(130);
    }
    stream.write(`\nirlens: ${signal === 'SIGINT' ? 'Ctrl-C' : signal}: stopping at the next safe point (press Ctrl-C again to exit at once)\n`);
    requestStop(flag);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  };
}
