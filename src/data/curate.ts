/**
 * Prompt curation: split comments into prompt and continuation, filter by length, de-duplicate,
 * cap and balance the classes, and make a stratified train/test split — all seeded, so the same
 * seed gives the same rows in the same order. Then write curated.jsonl and manifest.json.
 *
 * The steps run in this order, and each removed row is counted under its reason:
 *   empty-text → too-short-to-split → length filters (text, prompt, continuation) → duplicate
 *   → label-cap → balance; then the split. With no options, every row with non-empty text is kept.
 */
import { Rng } from '../nn/rng.js';
import { DataOptionError, EmptyDatasetError } from './errors.js';
import type { DataRow } from './schemas.js';
import { countWords, normaliseForDedupe, wordSpans } from './text.js';

/**
 * A tokenizer for splitting and measuring by tokens: encode gives the text's token ids (without
 * special tokens), decode turns ids back into text (needed only to split by tokens). A plain
 * `(text) => ids` function is enough for token-length filters. irlens' Tokenizer fits (pass
 * `{ encode: (t) => tok.encode(t, { addSpecialTokens: false }), decode: (ids) => tok.decode(ids) }`).
 */
export interface TokenSplitter {
  encode(text: string): ArrayLike<number>;
  decode?(ids: number[]): string;
}
export type TokenizerLike = TokenSplitter | ((text: string) => ArrayLike<number>);

export type LengthUnit = 'words' | 'tokens';

export interface CurationOptions {
  /** Split every text into a prompt of this many words/tokens and the rest as continuation. */
  promptLength?: number;
  /** Or: split at this fraction of each text's words/tokens (rounded, at least one unit on each side). */
  promptFraction?: number;
  /** Unit of promptLength/promptFraction. Default 'words'. */
  splitUnit?: LengthUnit;
  /** Unit of the length filters. Default 'words'. */
  lengthUnit?: LengthUnit;
  minTextLength?: number;
  maxTextLength?: number;
  minPromptLength?: number;
  maxPromptLength?: number;
  minContinuationLength?: number;
  maxContinuationLength?: number;
  /** Drop rows whose normalised text (NFKC, lower case, whitespace collapsed) was seen before. Default false. */
  dedupe?: boolean;
  /** Keep at most this many rows of each label (seeded sample). */
  maxRowsPerLabel?: number;
  /** Down-sample the majority label to the size of the minority (seeded). Default false. */
  balance?: boolean;
  /** Fraction of each label's rows that goes to the test split. Default 0.2. */
  testFraction?: number;
  /** Default 0. */
  seed?: number | string;
  tokenizer?: TokenizerLike;
}

export const DROP_REASONS = [
  'missing-label',
  'empty-text',
  'too-short-to-split',
  'text-too-short',
  'text-too-long',
  'prompt-too-short',
  'prompt-too-long',
  'continuation-too-short',
  'continuation-too-long',
  'duplicate',
  'label-cap',
  'balance',
] as const;
export type DropReason = (typeof DROP_REASONS)[number];

export type Split = 'train' | 'test';
export interface CuratedRow extends DataRow {
  split: Split;
}

export interface LabelCounts {
  '0': number;
  '1': number;
}
export interface SplitCounts {
  rows: number;
  labels: LabelCounts;
}

/** The options as they were applied, defaults filled in and unset ones null: for the manifest. */
export interface CurationParameters {
  promptLength: number | null;
  promptFraction: number | null;
  splitUnit: LengthUnit;
  lengthUnit: LengthUnit;
  minTextLength: number | null;
  maxTextLength: number | null;
  minPromptLength: number | null;
  maxPromptLength: number | null;
  minContinuationLength: number | null;
  maxContinuationLength: number | null;
  dedupe: boolean;
  maxRowsPerLabel: number | null;
  balance: boolean;
  testFraction: number;
  seed: number | string;
}

export interface CurationResult {
  rows: CuratedRow[];
  inputRows: number;
  keptRows: number;
  dropped: Record<DropReason, number>;
  labels: LabelCounts;
  splits: Record<Split, SplitCounts>;
  parameters: CurationParameters;
}

/** Counts from before curation (the loader's skipped rows) and the file for error messages. */
export interface CurationContext {
  file?: string;
  missingLabel?: number;
}

const LENGTH_OPTIONS = ['minTextLength', 'maxTextLength', 'minPromptLength', 'maxPromptLength', 'minContinuationLength', 'maxContinuationLength'] as const;

/** Checks the options and fills in defaults. */
export function curationParameters(options: CurationOptions = {}, file?: string): CurationParameters {
  const fail = (problem: string, fix: string) => new DataOptionError(file, problem, fix);
  const count = (name: string, value: number | undefined, minimum: number): number | null => {
    if (value === undefined) return null;
    if (!Number.isSafeInteger(value) || value < minimum) throw fail(`${name} must be an integer ≥ ${minimum}, got ${value}`, `pass a whole number ≥ ${minimum}, or leave it out`);
    return value;
  };
  const unit = (name: string, value: string | undefined): LengthUnit => {
    if (value === undefined) return 'words';
    if (value !== 'words' && value !== 'tokens') throw fail(`${name} must be 'words' or 'tokens', got ${JSON.stringify(value)}`, "use 'words' or 'tokens'");
    return value;
  };
  const parameters: CurationParameters = {
    promptLength: count('promptLength', options.promptLength, 1),
    promptFraction: null,
    splitUnit: unit('splitUnit', options.splitUnit),
    lengthUnit: unit('lengthUnit', options.lengthUnit),
    minTextLength: count('minTextLength', options.minTextLength, 0),
    maxTextLength: count('maxTextLength', options.maxTextLength, 0),
    minPromptLength: count('minPromptLength', options.minPromptLength, 0),
    maxPromptLength: count('maxPromptLength', options.maxPromptLength, 0),
    minContinuationLength: count('minContinuationLength', options.minContinuationLength, 0),
    maxContinuationLength: count('maxContinuationLength', options.maxContinuationLength, 0),
    dedupe: options.dedupe ?? false,
    maxRowsPerLabel: count('maxRowsPerLabel', options.maxRowsPerLabel, 1),
    balance: options.balance ?? false,
    testFraction: options.testFraction ?? 0.2,
    seed: options.seed ?? 0,
  };
  if (options.promptFraction !== undefined) {
    if (!(options.promptFraction > 0 && options.promptFraction < 1)) throw fail(`promptFraction must be between 0 and 1 (exclusive), got ${options.promptFraction}`, 'pass for example 0.5 to split each text in the middle');
    if (parameters.promptLength !== null) throw fail('promptLength and promptFraction were both given', 'pass one of them');
    parameters.promptFraction = options.promptFraction;
  }
  if (!(parameters.testFraction >= 0 && parameters.testFraction < 1)) throw fail(`testFraction must be in [0, 1), got ${parameters.testFraction}`, 'pass for example 0.2 for a 80/20 train/test split');
  if (typeof parameters.seed === 'number' && !Number.isSafeInteger(parameters.seed)) throw fail(`seed must be an integer or a string, got ${parameters.seed}`, 'pass an integer such as 0');
  for (const [low, high] of [['minTextLength', 'maxTextLength'], ['minPromptLength', 'maxPromptLength'], ['minContinuationLength', 'maxContinuationLength']] as const) {
    const a = parameters[low];
    const b = parameters[high];
    if (a !== null && b !== null && a > b) throw fail(`${low} (${a}) is larger than ${high} (${b}), so no row could pass`, `make ${low} ≤ ${high}`);
  }
  const needsTokens = (parameters.splitUnit === 'tokens' && (parameters.promptLength !== null || parameters.promptFraction !== null)) || (parameters.lengthUnit === 'tokens' && LENGTH_OPTIONS.some((name) => parameters[name] !== null));
  if (needsTokens && options.tokenizer === undefined) throw fail('lengths in tokens need a tokenizer', "pass tokenizer (an object with encode(text) → ids and decode(ids) → text), or use 'words'");
  return parameters;
}

function asSplitter(tokenizer: TokenizerLike | undefined): TokenSplitter | undefined {
  if (tokenizer === undefined) return undefined;
  return typeof tokenizer === 'function' ? { encode: tokenizer } : tokenizer;
}

/** Splits text after `n` units (or at a fraction); undefined when there is not at least one unit on each side. */
function splitText(text: string, parameters: CurationParameters, tokenizer: TokenSplitter | undefined): { prompt: string; continuation: string } | undefined {
  const promptUnits = (total: number): number | undefined => {
    if (total < 2) return undefined;
    if (parameters.promptLength !== null) return parameters.promptLength < total ? parameters.promptLength : undefined;
    return Math.min(total - 1, Math.max(1, Math.round(parameters.promptFraction! * total)));
  };
  if (parameters.splitUnit === 'words') {
    const spans = wordSpans(text);
    const n = promptUnits(spans.length);
    if (n === undefined) return undefined;
    const cut = spans[n - 1]![1];
    return { prompt: text.slice(0, cut), continuation: text.slice(cut) };
  }
  const ids = Array.from(tokenizer!.encode(text));
  const n = promptUnits(ids.length);
  if (n === undefined) return undefined;
  if (tokenizer!.decode === undefined) throw new DataOptionError(undefined, 'splitting by tokens needs a tokenizer with decode(ids)', 'pass a tokenizer object with encode and decode, or split by words');
  const prompt = tokenizer!.decode(ids.slice(0, n));
  const continuation = text.startsWith(prompt) ? text.slice(prompt.length) : tokenizer!.decode(ids.slice(n));
  return { prompt, continuation };
}

const emptyLabels = (): LabelCounts => ({ '0': 0, '1': 0 });

/** Picks `keep` of the indices at random (seeded) and returns them in their original order. */
function sampleInOrder(indices: number[], keep: number, rng: Rng): number[] {
  if (indices.length <= keep) return indices;
  return rng.shuffle([...indices]).slice(0, keep).sort((a, b) => a - b);
}

/** Runs the curation steps over rows (in memory) and assigns the split. Does not write anything. */
export function curate(rows: readonly DataRow[], options: CurationOptions = {}, context: CurationContext = {}): CurationResult {
  const parameters = curationParameters(options, context.file);
  const tokenizer = asSplitter(options.tokenizer);
  const dropped = Object.fromEntries(DROP_REASONS.map((reason) => [reason, 0])) as Record<DropReason, number>;
  dropped['missing-label'] = context.missingLabel ?? 0;
  const inputRows = rows.length + dropped['missing-label'];
  const splitting = parameters.promptLength !== null || parameters.promptFraction !== null;
  const measure = (text: string): number => (parameters.lengthUnit === 'words' ? countWords(text) : tokenizer!.encode(text).length);
  const promptFilters = parameters.minPromptLength !== null || parameters.maxPromptLength !== null || parameters.minContinuationLength !== null || parameters.maxContinuationLength !== null;
  const outOfRange = (value: number, min: number | null, max: number | null): 'short' | 'long' | undefined =>
    min !== null && value < min ? 'short' : max !== null && value > max ? 'long' : undefined;

  let kept: DataRow[] = [];
  for (const source of rows) {
    if (source.text.trim() === '') {
      dropped['empty-text']++;
      continue;
    }
    let row = source;
    if (splitting) {
      const parts = splitText(source.text, parameters, tokenizer);
      if (parts === undefined) {
        dropped['too-short-to-split']++;
        continue;
      }
      row = { ...source, prompt: parts.prompt, continuation: parts.continuation };
    }
    if (parameters.minTextLength !== null || parameters.maxTextLength !== null) {
      const verdict = outOfRange(measure(row.text), parameters.minTextLength, parameters.maxTextLength);
      if (verdict !== undefined) {
        dropped[verdict === 'short' ? 'text-too-short' : 'text-too-long']++;
        continue;
      }
    }
    if (promptFilters) {
      if (row.prompt === undefined || row.continuation === undefined) {
        throw new DataOptionError(
          context.file,
          `prompt/continuation length filters need prompts, but row ${row.row} of ${row.file} has none`,
          'pass promptLength or promptFraction to split the texts, or use a schema that has prompts (jigsaw-long, rtp, or promptColumn/continuationColumn)',
        );
      }
      const prompt = outOfRange(measure(row.prompt), parameters.minPromptLength, parameters.maxPromptLength);
      if (prompt !== undefined) {
        dropped[prompt === 'short' ? 'prompt-too-short' : 'prompt-too-long']++;
        continue;
      }
      const continuation = outOfRange(measure(row.continuation), parameters.minContinuationLength, parameters.maxContinuationLength);
      if (continuation !== undefined) {
        dropped[continuation === 'short' ? 'continuation-too-short' : 'continuation-too-long']++;
        continue;
      }
    }
    kept.push(row);
  }

  if (parameters.dedupe) {
    const seen = new Set<string>();
    kept = kept.filter((row) => {
      const key = normaliseForDedupe(row.text);
      if (seen.has(key)) {
        dropped.duplicate++;
        return false;
      }
      seen.add(key);
      return true;
    });
  }

  const rng = new Rng(parameters.seed);
  const byLabel = (list: readonly DataRow[]) => {
    const groups: [number[], number[]] = [[], []];
    list.forEach((row, index) => groups[row.label].push(index));
    return groups;
  };
  const keepIndices = (list: DataRow[], chosen: number[][]): DataRow[] => {
    const keep = new Set(chosen.flat());
    return list.filter((_, index) => keep.has(index));
  };

  if (parameters.maxRowsPerLabel !== null) {
    const cap = parameters.maxRowsPerLabel;
    const groups = byLabel(kept);
    const chosen = groups.map((indices, label) => sampleInOrder(indices, cap, rng.fork(`label-cap-${label}`)));
    dropped['label-cap'] += kept.length - chosen[0]!.length - chosen[1]!.length;
    kept = keepIndices(kept, chosen);
  }
  if (parameters.balance) {
    const groups = byLabel(kept);
    const size = Math.min(groups[0].length, groups[1].length);
    const chosen = groups.map((indices, label) => sampleInOrder(indices, size, rng.fork(`balance-${label}`)));
    dropped.balance += kept.length - 2 * size;
    kept = keepIndices(kept, chosen);
  }

  if (kept.length === 0) {
    const described: Record<string, number> = {};
    for (const reason of DROP_REASONS) if (dropped[reason] > 0) described[describeReason(reason, parameters)] = dropped[reason];
    throw new EmptyDatasetError(context.file, inputRows, described, 'loosen or remove the filters that removed the most rows (or check the label column when balance removed everything: it needs rows of both labels)');
  }

  const testIndices = new Set<number>();
  byLabel(kept).forEach((indices, label) => {
    const testCount = Math.round(indices.length * parameters.testFraction);
    for (const index of rng.fork(`split-${label}`).shuffle([...indices]).slice(0, testCount)) testIndices.add(index);
  });
  const curated: CuratedRow[] = kept.map((row, index) => ({ ...row, split: testIndices.has(index) ? 'test' : 'train' }));

  const labels = emptyLabels();
  const splits: Record<Split, SplitCounts> = { train: { rows: 0, labels: emptyLabels() }, test: { rows: 0, labels: emptyLabels() } };
  for (const row of curated) {
    labels[`${row.label}`]++;
    splits[row.split].rows++;
    splits[row.split].labels[`${row.label}`]++;
  }
  return { rows: curated, inputRows, keptRows: curated.length, dropped, labels, splits, parameters };
}

/** A drop reason with the option value that caused it, for messages ("prompt-too-short (minPromptLength 5 words)"). */
export function describeReason(reason: DropReason, parameters: CurationParameters): string {
  const unit = parameters.lengthUnit;
  switch (reason) {
    case 'missing-label':
      return 'missing-label (rows whose label is empty)';
    case 'empty-text':
      return 'empty-text (rows whose text is empty)';
    case 'too-short-to-split':
      return `too-short-to-split (${parameters.promptLength !== null ? `promptLength ${parameters.promptLength}` : `promptFraction ${parameters.promptFraction}`} ${parameters.splitUnit})`;
    case 'text-too-short':
      return `text-too-short (minTextLength ${parameters.minTextLength} ${unit})`;
    case 'text-too-long':
      return `text-too-long (maxTextLength ${parameters.maxTextLength} ${unit})`;
    case 'prompt-too-short':
      return `prompt-too-short (minPromptLength ${parameters.minPromptLength} ${unit})`;
    case 'prompt-too-long':
      return `prompt-too-long (maxPromptLength ${parameters.maxPromptLength} ${unit})`;
    case 'continuation-too-short':
      return `continuation-too-short (minContinuationLength ${parameters.minContinuationLength} ${unit})`;
    case 'continuation-too-long':
      return `continuation-too-long (maxContinuationLength ${parameters.maxContinuationLength} ${unit})`;
    case 'duplicate':
      return 'duplicate (dedupe)';
    case 'label-cap':
      return `label-cap (maxRowsPerLabel ${parameters.maxRowsPerLabel})`;
    case 'balance':
      return 'balance';
  }
}

/** One curated row as a JSONL line, keys always in the same order. */
export function curatedRowJson(row: CuratedRow): string {
  return JSON.stringify({
    id: row.id,
    split: row.split,
    label: row.label,
    text: row.text,
    ...(row.prompt !== undefined ? { prompt: row.prompt } : {}),
    ...(row.continuation !== undefined ? { continuation: row.continuation } : {}),
    ...(row.scores !== undefined ? { scores: row.scores } : {}),
    file: row.file,
    row: row.row,
    ...(row.line !== undefined ? { line: row.line } : {}),
  });
}
