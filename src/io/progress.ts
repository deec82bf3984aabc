/**
 * Download progress, behind a small interface so callers (and tests) choose how it is shown:
 * a live bar with rate and ETA on a terminal, a plain line every few seconds in a log file or CI,
 * or nothing at all.
 */
import cliProgress from 'cli-progress';

/** Progress of one file. `received` counts all bytes on disk, including those from an earlier try. */
export interface FileProgress {
  update(received: number): void;
  /** The file is complete (or was found complete). */
  done(): void;
  /** The transfer stopped with an error (it may be retried). */
  fail(reason: string): void;
}

export interface DownloadReporter {
  /** A file starts (or resumes) downloading; `total` is its size when known, `already` the bytes kept from before. */
  start(file: string, total: number | undefined, already: number): FileProgress;
  /** A one-line remark, e.g. "using the cached snapshot". */
  note(message: string): void;
  /** No more files will be reported: release the terminal. */
  close(): void;
}

const NO_PROGRESS: FileProgress = { update() {}, done() {}, fail() {} };

/** Reports nothing. */
export const silentReporter: DownloadReporter = {
  start: () => NO_PROGRESS,
  note() {},
  close() {},
};

/** `1536` → `1.5 KiB`. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(value < 10 ? 2 : 1)} ${units[unit]}`;
}

/** Seconds → `1h02m`, `3m05s`, `12s`. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  if (s >= 3600) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  if (s >= 60) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${s}s`;
}

/** Bytes per second over this session (bytes kept from an earlier try do not count). */
class RateMeter {
  private readonly startedAt = Date.now();
  constructor(private readonly already: number) {}
  rate(received: number): number {
    const seconds = (Date.now() - this.startedAt) / 1000;
    return seconds > 0 ? (received - this.already) / seconds : 0;
  }
}

export interface PlainReporterOptions {
  /** Where the lines go; stderr by default. */
  stream?: NodeJS.WritableStream;
  /** At most one progress line per file per this many milliseconds (default 5000). */
  intervalMs?: number;
}

/** One line when a file starts, a progress line every few seconds, one when it ends: for logs and CI. */
export function plainReporter(options: PlainReporterOptions = {}): DownloadReporter {
  const stream = options.stream ?? process.stderr;
  const intervalMs = options.intervalMs ?? 5000;
  const write = (line: string) => stream.write(`${line}\n`);
  return {
    start(file, total, already) {
      const meter = new RateMeter(already);
      let lastLine = Date.now();
      let received = already;
      const size = total === undefined ? 'unknown size' : formatBytes(total);
      write(already > 0 ? `downloading ${file} (${size}), resuming at ${formatBytes(already)}` : `downloading ${file} (${size})`);
      return {
        update(bytes) {
          received = bytes;
          if (Date.now() - lastLine < intervalMs) return;
          lastLine = Date.now();
          const rate = meter.rate(received);
          const parts = [`${file}: ${formatBytes(received)}`];
          if (total) parts[0] += ` of ${formatBytes(total)} (${Math.floor((100 * received) / total)}%)`;
          parts.push(`${formatBytes(rate)}/s`);
          if (total && rate > 0) parts.push(`ETA ${formatDuration((total - received) / rate)}`);
          write(parts.join(', '));
        },
        done() {
          write(`downloaded ${file} (${formatBytes(received)})`);
        },
        fail(reason) {
          write(`${file}: stopped at ${formatBytes(received)}: ${reason}`);
        },
      };
    },
    note: write,
    close() {},
  };
}

/** Live bars (cli-progress) with size, rate and ETA; for a terminal. */
export function terminalReporter(stream: NodeJS.WriteStream = process.stderr): DownloadReporter {
  let bars: cliProgress.MultiBar | undefined;
  const multiBar = () =>
    (bars ??= new cliProgress.MultiBar(
      {
        stream,
        format: ' {bar} {percentage}% | {file} | {received}/{size} | {rate}/s | ETA {eta_formatted}',
        hideCursor: true,
        clearOnComplete: false,
        stopOnComplete: false,
        autopadding: true,
        etaBuffer: 50,
        fps: 10,
      },
      cliProgress.Presets.shades_classic,
    ));
  return {
    start(file, total, already) {
      const meter = new RateMeter(already);
      const payload = (received: number) => ({
        file,
        received: formatBytes(received),
        size: total === undefined ? '?' : formatBytes(total),
        rate: formatBytes(meter.rate(received)),
      });
      // cli-progress needs a total; an unknown size shows as a bar that fills when the file ends.
      const bar = multiBar().create(total ?? Math.max(already, 1), already, payload(already));
      let received = already;
      return {
        update(bytes) {
          received = bytes;
          if (total === undefined) bar.setTotal(Math.max(bytes, 1));
          bar.update(bytes, payload(bytes));
        },
        done() {
          bar.setTotal(Math.max(received, 1));
          bar.update(received, payload(received));
          bar.stop();
        },
        fail(reason) {
          bar.stop();
          multiBar().log(`${file}: stopped at ${formatBytes(received)}: ${reason}\n`);
        },
      };
    },
    note(message) {
      if (bars) bars.log(`${message}\n`);
      else stream.write(`${message}\n`);
    },
    close() {
      bars?.stop();
      bars = undefined;
    },
  };
}

/** The terminal bars when stderr is a TTY, plain lines otherwise. */
export function defaultReporter(): DownloadReporter {
  return process.stderr.isTTY ? terminalReporter(process.stderr) : plainReporter();
}
