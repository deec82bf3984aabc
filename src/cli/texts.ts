/** Reading texts for the commands that take a file of them (score --file, sft --data). */
import { readFileSync } from 'node:fs';
import { CliError } from './errors.js';

/** Texts from a file: JSONL with a "text" field when every non-empty line is a JSON object, else one text per line. */
export function readTexts(file: string): string[] {
  let content: string;
  try {
    content = readFileSync(file, 'utf8');
  } catch (error) {
    throw new CliError(`cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); check the path`);
  }
  const lines = content.split(/\r?\n/).filter((line) => line.trim() !== '');
  const jsonl = lines.length > 0 && lines.every((line) => line.trimStart().startsWith('{'));
  if (!jsonl) return lines;
  return lines.map((line, i) => {
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      throw new CliError(`${file}: line ${i + 1} is not valid JSON (${(error as Error).message}); write one JSON object per line, or plain text lines`);
    }
    const text = (value as { text?: unknown }).text;
    if (typeof text !== 'string') throw new CliError(`${file}: line ${i + 1} has no string "text" field; each JSONL object needs one`);
    return text;
  });
}
