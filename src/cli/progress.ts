/**
 * Progress of the command line's long loops (batches generated, texts scored, training steps):
 * a live bar with rate and ETA when stderr is a terminal, a plain line every few seconds (and one
 * at the end) otherwise, so logs and CI stay readable. Everything goes to stderr: stdout is kept
 * for results (and for `--json`, the one JSON document).
 */
import cliProgress from 'cli-progress';
import { formatDuration } from '../io/progress.js';

export interface LoopProgress {
  /** `done` items of the total are finished; `status` is a short note shown after the counts (e.g. "loss 2.31"). */
  update(done: number, status?: string): void;
  /** The loop ended (also when it ended early): release the terminal. */
  stop(): void;
  /** A line printed without breaking the bar. */
  log(line: string): void;
}

export interface ProgressOptions {
  /** What is counted, e.g. "steps", "texts". */
  unit: string;
  /** Where it goes; default process.stderr. */
  stream?: NodeJS.WriteStream;
  /** Plain mode: at most one line per this many milliseconds (default 5000). */
  intervalMs?: number;
  /** Force the mode (default: bar when the stream is a TTY). */
  mode?: 'bar' | 'plain' | 'silent';
}

const rateText = (perSecond: number, unit: string) =>
  `${perSecond >= 10 ? perSecond.toFixed(0) : perSecond >= 1 ? perSecond.toFixed(1) : perSecond.toPrecision(2)} ${unit}/s`;

/** A progress display for a loop of `total` items labelled `label`. */
export function loopProgress(label: string, total: number, options: ProgressOptions): LoopProgress {
  const stream = options.stream ?? process.stderr;
  const mode = options.mode ?? (stream.isTTY ? 'bar' : 'plain');
  const startedAt = Date.now();
  let startCount: number | undefined;
  const rate = (done: number) => {
    const seconds = (Date.now() - startedAt) / 1000;
    return seconds > 0 ? (done - (startCount ?? 0)) / seconds : 0;
  };
  const eta = (done: number) => {
    const r = rate(done);
    return r > 0 ? formatDuration((total - done) / r) : '?';
  };

  if (mode === 'silent') return { update() {}, stop() {}, log() {} };

  if (mode === 'plain') {
    const intervalMs = options.intervalMs ?? 5000;
    let lastLine = 0;
    let last = 0;
    let printed = -1;
    let lastStatus: string | undefined;
    let stopped = false;
    const line = (done: number, status: string | undefined) => {
      const percent = total > 0 ? ` (${Math.floor((100 * done) / total)}%)` : '';
      const parts = [`${label}: ${done}/${total} ${options.unit}${percent}`];
      if (done !== startCount) {
        parts.push(rateText(rate(done), options.unit));
        if (done < total) parts.push(`ETA ${eta(done)}`);
        else parts.push(`in ${formatDuration((Date.now() - startedAt) / 1000)}`);
      }
      if (status) parts.push(status);
      stream.write(`${parts.join(', ')}\n`);
    };
    return {
      update(done, status) {
        startCount ??= done === total ? 0 : done;
        last = done;
        lastStatus = status;
        if (Date.now() - lastLine < intervalMs && done < total) return;
        lastLine = Date.now();
        printed = done;
        line(done, status);
      },
      stop() {
        if (stopped) return;
        stopped = true;
        if (printed !== -1 && last !== printed) line(last, lastStatus);
      },
      log(text) {
        stream.write(`${text}\n`);
      },
    };
  }

  const bar = new cliProgress.SingleBar(
    {
      stream,
      format: ` ${label} {bar} {value}/{total} ${options.unit} | {rate} | ETA {eta_text}{status}`,
      hideCursor: true,
      clearOnComplete: false,
      etaBuffer: 50,
      fps: 10,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  let stopped = false;
  const payload = (done: number, status?: string) => ({
    rate: rateText(rate(done), options.unit),
    eta_text: done >= total ? '0s' : eta(done),
    status: status ? ` | ${status}` : '',
  });
  return {
    update(done, status) {
      if (stopped) return;
      if (!started) {
        started = true;
        startCount = done === total ? 0 : done;
        bar.start(total, done, payload(done, status));
      } else bar.update(done, payload(done, status));
    },
    stop() {
      if (started && !stopped) bar.stop();
      stopped = true;
    },
    log(text) {
      if (started && !stopped) {
        // Clear the bar's line, print, and let the next update redraw it.
        stream.write(`\r\x1b[2K${text}\n`);
        bar.render();
      } else stream.write(`${text}\n`);
    },
  };
}
