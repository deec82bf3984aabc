/**
 * Flag parsing and the pieces several commands share: numbers checked as they are parsed (so a
 * bad value is a usage error naming the flag), `--json` output, and model ids resolved to folders.
 */
import { basename, dirname, resolve } from 'node:path';
import { InvalidArgumentError, Option, type Command } from 'commander';

/** A parser for an integer flag of at least `min`. */
export function integer(min = 0): (value: string) => number {
  return (value) => {
    const number = Number(value);
    if (value.trim() === '' || !Number.isSafeInteger(number) || number < min) throw new InvalidArgumentError(`expected a whole number ≥ ${min}.`);
    return number;
  };
}

/** A parser for a finite number flag inside [min, max] (either end optional; `exclusiveMin` for > min). */
export function number(range: { min?: number; max?: number; exclusiveMin?: boolean } = {}): (value: string) => number {
  return (value) => {
    const parsed = Number(value);
    const { min, max, exclusiveMin } = range;
    const tooLow = min !== undefined && (exclusiveMin ? !(parsed > min) : !(parsed >= min));
    if (value.trim() === '' || !Number.isFinite(parsed) || tooLow || (max !== undefined && parsed > max)) {
      const bounds = [min !== undefined ? `${exclusiveMin ? '>' : '≥'} ${min}` : '', max !== undefined ? `≤ ${max}` : ''].filter(Boolean).join(' and ');
      throw new InvalidArgumentError(`expected a number${bounds ? ` ${bounds}` : ''}.`);
    }
    return parsed;
  };
}

/** Collects a repeatable flag's values. */
export const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

/** Adds `--json` to a command. */
export function withJson(command: Command): Command {
  return command.addOption(new Option('--json', 'print the result as one JSON document on stdout (progress still goes to stderr)'));
}

/** Adds `--revision` (for hub ids) to a command. */
export function withRevision(command: Command): Command {
  return command.addOption(new Option('--revision <rev>', 'branch, tag or commit of a hub model id (default main)'));
}

/** Adds what every irlens server takes: --port (default `port`), --host and --max-body-bytes (default `maxBodyBytes`). */
export function withServerOptions(command: Command, defaults: { port: number; maxBodyBytes: number }): Command {
  return command
    .option('--port <n>', 'port to listen on (0: any free port)', integer(0), defaults.port)
    .option('--host <address>', 'address to listen on (0.0.0.0 to take requests from other machines)', '127.0.0.1')
    .option('--max-body-bytes <n>', 'largest request body accepted; past it requests get 413', integer(1), defaults.maxBodyBytes);
}

/** Writes the result: one JSON document with --json, else the human-readable lines. */
export function emit(json: boolean | undefined, result: unknown, human: () => string[]): void {
  if (json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  else for (const line of human()) process.stdout.write(`${line}\n`);
}

/**
 * A model folder, or a hub id downloaded into the Hugging Face cache (progress on stderr). A folder
 * that a killed save left set aside (irlens sft --out) is put back first.
 */
export async function modelFolder(spec: string, revision?: string): Promise<string> {
  const { recoverInterruptedWrites } = await import('../io/atomic.js');
  const { resolveModel } = await import('../io/hub.js');
  recoverInterruptedWrites(dirname(resolve(spec)), basename(spec));
  return resolveModel(spec, revision === undefined ? {} : { revision });
}

/** Right-pads `rows` into aligned columns. */
export function table(rows: readonly (readonly string[])[], indent = '  '): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((row) => indent + row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ').trimEnd());
}

/** 70426624 → "70.4M". */
export function humanCount(count: number): string {
  if (count >= 1e9) return `${(count / 1e9).toFixed(2)}B`;
  if (count >= 1e6) return `${(count / 1e6).toFixed(1)}M`;
  if (count >= 1e3) return `${(count / 1e3).toFixed(1)}K`;
  return String(count);
}
