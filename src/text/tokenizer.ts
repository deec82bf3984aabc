/**
 * Tokenizers loaded from Hugging Face tokenizer.json files.
 *
 * The pipeline itself (normalizer, pre-tokenizer, model, post-processor, decoder) runs in
 * @huggingface/tokenizers, a pure JavaScript port of the Rust tokenizers library that reproduces
 * its encodings on our fixtures (byte-level BPE as in GPT-2, GPT-NeoX/Pythia and RoBERTa; also
 * SentencePiece-style BPE, Unigram and WordPiece). This module adds what irlens needs around it:
 * loading and checking files with clear errors, the special tokens named in
 * tokenizer_config.json, truncation, padding and batching; and it swaps the library's ByteLevel
 * regex for one that splits where Rust's does (pretokenize-regex.ts).
 *
 * Only single texts are encoded (no sentence pairs).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Tokenizer as LibraryTokenizer } from '@huggingface/tokenizers';
import { modelFolderFile } from '../io/inside-folder.js';
import { TokenizerFileError, TokenizerOptionsError, UnsupportedTokenizerError } from './errors.js';
import { checkTokenizerJson, parseTokenizerSettings, readJsonFile, type TokenizerSettings } from './files.js';
import { padRows, truncateIds, type BatchEncoding, type Side } from './batch.js';
import { useRustPretokenizeRegex } from './pretokenize-regex.js';

export type { BatchEncoding, FlatBatch, Side } from './batch.js';
export { flattenBatch } from './batch.js';

export interface EncodeOptions {
  /** Add the special tokens the tokenizer's post-processor defines (RoBERTa's <s> … </s>). Default true. */
  addSpecialTokens?: boolean;
  /** Cut the sequence (special tokens included) to maxLength, or to the model's maximum length. Default false. */
  truncation?: boolean;
  /** Length limit for truncation, and the padded length for padding: 'max_length'. */
  maxLength?: number;
  /** Which end truncation removes tokens from. Default: tokenizer_config.json's truncation_side, else 'right'. */
  truncationSide?: Side;
}

export interface BatchEncodeOptions extends EncodeOptions {
  /** 'longest': pad to the longest row; 'max_length': pad to maxLength; false (default): ragged rows. */
  padding?: 'longest' | 'max_length' | false;
  /** Where padding goes. Default: tokenizer_config.json's padding_side, else tokenizer.json's, else 'right'. */
  paddingSide?: Side;
  /** Pad id for this call only; overrides the tokenizer's pad token. */
  padTokenId?: number;
}

export interface DecodeOptions {
  /** Leave out special tokens (<|endoftext|>, <pad>, ...). Default false. */
  skipSpecialTokens?: boolean;
  /** transformers' clean-up of spaces before punctuation. Default: tokenizer_config.json's value, else false. */
  cleanUpTokenizationSpaces?: boolean;
}

export interface LoadOptions {
  /** tokenizer_config.json to read pad/eos/bos tokens and the maximum length from. */
  configFile?: string;
  /** Use this token for padding (e.g. the eos token for GPT-NeoX, which has no pad token). */
  padToken?: string;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Placeholder for the text's tokens when asking the post-processor which special tokens it adds. */
const SEQUENCE_PLACEHOLDER = '\u0000irlens-sequence\u0000';

export class Tokenizer {
  /** Where the tokenizer was read from, for error messages. */
  readonly source: string;
  /** The model's maximum sequence length from tokenizer_config.json, if it gives a real one. */
  readonly modelMaxLength: number | undefined;
  readonly bosTokenId: number | undefined;
  readonly eosTokenId: number | undefined;
  readonly unkTokenId: number | undefined;
  /** Ids of every token marked special (skipped by decode with skipSpecialTokens). */
  readonly specialTokenIds: ReadonlySet<number>;
  /** Default padding side and truncation side for this tokenizer. */
  readonly paddingSide: Side;
  readonly truncationSide: Side;

  private readonly library: LibraryTokenizer;
  private readonly settings: TokenizerSettings;
  /** Special-token ids the post-processor puts before and after a single text. */
  private readonly specialPrefix: number[];
  private readonly specialSuffix: number[];
  private padId: number | undefined;

  private constructor(tokenizerJson: unknown, config: unknown, source: string, configSource: string, options: LoadOptions) {
    this.source = source;
    const json = checkTokenizerJson(tokenizerJson, source);
    this.settings = parseTokenizerSettings(config, configSource);
    const completeJson = {
      normalizer: null, pre_tokenizer: null, post_processor: null, decoder: null, added_tokens: [], ...json,
    };
    const libraryConfig = { ...this.settings.raw, ...this.plainSpecialTokens() };
    try {
      this.library = new LibraryTokenizer(completeJson, libraryConfig);
    } catch (error) {
      throw new UnsupportedTokenizerError(source, 'tokenizer', `the tokenizer library could not build it: ${(error as Error).message}`);
    }
    useRustPretokenizeRegex(this.library.pre_tokenizer);

    this.modelMaxLength = this.settings.modelMaxLength;
    this.bosTokenId = this.namedTokenId('bos_token', this.settings.bosToken, configSource);
    this.eosTokenId = this.namedTokenId('eos_token', this.settings.eosToken, configSource);
    this.unkTokenId = this.namedTokenId('unk_token', this.settings.unkToken, configSource);

    const padding = isRecord(json.padding) ? json.padding : undefined;
    if (options.padToken !== undefined) {
      this.padId = this.namedTokenId('padToken option', options.padToken, 'the load options');
    } else if (this.settings.padToken !== undefined) {
      this.padId = this.namedTokenId('pad_token', this.settings.padToken, configSource);
    } else if (padding !== undefined && typeof padding.pad_id === 'number') {
      this.padId = padding.pad_id;
    }

    const special = new Set<number>();
    for (const [id, token] of this.library.get_added_tokens_decoder()) if (token.special) special.add(id);
    for (const token of this.settings.additionalSpecialTokens) {
      const id = this.library.token_to_id(token);
      if (id !== undefined) special.add(id);
    }
    this.specialTokenIds = special;

    const direction = (value: unknown): Side | undefined =>
      value === 'Left' || value === 'left' ? 'left' : value === 'Right' || value === 'right' ? 'right' : undefined;
    const truncation = isRecord(json.truncation) ? json.truncation : undefined;
    this.paddingSide = this.settings.paddingSide ?? direction(padding?.direction) ?? 'right';
    this.truncationSide = this.settings.truncationSide ?? direction(truncation?.direction) ?? 'right';

    [this.specialPrefix, this.specialSuffix] = this.specialTokensAround();
  }

  /** Reads a tokenizer.json file (and, if options.configFile is given, a tokenizer_config.json). */
  static fromFile(tokenizerJsonPath: string, options: LoadOptions = {}): Tokenizer {
    const json = readJsonFile(tokenizerJsonPath);
    const config = options.configFile === undefined ? {} : readJsonFile(options.configFile);
    return new Tokenizer(json, config, tokenizerJsonPath, options.configFile ?? '(no tokenizer_config.json)', options);
  }

  /** Reads tokenizer.json and, when present, tokenizer_config.json from a Hugging Face model folder. */
  static fromFolder(folder: string, options: LoadOptions = {}): Tokenizer {
    const jsonPath = modelFolderFile(folder, 'tokenizer.json');
    if (!existsSync(jsonPath)) {
      const hint = existsSync(join(folder, 'vocab.json')) || existsSync(join(folder, 'tokenizer.model'))
        ? '; the folder has only a slow-tokenizer vocabulary (vocab.json/merges.txt or tokenizer.model): save it with a fast tokenizer in transformers to get tokenizer.json'
        : '';
      throw new TokenizerFileError(jsonPath, `file not found (expected a Hugging Face tokenizer.json)${hint}`);
    }
    const configFile = options.configFile ?? modelFolderFile(folder, 'tokenizer_config.json');
    return Tokenizer.fromFile(jsonPath, { ...options, configFile: existsSync(configFile) ? configFile : undefined });
  }

  /** Builds a tokenizer from already-parsed tokenizer.json and tokenizer_config.json objects. */
  static fromJson(tokenizerJson: unknown, config: unknown = {}, source = '(in-memory tokenizer.json)', options: LoadOptions = {}): Tokenizer {
    return new Tokenizer(tokenizerJson, config, source, '(in-memory tokenizer_config.json)', options);
  }

  /** The pad token's id, or undefined if the tokenizer has none (GPT-NeoX/Pythia). */
  get padTokenId(): number | undefined {
    return this.padId;
  }

  /** Sets the token used for padding, by text or id; GPT-style models commonly pad with eos. */
  setPadToken(token: string | number): void {
    if (typeof token === 'number') {
      if (this.idToToken(token) === undefined) {
        throw new TokenizerOptionsError(`pad token id ${token} is not in the vocabulary of ${this.source} (size ${this.vocabSize})`);
      }
      this.padId = token;
    } else {
      this.padId = this.namedTokenId('pad token', token, 'setPadToken');
    }
  }

  /** One more than the largest token id (added tokens included): the size an embedding table needs at least. */
  get vocabSize(): number {
    return this.library.model!.vocab.length;
  }

  idToToken(id: number): string | undefined {
    return this.library.id_to_token(id) ?? undefined;
  }

  tokenToId(token: string): number | undefined {
    return this.library.token_to_id(token);
  }

  /** The special tokens added around a single text by the post-processor (0 for GPT-2/NeoX, 2 for RoBERTa). */
  get numSpecialTokensToAdd(): number {
    return this.specialPrefix.length + this.specialSuffix.length;
  }

  /** The text's tokens as strings (byte-level tokens show spaces as "Ġ"), without special tokens. */
  tokenize(text: string): string[] {
    checkText(text);
    return this.library.tokenize(text, { add_special_tokens: false });
  }

  /** Token ids of one text. */
  encode(text: string, options: EncodeOptions = {}): number[] {
    checkText(text);
    const addSpecial = options.addSpecialTokens ?? true;
    let ids = this.library.encode(text, { add_special_tokens: false }).ids;
    if (options.truncation === true) {
      const limit = this.lengthLimit(options.maxLength, 'truncation');
      const budget = limit - (addSpecial ? this.numSpecialTokensToAdd : 0);
      if (budget < 0) {
        throw new TokenizerOptionsError(
          `maxLength ${limit} is shorter than the ${this.numSpecialTokensToAdd} special tokens the tokenizer adds`,
        );
      }
      ids = truncateIds(ids, budget, options.truncationSide ?? this.truncationSide);
    }
    return addSpecial ? [...this.specialPrefix, ...ids, ...this.specialSuffix] : ids;
  }

  /** Encodes several texts, with optional truncation and padding. */
  encodeBatch(texts: readonly string[], options: BatchEncodeOptions = {}): BatchEncoding {
    if (!Array.isArray(texts)) throw new TokenizerOptionsError('encodeBatch expects an array of strings');
    const padding = options.padding ?? false;
    if (padding !== false && padding !== 'longest' && padding !== 'max_length') {
      throw new TokenizerOptionsError(`padding must be 'longest', 'max_length' or false, got ${JSON.stringify(padding)}`);
    }
    const rows = texts.map((text) => this.encode(text, options));
    const lengths = rows.map((row) => row.length);
    if (padding === false) {
      const columns = rows.length === 0 ? 0 : lengths[0]!;
      const rectangular = lengths.every((length) => length === columns);
      return {
        ids: rows,
        attentionMask: rows.map((row) => new Array<number>(row.length).fill(1)),
        lengths,
        shape: rectangular ? [rows.length, columns] : null,
      };
    }
    const padId = options.padTokenId ?? this.padId;
    if (padId === undefined) {
      throw new TokenizerOptionsError(
        `${this.source} has no pad token, so it cannot pad; pass padTokenId, call setPadToken() ` +
        `(e.g. with the eos token${this.eosTokenId === undefined ? '' : ` id ${this.eosTokenId}`}), or load with { padToken }`,
      );
    }
    const length = padding === 'longest'
      ? Math.max(0, ...lengths)
      : this.lengthLimit(options.maxLength, "padding: 'max_length'");
    const padded = padRows(rows, length, padId, options.paddingSide ?? this.paddingSide);
    return { ...padded, lengths, shape: [rows.length, length] };
  }

  /** Text of a sequence of ids. Ids the vocabulary lacks are skipped, as the Rust library does. */
  decode(ids: ArrayLike<number>, options: DecodeOptions = {}): string {
    const known: number[] = [];
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      if (!Number.isInteger(id) || id < 0) {
        throw new TokenizerOptionsError(`decode: token ids must be non-negative integers, got ${id} at position ${i}`);
      }
      if (this.library.id_to_token(id) !== undefined) known.push(id);
    }
    const kept = options.skipSpecialTokens === true ? known.filter((id) => !this.specialTokenIds.has(id)) : known;
    if (kept.length === 0) return '';
    return this.library.decode(kept, {
      skip_special_tokens: false,
      clean_up_tokenization_spaces: options.cleanUpTokenizationSpaces ?? this.settings.cleanUpTokenizationSpaces,
    });
  }

  decodeBatch(rows: readonly ArrayLike<number>[], options: DecodeOptions = {}): string[] {
    return rows.map((row) => this.decode(row, options));
  }

  private lengthLimit(maxLength: number | undefined, purpose: string): number {
    if (maxLength !== undefined) {
      if (!Number.isInteger(maxLength) || maxLength < 0) {
        throw new TokenizerOptionsError(`maxLength must be a non-negative integer, got ${maxLength}`);
      }
      return maxLength;
    }
    if (this.modelMaxLength !== undefined) return this.modelMaxLength;
    throw new TokenizerOptionsError(
      `${purpose} needs maxLength: ${this.source} gives no model_max_length in tokenizer_config.json`,
    );
  }

  private namedTokenId(role: string, token: string | undefined, file: string): number | undefined {
    if (token === undefined) return undefined;
    const id = this.library.token_to_id(token);
    if (id === undefined) {
      throw new TokenizerFileError(file, `${role} ${JSON.stringify(token)} is not in the vocabulary of ${this.source}`);
    }
    return id;
  }

  /** tokenizer_config.json's special tokens as plain strings, as the library expects them. */
  private plainSpecialTokens(): Record<string, string | string[]> {
    const s = this.settings;
    const entries: [string, string | undefined][] = [
      ['bos_token', s.bosToken], ['eos_token', s.eosToken], ['pad_token', s.padToken], ['unk_token', s.unkToken],
      ['sep_token', s.sepToken], ['cls_token', s.clsToken], ['mask_token', s.maskToken],
    ];
    const out: Record<string, string | string[]> = { additional_special_tokens: s.additionalSpecialTokens };
    for (const [key, value] of entries) if (value !== undefined) out[key] = value;
    return out;
  }

  /** Asks the post-processor which special tokens surround a single text. */
  private specialTokensAround(): [number[], number[]] {
    const processor = this.library.post_processor;
    if (processor === null) return [[], []];
    const tokens = processor.post_process([SEQUENCE_PLACEHOLDER], null, true).tokens;
    const at = tokens.indexOf(SEQUENCE_PLACEHOLDER);
    if (at < 0 || tokens.lastIndexOf(SEQUENCE_PLACEHOLDER) !== at) {
      throw new UnsupportedTokenizerError(this.source, 'post_processor', 'its template does not contain the text exactly once');
    }
    const toIds = (part: string[]): number[] => part.map((token) => {
      const id = this.library.token_to_id(token);
      if (id === undefined) {
        throw new UnsupportedTokenizerError(this.source, 'post_processor', `it adds ${JSON.stringify(token)}, which is not in the vocabulary`);
      }
      return id;
    });
    return [toIds(tokens.slice(0, at)), toIds(tokens.slice(at + 1))];
  }
}

function checkText(text: unknown): asserts text is string {
  if (typeof text !== 'string') {
    throw new TokenizerOptionsError(`expected a string to encode, got ${text === null ? 'null' : typeof text}`);
  }
}
