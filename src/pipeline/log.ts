/**
 * run.log: one timestamped, human-readable line per event, appended with a write per line so a
 * killed run keeps everything it logged. `onLine` lets the command line echo the lines.
 */
import { closeSync, openSync } from 'node:fs';
import { appendToFile } from '../io/atomic.js';

export type LogLevel = 'info' | 'warn' | 'error';

export interface LogLine {
  time: Date;
  level: LogLevel;
  /** The stage the line is about, or undefined for the pipeline itself. */
  stage?: string;
  message: string;
  /** The line as written to run.log. */
  text: string;
}

/** What a stage logs through. */
export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export class RunLog implements Logger {
  private fd: number | undefined;

  constructor(
    readonly path: string,
    private readonly onLine?: (line: LogLine) => void,
  ) {
    this.fd = openSync(path, 'a');
  }

  write(level: LogLevel, message: string, stage?: string): void {
    const time = new Date();
    const tag = level === 'info' ? '' : ` ${level.toUpperCase()}`;
    const prefix = `${time.toISOString()}${tag}${stage === undefined ? '' : ` [${stage}]`} `;
    // Continuation lines are indented so every line of run.log still starts with a timestamp or spaces.
    const text = prefix + message.replace(/\r?\n/g, '\n' + ' '.repeat(prefix.length));
    if (this.fd !== undefined) appendToFile(this.fd, this.path, text + '\n');
    this.onLine?.({ time, level, stage, message, text });
  }

  info(message: string): void {
    this.write('info', message);
  }
  warn(message: string): void {
    this.write('warn', message);
  }
  error(message: string): void {
    this.write('error', message);
  }

  /** A logger whose lines are tagged with a stage's name. */
  forStage(stage: string): Logger {
    return {
      info: (message) => this.write('info', message, stage),
      warn: (message) => this.write('warn', message, stage),
      error: (message) => this.write('error', message, stage),
    };
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}
