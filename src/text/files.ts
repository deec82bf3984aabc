/**
 * Reading a Hugging Face tokenizer folder: tokenizer.json (the pipeline) and
 * tokenizer_config.json (which tokens are pad/eos/bos, the model's maximum length, decode options).
 */
import { readFileSync } from 'node:fs';
import { previewJson } from '../io/preview.js';
import { TokenizerFileError, UnsupportedTokenizerError } from './errors.js';

/** The parts of tokenizer_config.json irlens uses, with special tokens reduced to their text. */
export interface TokenizerSettings {
  bosToken?: string;
  eosToken?: string;
  padToken?: string;
  unkToken?: string;
  sepToken?: string;
  clsToken?: string;
  maskToken?: string;
  additionalSpecialTokens: string[];
  /** undefined when the config gives none or transformers' "very large" placeholder (1e30). */
  modelMaxLength?: number;
  paddingSide?: 'left' | 'right';
  truncationSide?: 'left' | 'right';
  /** transformers' post-decode clean-up (" ." -> "." ...); the Rust library never does it. */
  cleanUpTokenizationSpaces: boolean;
  /** The raw config object, passed on to the tokenizer library. */
  raw: Record<string, unknown>;
}

export function readJsonFile(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const what = code === 'ENOENT' ? 'file not found' : code === 'EISDIR' ? 'is a folder, not a file' : String(error);
    throw new TokenizerFileError(file, `${what} (expected a Hugging Face tokenizer file)`);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new TokenizerFileError(file, `not valid JSON (${(error as Error).message}); the file may be truncated or corrupt`);
  }
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** A special token in tokenizer_config.json is a string or an AddedToken object {content, ...}. */
function tokenText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (isRecord(value) && typeof value.content === 'string') return value.content;
  return undefined;
}

const side = (value: unknown): 'left' | 'right' | undefined =>
  value === 'left' || value === 'right' ? value : undefined;

/** transformers writes int(1e30) when a model has no maximum length. */
const NO_MAX_LENGTH_THRESHOLD = 1e18;

export function parseTokenizerSettings(raw: unknown, file: string): TokenizerSettings {
  if (raw === undefined) raw = {};
  if (!isRecord(raw)) throw new TokenizerFileError(file, 'expected a JSON object');
  const maxLength = raw.model_max_length;
  const additional = Array.isArray(raw.additional_special_tokens)
    ? raw.additional_special_tokens.map(tokenText).filter((t): t is string => t !== undefined)
    : [];
  return {
    bosToken: tokenText(raw.bos_token),
    eosToken: tokenText(raw.eos_token),
    padToken: tokenText(raw.pad_token),
    unkToken: tokenText(raw.unk_token),
    sepToken: tokenText(raw.sep_token),
    clsToken: tokenText(raw.cls_token),
    maskToken: tokenText(raw.mask_token),
    additionalSpecialTokens: additional,
    modelMaxLength:
      typeof maxLength === 'number' && Number.isFinite(maxLength) && maxLength > 0 && maxLength < NO_MAX_LENGTH_THRESHOLD
        ? Math.floor(maxLength)
        : undefined,
    paddingSide: side(raw.padding_side),
    truncationSide: side(raw.truncation_side),
    cleanUpTokenizationSpaces: raw.clean_up_tokenization_spaces === true,
    raw,
  };
}

/** Component types the tokenizer library can run, per tokenizer.json section. */
const SUPPORTED: Record<'model' | 'normalizer' | 'pre_tokenizer' | 'post_processor' | 'decoder', readonly string[]> = {
  model: ['BPE', 'WordPiece', 'Unigram'],
  normalizer: [
    'BertNormalizer', 'Precompiled', 'Sequence', 'Replace', 'NFC', 'NFD', 'NFKC', 'NFKD',
    'Strip', 'StripAccents', 'Lowercase', 'Prepend',
  ],
  pre_tokenizer: [
    'BertPreTokenizer', 'Sequence', 'Whitespace', 'WhitespaceSplit', 'Metaspace', 'ByteLevel',
    'Split', 'Punctuation', 'Digits', 'Replace', 'FixedLength',
  ],
  post_processor: ['TemplateProcessing', 'ByteLevel', 'BertProcessing', 'RobertaProcessing', 'Sequence'],
  decoder: [
    'ByteLevel', 'WordPiece', 'Metaspace', 'BPEDecoder', 'CTC', 'Sequence', 'Replace', 'Fuse',
    'Strip', 'ByteFallback',
  ],
};

/** Where a Sequence component keeps its children, per section. */
const CHILDREN: Record<string, string> = {
  normalizer: 'normalizers',
  pre_tokenizer: 'pretokenizers',
  post_processor: 'processors',
  decoder: 'decoders',
};

const isTokenAndId = (value: unknown) => Array.isArray(value) && value.length === 2 && typeof value[0] === 'string' && Number.isSafeInteger(value[1]);
const isTemplateItem = (value: unknown) =>
  isRecord(value) && ((isRecord(value.SpecialToken) && typeof value.SpecialToken.id === 'string') || (isRecord(value.Sequence) && typeof value.Sequence.id === 'string'));

/** The fields a post-processor needs; the tokenizer library does not check them and fails with a TypeError on first use. */
function checkPostProcessorFields(file: string, path: string, config: Record<string, unknown>): void {
  if ((config.type === 'RobertaProcessing' || config.type === 'BertProcessing') && !(isTokenAndId(config.sep) && isTokenAndId(config.cls))) {
    throw new UnsupportedTokenizerError(file, path, `${config.type} needs "sep" and "cls" as [token, id] pairs, got sep ${previewJson(config.sep)} and cls ${previewJson(config.cls)}`);
  }
  if (config.type === 'TemplateProcessing' && !(Array.isArray(config.single) && config.single.every(isTemplateItem))) {
    throw new UnsupportedTokenizerError(file, path, `TemplateProcessing needs "single": a list of {"SpecialToken": {"id": ...}} and {"Sequence": {"id": "A"}} items, got ${previewJson(config.single)}`);
  }
}

/**
 * Sequences nested deeper than this are refused: the check below and the tokenizer library both
 * recurse into them, and a few thousand levels overflow the stack. Real pipelines nest one or two.
 */
const MAX_SEQUENCE_DEPTH = 16;

function checkComponent(file: string, section: keyof typeof SUPPORTED, path: string, config: unknown, depth = 0): void {
  if (config === null || config === undefined) return;
  if (!isRecord(config) || typeof config.type !== 'string') {
    throw new UnsupportedTokenizerError(file, path, `expected an object with a "type" field, got ${previewJson(config)}`);
  }
  const allowed = SUPPORTED[section];
  if (!allowed.includes(config.type)) {
    throw new UnsupportedTokenizerError(
      file, path, `type "${config.type}" is not supported (supported: ${allowed.join(', ')})`,
    );
  }
  if (section === 'post_processor') checkPostProcessorFields(file, path, config);
  if (config.type === 'Sequence') {
    const key = CHILDREN[section];
    const children = key === undefined ? undefined : config[key];
    if (!Array.isArray(children)) {
      throw new UnsupportedTokenizerError(file, path, `Sequence without a "${key}" list`);
    }
    if (depth === MAX_SEQUENCE_DEPTH) {
      throw new UnsupportedTokenizerError(file, path, `Sequence components nested more than ${MAX_SEQUENCE_DEPTH} deep; flatten them into one Sequence`);
    }
    children.forEach((child, i) => checkComponent(file, section, `${path}.${key}[${i}]`, child, depth + 1));
  }
}

/**
 * Checks a parsed tokenizer.json before the tokenizer library sees it, so that anything irlens
 * cannot run is reported with the file, the component and its type.
 */
export function checkTokenizerJson(raw: unknown, file: string): Record<string, unknown> {
  if (!isRecord(raw)) throw new TokenizerFileError(file, 'expected a JSON object (a Hugging Face tokenizer.json)');
  const model = raw.model;
  if (!isRecord(model)) {
    throw new TokenizerFileError(file, 'has no "model" object; is this a Hugging Face tokenizer.json?');
  }
  if (model.type === undefined) {
    // Old files omit the type; the library infers it from the fields, as the Rust library does.
  } else {
    checkComponent(file, 'model', 'model', model);
  }
  if (typeof model.dropout === 'number' && model.dropout > 0) {
    throw new UnsupportedTokenizerError(file, 'model', `BPE dropout ${model.dropout} (random segmentation) is not supported; set it to null`);
  }
  for (const section of ['normalizer', 'pre_tokenizer', 'post_processor', 'decoder'] as const) {
    checkComponent(file, section, section, raw[section]);
  }
  checkVocabulary(file, model);
  if (raw.added_tokens !== undefined && !Array.isArray(raw.added_tokens)) {
    throw new TokenizerFileError(file, '"added_tokens" is not a list');
  }
  (raw.added_tokens as unknown[] | undefined)?.forEach((token, i) => {
    if (!isRecord(token) || !isTokenId(token.id) || typeof token.content !== 'string') {
      throw new TokenizerFileError(file, `"added_tokens"[${i}] is ${previewJson(token)}; expected {"id": a non-negative integer, "content": a string, ...}`);
    }
  });
  return raw;
}

const isTokenId = (value: unknown) => Number.isSafeInteger(value) && (value as number) >= 0;

/**
 * The model's vocabulary: token → id for BPE and WordPiece, [piece, score] pairs for Unigram. The
 * tokenizer library takes any values, and a string or fractional id would come out of encode.
 */
function checkVocabulary(file: string, model: Record<string, unknown>): void {
  const { vocab } = model;
  // A model without a type is read as Unigram when its vocabulary is a list, as the library does.
  if (model.type === 'Unigram' || (model.type === undefined && Array.isArray(vocab))) {
    if (!Array.isArray(vocab)) throw new TokenizerFileError(file, `the Unigram model's "vocab" is ${previewJson(vocab)}; expected a list of [piece, score] pairs`);
    vocab.forEach((entry, i) => {
      if (!Array.isArray(entry) || entry.length !== 2 || typeof entry[0] !== 'string' || typeof entry[1] !== 'number' || !Number.isFinite(entry[1])) {
        throw new TokenizerFileError(file, `the Unigram model's "vocab"[${i}] is ${previewJson(entry)}; expected a [piece, score] pair`);
      }
    });
    return;
  }
  if (!isRecord(vocab)) throw new TokenizerFileError(file, `the model's "vocab" is ${previewJson(vocab)}; expected an object mapping tokens to ids`);
  for (const [token, id] of Object.entries(vocab)) {
    if (!isTokenId(id)) throw new TokenizerFileError(file, `the model's "vocab" gives the token ${previewJson(token)} the id ${previewJson(id)}; ids are non-negative integers`);
  }
  // A word the model cannot split becomes its unk token (WordPiece's is "[UNK]" unless named); one missing from the vocabulary would have no id.
  const unk = model.type === 'WordPiece' ? (model.unk_token ?? '[UNK]') : (model.unk_token ?? null);
  if (unk !== null && !(typeof unk === 'string' && Object.hasOwn(vocab, unk))) {
    throw new TokenizerFileError(file, `the ${String(model.type ?? 'BPE')} model's unk_token ${previewJson(unk)} is not in its "vocab", so a word it cannot split would have no id; add it to the vocabulary`);
  }
}
