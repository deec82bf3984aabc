/**
 * Reading texts for the commands that take a file of them (score --file, sft --data, irl
 * --prompts, evaluate --texts): JSONL objects or plain lines, and for prompts also CSV/Parquet.
 */
import { readFileSync } from 'node:fs';
import { joinPromptContinuation } from '../data/text.js';
import { CliError } from './errors.js';

/** One text of a file, with what else its JSONL object said about it. */
export interface TextRow {
  id?: string;
  /** The whole text: "text", or prompt + continuation joined. */
  text: string;
  prompt?: string;
  continuation?: string;
  /** 1 toxic, 0 not, when the file says. */
  label?: number;
  split?: string;
}

function readLines(file: string): string[] {
  try {
    return readFileSync(file, 'utf8').split(/\r?\n/).filter((line) => line.trim() !== '');
  } catch (error) {
    throw new CliError(`cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); check the path`);
  }
}

function parseRow(file: string, line: string, i: number): TextRow {
  let value: Record<string, unknown>;
  try {
    value = JSON.parse(line) as Record<string, unknown>;
  } catch (error) {
    throw new CliError(`${file}: line ${i + 1} is not valid JSON (${(error as Error).message}); write one JSON object per line, or plain text lines`);
  }
  const string = (key: string) => (typeof value[key] === 'string' ? (value[key] as string) : undefined);
  const [prompt, continuation] = [string('prompt'), string('continuation')];
  const text = string('text') ?? (prompt !== undefined ? joinPromptContinuation(prompt, continuation ?? '') : undefined);
  if (text === undefined) throw new CliError(`${file}: line ${i + 1} has no string "text" (or "prompt") field; each JSONL object needs one`);
  const label = typeof value.label === 'number' ? value.label : undefined;
  return { id: value.id === undefined ? undefined : String(value.id), text, prompt, continuation, label, split: string('split') };
}

/** Rows from a file: JSONL when every non-empty line is a JSON object, else one text per line. */
export function readTextRows(file: string): TextRow[] {
  const lines = readLines(file);
  const jsonl = lines.length > 0 && lines.every((line) => line.trimStart().startsWith('{'));
  return jsonl ? lines.map((line, i) => parseRow(file, line, i)) : lines.map((text) => ({ text }));
}

/** Texts from a file: JSONL with a "text" field when every non-empty line is a JSON object, else one text per line. */
export function readTexts(file: string): string[] {
  return readTextRows(file).map((row) => row.text);
}

/**
 * Prompts from a file: JSONL or plain lines as readTextRows reads them, or CSV/Parquet through the
 * data loaders. Of a file with a split column (irlens's curated.jsonl), only the rows of `split`.
 */
export async function readPromptRows(file: string, flag: string, split: string): Promise<TextRow[]> {
  const { extname } = await import('node:path');
  let rows: TextRow[];
  if (['.csv', '.parquet', '.tsv'].includes(extname(file).toLowerCase())) {
    const { loadFile } = await import('../data/index.js');
    rows = (await loadFile(file)).rows.map((row) => ({ id: row.id, text: row.text, prompt: row.prompt, label: row.label }));
  } else rows = readTextRows(file);
  const chosen = rows.some((row) => row.split !== undefined) ? rows.filter((row) => row.split === split) : rows;
  if (chosen.length === 0) throw new CliError(`${flag} ${file} holds no prompts${rows.length > 0 ? ` in its ${split} split` : ''}`);
  return chosen;
}
