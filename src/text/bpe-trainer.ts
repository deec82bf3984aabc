/**
 * Trains a byte-level BPE tokenizer (GPT-2 / GPT-NeoX style) from texts and writes it as a Hugging
 * Face tokenizer folder (tokenizer.json, tokenizer_config.json, special_tokens_map.json) that
 * irlens' Tokenizer and transformers load.
 *
 * The algorithm is the standard one:
 * 1. Split each text into pre-tokens with the GPT-2 regex (what the ByteLevel pre-tokenizer does),
 *    map each pre-token's UTF-8 bytes to GPT-2's printable byte characters, and count them.
 * 2. Start from the 256 byte symbols; repeatedly merge the most frequent adjacent pair (ties: the
 *    pair whose ids are smallest, first id first), until the vocabulary is full or no pair occurs
 *    `minFrequency` times. Pair counts are kept incrementally: a merge only recounts the words
 *    that contain the merged pair.
 *
 * Vocabulary layout: the special tokens first (ids 0, 1, ...), then the 256 byte symbols in GPT-2's
 * order, then one token per merge.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../io/atomic.js';
import { TokenizerError } from './errors.js';
import { GPT2_PRETOKENIZE_REGEX } from './pretokenize-regex.js';


export const END_OF_TEXT = '<|endoftext|>';
export const PADDING = '<|padding|>';

export interface BpeTrainerOptions {
  /** The vocabulary size to reach: special tokens + 256 bytes + merges. Default 1024. */
  vocabSize?: number;
  /** Special tokens, given the first ids. Default ['<|endoftext|>', '<|padding|>']. */
  specialTokens?: readonly string[];
  /** A pair must occur at least this many times to be merged. Default 2. */
  minFrequency?: number;
}

export interface TrainedBpe {
  /** Token strings by id (byte-level characters, as in tokenizer.json's vocab). */
  vocab: string[];
  /** Merges in the order they were learnt (their rank). */
  merges: [string, string][];
  specialTokens: string[];
}

/** GPT-2's map of bytes to printable characters: printable Latin-1 stays, the rest moves to U+0100…. */
export function bytesToUnicode(): string[] {
  const table: string[] = new Array(256);
  const printable = (b: number) => (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  let extra = 0;
  for (let b = 0; b < 256; b++) table[b] = printable(b) ? String.fromCharCode(b) : String.fromCharCode(256 + extra++);
  return table;
}

/** The byte symbols in GPT-2's order: the printable bytes first, then the remapped ones. */
function byteOrder(): number[] {
  const order: number[] = [];
  for (let b = 0; b < 256; b++) if ((b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff)) order.push(b);
  for (let b = 0; b < 256; b++) if (!order.includes(b)) order.push(b);
  return order;
}

const encoder = new TextEncoder();

/** Counts the pre-tokens of the texts (as byte-level strings), skipping special tokens in them. */
export function countPretokens(texts: Iterable<string>, specialTokens: readonly string[] = []): Map<string, number> {
  const byteChars = bytesToUnicode();
  const counts = new Map<string, number>();
  const specialSplit = specialTokens.length > 0 ? new RegExp(specialTokens.map((t) => t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'), 'g') : undefined;
  for (const text of texts) {
    const pieces = specialSplit === undefined ? [text] : text.split(specialSplit);
    for (const piece of pieces) {
      for (const match of piece.matchAll(GPT2_PRETOKENIZE_REGEX)) {
        counts.set(match[0], (counts.get(match[0]) ?? 0) + 1);
      }
    }
  }
  // Map to byte-level strings (after counting, so each distinct pre-token is converted once).
  const mapped = new Map<string, number>();
  for (const [word, count] of counts) {
    let chars = '';
    for (const byte of encoder.encode(word)) chars += byteChars[byte];
    mapped.set(chars, (mapped.get(chars) ?? 0) + count);
  }
  return mapped;
}

const PAIR_BASE = 1 << 20;
const pairKey = (a: number, b: number) => a * PAIR_BASE + b;

/** Learns byte-level BPE merges from texts. Deterministic: the same texts and options give the same result. */
export function trainByteLevelBpe(texts: Iterable<string>, options: BpeTrainerOptions = {}): TrainedBpe {
  const specialTokens = [...(options.specialTokens ?? [END_OF_TEXT, PADDING])];
  const vocabSize = options.vocabSize ?? 1024;
  const minFrequency = options.minFrequency ?? 2;
  if (new Set(specialTokens).size !== specialTokens.length) throw new TokenizerError(`BPE trainer: the special tokens ${JSON.stringify(specialTokens)} contain a duplicate`);
  if (!Number.isInteger(vocabSize) || vocabSize < specialTokens.length + 256) {
    throw new TokenizerError(`BPE trainer: vocabSize must be an integer ≥ ${specialTokens.length + 256} (the special tokens and the 256 bytes), got ${vocabSize}`);
  }
  if (vocabSize > PAIR_BASE) throw new TokenizerError(`BPE trainer: vocabSize must be at most ${PAIR_BASE}, got ${vocabSize}`);
  if (!Number.isInteger(minFrequency) || minFrequency < 1) throw new TokenizerError(`BPE trainer: minFrequency must be an integer ≥ 1, got ${minFrequency}`);

  const byteChars = bytesToUnicode();
  const vocab: string[] = [...specialTokens];
  const ids = new Map<string, number>(specialTokens.map((t, i) => [t, i]));
  for (const byte of byteOrder()) {
    const char = byteChars[byte]!;
    if (ids.has(char)) throw new TokenizerError(`BPE trainer: the special token ${JSON.stringify(char)} is also a byte symbol`);
    ids.set(char, vocab.length);
    vocab.push(char);
  }

  // The words: symbol ids and counts.
  const words: number[][] = [];
  const wordCounts: number[] = [];
  for (const [word, count] of countPretokens(texts, specialTokens)) {
    words.push([...word].map((char) => ids.get(char)!));
    wordCounts.push(count);
  }

  // Pair counts and, for each pair, the words it occurs in (may hold stale entries; counts are exact).
  const pairCounts = new Map<number, number>();
  const where = new Map<number, Set<number>>();
  const addPairs = (w: number, sign: 1 | -1) => {
    const symbols = words[w]!;
    const count = wordCounts[w]! * sign;
    for (let i = 0; i + 1 < symbols.length; i++) {
      const key = pairKey(symbols[i]!, symbols[i + 1]!);
      const next = (pairCounts.get(key) ?? 0) + count;
      if (next === 0) pairCounts.delete(key);
      else pairCounts.set(key, next);
      if (sign === 1) {
        let set = where.get(key);
        if (set === undefined) where.set(key, (set = new Set()));
        set.add(w);
      }
    }
  };
  for (let w = 0; w < words.length; w++) addPairs(w, 1);

  const merges: [string, string][] = [];
  while (vocab.length < vocabSize) {
    let bestKey = -1;
    let bestCount = 0;
    for (const [key, count] of pairCounts) {
      if (count > bestCount || (count === bestCount && key < bestKey)) {
        bestKey = key;
        bestCount = count;
      }
    }
    if (bestKey < 0 || bestCount < minFrequency) break;
    const a = Math.floor(bestKey / PAIR_BASE);
    const b = bestKey % PAIR_BASE;
    const merged = vocab[a]! + vocab[b]!;
    let newId = ids.get(merged);
    if (newId === undefined) {
      newId = vocab.length;
      vocab.push(merged);
      ids.set(merged, newId);
    }
    merges.push([vocab[a]!, vocab[b]!]);
    const affected = where.get(bestKey)!;
    where.delete(bestKey);
    for (const w of affected) {
      const symbols = words[w]!;
      let found = false;
      for (let i = 0; i + 1 < symbols.length; i++) if (symbols[i] === a && symbols[i + 1] === b) found = true;
      if (!found) continue;
      addPairs(w, -1);
      const out: number[] = [];
      for (let i = 0; i < symbols.length; i++) {
        if (i + 1 < symbols.length && symbols[i] === a && symbols[i + 1] === b) {
          out.push(newId);
          i++;
        } else out.push(symbols[i]!);
      }
      words[w] = out;
      addPairs(w, 1);
    }
    pairCounts.delete(bestKey);
  }
  return { vocab, merges, specialTokens };
}

const BYTE_LEVEL = { add_prefix_space: false, trim_offsets: true, use_regex: true } as const;

/** The tokenizer.json object of a trained BPE (Hugging Face tokenizers' format, version 1.0). */
export function tokenizerJsonOf(bpe: TrainedBpe): Record<string, unknown> {
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: bpe.specialTokens.map((content, id) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true })),
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', ...BYTE_LEVEL },
    post_processor: { type: 'ByteLevel', ...BYTE_LEVEL },
    decoder: { type: 'ByteLevel', ...BYTE_LEVEL },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab: Object.fromEntries(bpe.vocab.map((token, id) => [token, id])),
      merges: bpe.merges.map(([a, b]) => `${a} ${b}`),
    },
  };
}

export interface SaveTokenizerOptions {
  /** The end-of-text token (eos, bos and unk, as GPT-NeoX's). Default '<|endoftext|>' when it is a special token. */
  eosToken?: string;
  /** The pad token. Default '<|padding|>' when it is a special token. */
  padToken?: string;
  /** tokenizer_config.json's model_max_length. */
  modelMaxLength?: number;
}

/** Writes tokenizer.json, tokenizer_config.json and special_tokens_map.json into `folder` (created if needed), each atomically. */
export function saveTrainedTokenizer(bpe: TrainedBpe, folder: string, options: SaveTokenizerOptions = {}): void {
  const pick = (given: string | undefined, fallback: string) => {
    const token = given ?? (bpe.specialTokens.includes(fallback) ? fallback : undefined);
    if (token !== undefined && !bpe.specialTokens.includes(token)) throw new TokenizerError(`saveTrainedTokenizer: ${JSON.stringify(token)} is not one of the special tokens ${JSON.stringify(bpe.specialTokens)}`);
    return token;
  };
  const eos = pick(options.eosToken, END_OF_TEXT);
  const pad = pick(options.padToken, PADDING);
  mkdirSync(folder, { recursive: true });
  const named: Record<string, string> = {};
  if (eos !== undefined) Object.assign(named, { bos_token: eos, eos_token: eos, unk_token: eos });
  if (pad !== undefined) named.pad_token = pad;
  const config: Record<string, unknown> = {
    tokenizer_class: 'PreTrainedTokenizerFast',
    add_prefix_space: false,
    clean_up_tokenization_spaces: false,
    ...named,
    ...(options.modelMaxLength !== undefined ? { model_max_length: options.modelMaxLength } : {}),
  };
  writeFileAtomic(join(folder, 'tokenizer.json'), JSON.stringify(tokenizerJsonOf(bpe)) + '\n');
  writeFileAtomic(join(folder, 'tokenizer_config.json'), JSON.stringify(config, null, 2) + '\n');
  writeFileAtomic(join(folder, 'special_tokens_map.json'), JSON.stringify(named, null, 2) + '\n');
}
