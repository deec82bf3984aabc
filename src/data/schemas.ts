/**
 * The schemas of the data sets users bring, each mapped to one row type (DataRow).
 *
 * - `jigsaw`: Kaggle's Jigsaw Toxic Comment Classification (`id, comment_text, toxic, severe_toxic,
 *   obscene, threat, insult, identity_hate`). By default a comment is toxic when any of the six
 *   labels is 1 (`jigsawLabel: 'any'`); `jigsawLabel: 'toxic'` uses the `toxic` column alone.
 *   The six labels are kept as scores.
 * - `jigsaw-long`: the paper's jigsaw-long-2000 layout (`prompt, original_output, toxic`): the
 *   prompt, its human continuation, and the label of the whole comment.
 * - `rtp`: RealToxicityPrompts (`filename, begin, end, challenging, prompt{text, toxicity, ...},
 *   continuation{text, toxicity, ...}`; objects in JSONL, structs in Parquet, or flattened
 *   `prompt.text` columns). The label is prompt.toxicity ≥ 0.5 (Perspective API's usual cut-off;
 *   `threshold` and `rtpLabelFrom: 'continuation'` change it). Every Perspective score is kept.
 * - `davidson`: Davidson et al. (2017) hate/offensive tweets (`count, hate_speech,
 *   offensive_language, neither, class, tweet`): class 0 (hate speech) and 1 (offensive) are
 *   toxic, class 2 (neither) is not.
 * - `generic`: any file with a text column and a label column (`textColumn`, `labelColumn`),
 *   optionally prompt/continuation/id/score columns. Labels may be 0/1, true/false, yes/no,
 *   "toxic"/"not toxic", scores with a `threshold`, or anything with `positiveValues`.
 * - `auto` (default): picks one of the above from the columns.
 *
 * Column names may be dotted paths into objects (`prompt.text`). Rows whose label is missing
 * (null or empty) are skipped and counted; a label that cannot be read is an error naming the row.
 */
import { basename } from 'node:path';
import { previewJson } from '../io/preview.js';
import { DataError, DataOptionError, LabelValueError, UnknownColumnError } from './errors.js';
import type { SourceRecord } from './read.js';
import { closestName, joinPromptContinuation } from './text.js';

export const SCHEMA_NAMES = ['auto', 'jigsaw', 'jigsaw-long', 'rtp', 'davidson', 'generic'] as const;
export type SchemaName = (typeof SCHEMA_NAMES)[number];

/** One example, whatever file it came from. `text` is the whole comment (prompt + continuation when split). */
export interface DataRow {
  id: string;
  text: string;
  prompt?: string;
  continuation?: string;
  /** 1 toxic, 0 not toxic. */
  label: 0 | 1;
  /** Numeric scores that came with the row (Jigsaw's six labels, Perspective scores, vote counts). */
  scores?: Record<string, number>;
  /** The file's base name. */
  file: string;
  /** 1-based data row in the file (header excluded; JSONL: the n-th object). */
  row: number;
  /** 1-based line the row starts on, for text formats. */
  line?: number;
}

export type LabelValue = string | number | boolean;

export interface SchemaOptions {
  /** Default 'auto'. */
  schema?: SchemaName;
  textColumn?: string;
  labelColumn?: string;
  idColumn?: string;
  promptColumn?: string;
  continuationColumn?: string;
  /** Extra numeric columns kept as scores (generic schema). */
  scoreColumns?: string[];
  /** Label values that mean toxic; every other non-empty value means not toxic. Compared as trimmed, lower-case strings. */
  positiveValues?: LabelValue[];
  /** Numeric labels/scores ≥ threshold are toxic (generic: for score columns; rtp: default 0.5). */
  threshold?: number;
  /** Jigsaw: toxic if any of the six labels is 1 ('any', default) or by the `toxic` column alone. */
  jigsawLabel?: 'any' | 'toxic';
  /** RealToxicityPrompts: which part's toxicity gives the label (default 'prompt'). */
  rtpLabelFrom?: 'prompt' | 'continuation';
}

/** What the schema resolved to, as plain JSON for the manifest. */
export interface ResolvedSchema {
  name: Exclude<SchemaName, 'auto'>;
  /** Whether the name was picked from the columns. */
  detected: boolean;
  columns: Record<string, string | string[]>;
  /** How the label is derived, in words. */
  labelRule: string;
}

export type MappedRecord = { kind: 'row'; row: DataRow } | { kind: 'missing-label' };

export interface SchemaMapper {
  schema: ResolvedSchema;
  map(record: SourceRecord): MappedRecord;
}

export const JIGSAW_LABELS = ['toxic', 'severe_toxic', 'obscene', 'threat', 'insult', 'identity_hate'] as const;
const RTP_DEFAULT_THRESHOLD = 0.5;
const TEXT_GUESSES = ['text', 'comment_text', 'comment', 'tweet', 'sentence', 'content', 'body'];
const LABEL_GUESSES = ['label', 'labels', 'toxic', 'is_toxic', 'toxicity', 'class'];

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** The value at a column name, or at a dotted path into objects when no column has the whole name. */
export function valueAt(values: Record<string, unknown>, path: string): unknown {
  if (Object.hasOwn(values, path)) return values[path];
  let current: unknown = values;
  for (const part of path.split('.')) {
    if (!isObject(current) || !Object.hasOwn(current, part)) return undefined;
    current = current[part];
  }
  return current;
}

/** Column names plus the dotted paths into object values of the sample record (one level deep). */
export function availableColumns(columns: readonly string[], sample: Record<string, unknown> | undefined): string[] {
  const names = [...columns];
  if (sample !== undefined) {
    for (const column of columns) {
      const value = sample[column];
      if (isObject(value)) for (const key of Object.keys(value)) names.push(`${column}.${key}`);
    }
  }
  return names;
}

function hasColumn(columns: readonly string[], sample: Record<string, unknown> | undefined, path: string): boolean {
  if (columns.includes(path)) return true;
  const head = path.split('.')[0]!;
  if (!columns.includes(head) || head === path) return false;
  return sample === undefined || valueAt(sample, path) !== undefined;
}

const isMissing = (value: unknown) => value === undefined || value === null || (typeof value === 'string' && value.trim() === '');

const TRUE_WORDS = new Set(['1', 'true', 'yes', 'y', 't', 'toxic']);
const FALSE_WORDS = new Set(['0', 'false', 'no', 'n', 'f', 'not toxic', 'not_toxic', 'non-toxic', 'nontoxic', 'non toxic', 'clean']);

function numberOf(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value);
  return undefined;
}

/** Reads a label value as 0/1 (or null when missing); throws LabelValueError when it cannot. */
export function parseLabel(
  value: unknown,
  rule: { positiveValues?: readonly LabelValue[]; threshold?: number },
  context: { file: string; column: string; row: number; line?: number },
): 0 | 1 | null {
  if (isMissing(value)) return null;
  const location = { row: context.row, ...(context.line !== undefined ? { line: context.line } : {}) };
  // A list or an object is never a label (and String() of one nested deep overflows the stack).
  if (rule.positiveValues !== undefined && typeof value !== 'object') {
    const key = String(value).trim().toLowerCase();
    return rule.positiveValues.some((positive) => String(positive).trim().toLowerCase() === key) ? 1 : 0;
  }
  if (typeof value === 'boolean') return value ? 1 : 0;
  const number = numberOf(value);
  if (number !== undefined) {
    if (rule.threshold !== undefined) return number >= rule.threshold ? 1 : 0;
    if (number === 0 || number === 1) return number;
  } else if (typeof value === 'string') {
    const word = value.trim().toLowerCase();
    if (TRUE_WORDS.has(word)) return 1;
    if (FALSE_WORDS.has(word)) return 0;
  }
  const shown = typeof value === 'string' || typeof value === 'object' ? previewJson(value) : String(value);
  throw new LabelValueError(
    context.file,
    `the label column ${JSON.stringify(context.column)} holds ${shown}, which is not 0/1, true/false, yes/no or toxic/not toxic`,
    number !== undefined
      ? 'for scores pass threshold (values ≥ threshold are toxic), or positiveValues (the values that mean toxic)'
      : 'pass positiveValues (the values that mean toxic; every other value then means not toxic)',
    location,
  );
}

/** A value used in a row's id: text, a number or a boolean, never a list or an object. */
function idText(value: unknown, context: { file: string; column: string; row: number; line?: number }): string {
  if (typeof value !== 'object' || value === null) return String(value);
  throw new DataError(
    context.file,
    `the id column ${JSON.stringify(context.column)} holds ${Array.isArray(value) ? 'a list' : 'an object'}, ${previewJson(value)}, not an id`,
    'name a column that holds ids (text or numbers) as the id column, or none to number the rows',
    { row: context.row, ...(context.line !== undefined ? { line: context.line } : {}) },
  );
}

function textOf(value: unknown, context: { file: string; column: string; row: number; line?: number }): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  if (isObject(value) && typeof value.text === 'string') return value.text;
  throw new DataError(
    context.file,
    `the text column ${JSON.stringify(context.column)} holds ${Array.isArray(value) ? 'an array' : 'an object'}, not text`,
    'name the column (or the dotted path, like prompt.text) that holds the text',
    { row: context.row, ...(context.line !== undefined ? { line: context.line } : {}) },
  );
}

function scoresOf(values: Record<string, unknown>, paths: readonly string[], prefix = ''): Record<string, number> | undefined {
  const scores: Record<string, number> = {};
  let any = false;
  for (const path of paths) {
    const number = numberOf(valueAt(values, path));
    if (number !== undefined && Number.isFinite(number)) {
      scores[prefix + path] = number;
      any = true;
    }
  }
  return any ? scores : undefined;
}

/** Numeric fields of an object-valued column, as `column.field` scores. */
function objectScores(values: Record<string, unknown>, column: string): Record<string, number> {
  const scores: Record<string, number> = {};
  const object = valueAt(values, column);
  if (isObject(object)) {
    for (const key of Object.keys(object).sort()) {
      const number = numberOf(object[key]);
      if (key !== 'text' && number !== undefined && Number.isFinite(number)) scores[`${column}.${key}`] = number;
    }
  }
  return scores;
}

/** Picks a schema name from the columns, or undefined. */
export function detectSchema(columns: readonly string[], sample: Record<string, unknown> | undefined): Exclude<SchemaName, 'auto'> | undefined {
  const has = (path: string) => hasColumn(columns, sample, path);
  if (has('comment_text') && has('toxic')) return 'jigsaw';
  if (has('prompt') && has('original_output')) return 'jigsaw-long';
  if ((has('prompt.text') || (has('prompt') && sample !== undefined && isObject(sample.prompt))) && has('continuation')) return 'rtp';
  if (has('tweet') && has('class')) return 'davidson';
  if (TEXT_GUESSES.some(has) && LABEL_GUESSES.some(has)) return 'generic';
  return undefined;
}

/**
 * Checks the columns a schema needs against the file and returns the function that maps each
 * record to a DataRow. `sample` is the file's first record (used to see into nested objects).
 */
export function resolveSchema(file: string, columns: readonly string[], sample: Record<string, unknown> | undefined, options: SchemaOptions = {}): SchemaMapper {
  const requested = options.schema ?? 'auto';
  if (!(SCHEMA_NAMES as readonly string[]).includes(requested)) {
    throw new DataOptionError(file, `unknown schema ${JSON.stringify(requested)}`, `use one of ${SCHEMA_NAMES.join(', ')}`);
  }
  if (options.threshold !== undefined && !Number.isFinite(options.threshold)) {
    throw new DataOptionError(file, `threshold must be a finite number, got ${options.threshold}`, 'pass a number such as 0.5');
  }
  let name: Exclude<SchemaName, 'auto'>;
  let detected = false;
  if (requested !== 'auto') name = requested;
  else if (options.textColumn !== undefined || options.labelColumn !== undefined) name = 'generic';
  else {
    const found = detectSchema(columns, sample);
    if (found === undefined) {
      throw new DataOptionError(
        file,
        `the schema cannot be told from the columns (${columns.map((c) => JSON.stringify(c)).join(', ') || 'none'})`,
        'pass schema (jigsaw, jigsaw-long, rtp, davidson) or the generic schema with textColumn and labelColumn',
      );
    }
    name = found;
    detected = true;
  }

  const fileName = basename(file);
  const available = availableColumns(columns, sample);
  const need = (path: string, what: string): string => {
    if (!hasColumn(columns, sample, path)) throw new UnknownColumnError(file, path, available, closestName(path, available), what);
    return path;
  };
  const optional = (path: string | undefined, what: string): string | undefined => (path === undefined ? undefined : need(path, what));
  const firstPresent = (guesses: readonly string[]) => guesses.find((guess) => hasColumn(columns, sample, guess));
  const context = (record: SourceRecord, column: string) => ({ file, column, row: record.row, ...(record.line !== undefined ? { line: record.line } : {}) });
  const idOf = (record: SourceRecord, idColumn: string | undefined): string => {
    const value = idColumn === undefined ? undefined : valueAt(record.values, idColumn);
    return isMissing(value) ? `${fileName}:${record.row}` : idText(value, context(record, idColumn!));
  };
  const base = (record: SourceRecord) => ({ file: fileName, row: record.row, ...(record.line !== undefined ? { line: record.line } : {}) });
  /** The row of a schema that reads its text from one column (jigsaw, davidson). */
  const textRow = (record: SourceRecord, label: 0 | 1, textColumn: string, idColumn: string | undefined, scoreColumns: readonly string[]): MappedRecord => {
    const scores = scoresOf(record.values, scoreColumns);
    return {
      kind: 'row',
      row: {
        id: idOf(record, idColumn),
        text: textOf(valueAt(record.values, textColumn), context(record, textColumn)),
        label, ...(scores !== undefined ? { scores } : {}), ...base(record),
      },
    };
  };

  switch (name) {
    case 'jigsaw': {
      const textColumn = need(options.textColumn ?? 'comment_text', 'the text column');
      const idColumn = optional(options.idColumn ?? (hasColumn(columns, sample, 'id') ? 'id' : undefined), 'the id column');
      const mode = options.jigsawLabel ?? 'any';
      if (mode !== 'any' && mode !== 'toxic') throw new DataOptionError(file, `jigsawLabel must be 'any' or 'toxic', got ${JSON.stringify(mode)}`, "use 'any' (toxic if any of the six labels is 1) or 'toxic'");
      const labelColumns = mode === 'toxic' ? [need(options.labelColumn ?? 'toxic', 'the label column')] : [need('toxic', 'the label column'), ...JIGSAW_LABELS.slice(1).filter((label) => hasColumn(columns, sample, label))];
      const scoreColumns = JIGSAW_LABELS.filter((label) => hasColumn(columns, sample, label));
      return {
        schema: {
          name, detected, columns: { text: textColumn, label: labelColumns, ...(idColumn !== undefined ? { id: idColumn } : {}) },
          labelRule: mode === 'toxic' ? 'toxic = the `toxic` column is 1' : `toxic = any of ${labelColumns.join(', ')} is 1`,
        },
        map(record) {
          let label: 0 | 1 | null = null;
          for (const column of labelColumns) {
            const value = parseLabel(valueAt(record.values, column), {}, context(record, column));
            if (value === 1) label = 1;
            else if (value === 0 && label === null) label = 0;
          }
          if (label === null) return { kind: 'missing-label' };
          return textRow(record, label, textColumn, idColumn, scoreColumns);
        },
      };
    }
    case 'jigsaw-long':
    case 'generic': {
      const long = name === 'jigsaw-long';
      const promptColumn = optional(options.promptColumn ?? (long ? 'prompt' : undefined), 'the prompt column');
      const continuationColumn = optional(options.continuationColumn ?? (long ? 'original_output' : undefined), 'the continuation column');
      if ((promptColumn === undefined) !== (continuationColumn === undefined)) {
        throw new DataOptionError(file, 'a prompt column needs a continuation column and the other way round', 'pass both promptColumn and continuationColumn, or neither');
      }
      let textColumn: string | undefined;
      if (options.textColumn !== undefined) textColumn = need(options.textColumn, 'the text column');
      else if (promptColumn === undefined) {
        const guess = firstPresent(TEXT_GUESSES);
        if (guess === undefined) throw new UnknownColumnError(file, 'text', available, closestName('text', available), 'no textColumn was given and the default text column');
        textColumn = guess;
      }
      const labelGuess = options.labelColumn ?? (long ? 'toxic' : firstPresent(LABEL_GUESSES));
      if (labelGuess === undefined) throw new UnknownColumnError(file, 'label', available, closestName('label', available), 'no labelColumn was given and the default label column');
      const labelColumn = need(labelGuess, 'the label column');
      const idColumn = optional(options.idColumn ?? (hasColumn(columns, sample, 'id') ? 'id' : undefined), 'the id column');
      const scoreColumns = (options.scoreColumns ?? []).map((column) => need(column, 'the score column'));
      const rule = {
        ...(options.positiveValues !== undefined ? { positiveValues: options.positiveValues } : {}),
        ...(options.threshold !== undefined ? { threshold: options.threshold } : {}),
      };
      const labelRule =
        rule.positiveValues !== undefined
          ? `toxic = ${labelColumn} is one of ${JSON.stringify(rule.positiveValues)}`
          : rule.threshold !== undefined
            ? `toxic = ${labelColumn} ≥ ${rule.threshold}`
            : `toxic = ${labelColumn} is 1/true/yes/toxic (0/false/no/not toxic otherwise)`;
      return {
        schema: {
          name, detected,
          columns: {
            ...(textColumn !== undefined ? { text: textColumn } : {}),
            ...(promptColumn !== undefined && continuationColumn !== undefined ? { prompt: promptColumn, continuation: continuationColumn } : {}),
            label: labelColumn,
            ...(idColumn !== undefined ? { id: idColumn } : {}),
            ...(scoreColumns.length > 0 ? { scores: scoreColumns } : {}),
          },
          labelRule,
        },
        map(record) {
          const label = parseLabel(valueAt(record.values, labelColumn), rule, context(record, labelColumn));
          if (label === null) return { kind: 'missing-label' };
          const parts =
            promptColumn !== undefined && continuationColumn !== undefined
              ? {
                  prompt: textOf(valueAt(record.values, promptColumn), context(record, promptColumn)),
                  continuation: textOf(valueAt(record.values, continuationColumn), context(record, continuationColumn)),
                }
              : undefined;
          const text = textColumn !== undefined ? textOf(valueAt(record.values, textColumn), context(record, textColumn)) : joinPromptContinuation(parts!.prompt, parts!.continuation);
          const scores = scoresOf(record.values, scoreColumns);
          return {
            kind: 'row',
            row: { id: idOf(record, idColumn), text, ...parts, label, ...(scores !== undefined ? { scores } : {}), ...base(record) },
          };
        },
      };
    }
    case 'rtp': {
      const promptText = need(options.promptColumn ?? 'prompt.text', 'the prompt text');
      const continuationText = need(options.continuationColumn ?? 'continuation.text', 'the continuation text');
      const from = options.rtpLabelFrom ?? 'prompt';
      if (from !== 'prompt' && from !== 'continuation') throw new DataOptionError(file, `rtpLabelFrom must be 'prompt' or 'continuation', got ${JSON.stringify(from)}`, "use 'prompt' (default) or 'continuation'");
      const labelColumn = options.labelColumn ?? `${from}.toxicity`;
      need(labelColumn, 'the toxicity score');
      const threshold = options.threshold ?? RTP_DEFAULT_THRESHOLD;
      const hasIdParts = hasColumn(columns, sample, 'filename');
      const idColumn = optional(options.idColumn, 'the id column');
      return {
        schema: {
          name, detected,
          columns: { prompt: promptText, continuation: continuationText, label: labelColumn, ...(idColumn !== undefined ? { id: idColumn } : hasIdParts ? { id: 'filename#begin-end' } : {}) },
          labelRule: `toxic = ${labelColumn} ≥ ${threshold}`,
        },
        map(record) {
          const values = record.values;
          const label = parseLabel(valueAt(values, labelColumn), { threshold }, context(record, labelColumn));
          if (label === null) return { kind: 'missing-label' };
          const prompt = textOf(valueAt(values, promptText), context(record, promptText));
          const continuation = textOf(valueAt(values, continuationText), context(record, continuationText));
          const id =
            idColumn === undefined && hasIdParts && !isMissing(values.filename)
              ? `${idText(values.filename, context(record, 'filename'))}#${idText(values.begin ?? '', context(record, 'begin'))}-${idText(values.end ?? '', context(record, 'end'))}`
              : idOf(record, idColumn);
          const scores = { ...objectScores(values, 'prompt'), ...objectScores(values, 'continuation') };
          return {
            kind: 'row',
            row: { id, text: prompt + continuation, prompt, continuation, label, ...(Object.keys(scores).length > 0 ? { scores } : {}), ...base(record) },
          };
        },
      };
    }
    case 'davidson': {
      const textColumn = need(options.textColumn ?? 'tweet', 'the text column');
      const labelColumn = need(options.labelColumn ?? 'class', 'the label column');
      const idColumn = optional(options.idColumn ?? (columns.includes('') ? '' : undefined), 'the id column');
      const positiveValues = options.positiveValues ?? ['0', '1'];
      const scoreColumns = ['count', 'hate_speech', 'offensive_language', 'neither'].filter((column) => hasColumn(columns, sample, column));
      return {
        schema: {
          name, detected,
          columns: { text: textColumn, label: labelColumn, ...(idColumn !== undefined ? { id: idColumn } : {}), scores: scoreColumns },
          labelRule: `toxic = ${labelColumn} is one of ${JSON.stringify(positiveValues)} (0 hate speech, 1 offensive; 2 neither is not toxic)`,
        },
        map(record) {
          const label = parseLabel(valueAt(record.values, labelColumn), { positiveValues }, context(record, labelColumn));
          if (label === null) return { kind: 'missing-label' };
          return textRow(record, label, textColumn, idColumn, scoreColumns);
        },
      };
    }
  }
}
