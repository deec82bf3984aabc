/**
 * Answers already received from a server, kept on disk so that a stopped or killed run asks again
 * only for what is missing. One JSONL line per answer, `{"key", "value"}`, appended and flushed as
 * each answer arrives; the key is a hash of everything the answer depends on (server model id,
 * request, seed), so a changed setting never reuses a stale answer.
 */
import { createHash } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { appendToFile } from '../io/atomic.js';
import { openForAppending, parseJsonLines } from '../io/json-lines.js';
import { RemoteModelError } from './errors.js';

/** A stable key of anything JSON can hold. */
export const cacheKey = (what: unknown): string => createHash('sha256').update(JSON.stringify(what)).digest('hex').slice(0, 32);

export class CompletionCache {
  private readonly entries = new Map<string, unknown>();
  private fd: number | undefined;
  /** Answers found here instead of asked for, since opening. */
  hits = 0;

  constructor(readonly path: string) {
    if (existsSync(path)) {
      const bad = (line: number) => new RemoteModelError(`${path}:${line} is not a cache line; the cache is damaged: delete it to ask the server again`);
      for (const line of parseJsonLines<{ key?: unknown; value?: unknown }>(readFileSync(path, 'utf8'), bad)) {
        if (typeof line.key === 'string') this.entries.set(line.key, line.value);
      }
    }
    mkdirSync(dirname(path), { recursive: true });
    this.fd = openForAppending(path);
  }

  get size(): number {
    return this.entries.size;
  }

  get<T>(key: string): T | undefined {
    const value = this.entries.get(key) as T | undefined;
    if (value !== undefined) this.hits++;
    return value;
  }

  /** Stores an answer, on disk before this returns. */
  put(key: string, value: unknown): void {
    if (this.fd === undefined) throw new Error(`${this.path}: the cache is closed`);
    this.entries.set(key, value);
    appendToFile(this.fd, this.path, `${JSON.stringify({ key, value })}\n`);
    fsyncSync(this.fd);
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}
