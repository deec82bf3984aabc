/**
 * Text generation from any causal LM (GPT-NeoX, Llama, ...): greedy decoding or seeded sampling
 * with temperature, top-k and top-p, batched over prompts of different lengths, with a KV cache.
 *
 * It follows transformers' generate():
 * - Prompts are LEFT-padded to a common length, so that every row's next token is the last
 *   column; the attention mask marks the padding, and position ids count only real tokens
 *   (cumsum(mask) − 1), so a padded prompt sees exactly what it would see alone.
 * - The first forward pass (prefill) runs the whole prompts; each later step feeds only the
 *   new token of every row, attending over the cached keys and values of the earlier ones.
 * - The logits of the last position are processed in transformers' order: eos is suppressed
 *   until minNewTokens tokens exist (MinNewTokensLengthLogitsProcessor), then temperature, then
 *   top-k, then top-p (TemperatureLogitsWarper, TopKLogitsWarper, TopPLogitsWarper). The
 *   backend does this and picks the token (T.chooseTokens), so a step reads one token and its
 *   log-probability per row on the host, never a row of logits.
 * - A row that emits an eos token is done: it keeps being fed pad tokens (the batch stays
 *   rectangular) but nothing after its eos is returned; the loop ends when every row is done or
 *   maxNewTokens tokens have been generated.
 *
 * Sampling is seeded: each row draws from its own stream (forked from the seed by row index), one
 * uniform per token that the backend turns into the draw, so the same seed gives the same tokens
 * on every backend, and a row's draws never depend on how many draws the other rows made (which
 * varies as rows finish).
 *
 * Every step runs under noGrad and inside tidy(), so memory stays flat over long generations;
 * the cache is released when generation ends, also when it ends with an error.
 */
import type { Tokenizer } from '../text/index.js';
import * as T from '../tensor/index.js';
import type { Tensor } from '../tensor/index.js';
import { Rng } from '../nn/index.js';
import type { CausalLMInputs } from './causal-lm.js';
import { KVCache } from './kv-cache.js';
import { UserError } from '../errors.js';

/** What generation needs of a model: a causal-LM forward that accepts a KV cache. */
export interface GenerationModel {
  readonly config: {
    readonly numHiddenLayers: number;
    /** The default eos token(s) (config.json's eos_token_id). */
    readonly eosTokenId?: number | readonly number[] | null;
  };
  /** logits [batch, t, vocab], or [batch, 1, vocab] when asked for the last position only. */
  forward(inputs: CausalLMInputs): { logits: Tensor };
}

/** Prompts: rows of token ids without padding, or a padded batch whose mask marks the padding. */
export type Prompts = readonly (readonly number[])[] | { readonly ids: readonly (readonly number[])[]; readonly attentionMask: readonly (readonly number[])[] };

export interface GenerateOptions {
  /** Generate at most this many tokens per row. */
  maxNewTokens: number;
  /** Suppress eos until each row has this many new tokens (default 0). */
  minNewTokens?: number;
  /** Sample (true) or take the most likely token (false, the default), as transformers' do_sample. */
  doSample?: boolean;
  /** Divide the logits by this before sampling (default 1). Sampling only. */
  temperature?: number;
  /**
   * Sample only among the k most likely tokens (tokens tied with the k-th are kept too); 0, the
   * default, keeps all. transformers' GenerationConfig defaults to 50; irlens keeps the
   * distribution whole unless asked, as PPO's rollouts want. Sampling only.
   */
  topK?: number;
  /**
   * Nucleus sampling: keep the most likely tokens until their probability (after temperature and
   * top-k) reaches topP, always at least one; 1, the default, keeps all. Sampling only.
   */
  topP?: number;
  /** Token(s) that end a row; default the model config's eos_token_id; null never stops early. */
  eosTokenId?: number | readonly number[] | null;
  /** Fills the left padding of prompts (it is masked, so any valid id works); default the first eos id, else 0. */
  padTokenId?: number;
  /** Seed of the sampling streams: the same seed gives the same tokens. Sampling needs seed or rng. */
  seed?: number | string;
  /** Or draw the sampling streams from this generator (each call advances it, so calls differ). */
  rng?: Rng;
}

export interface GenerationResult {
  /** Each row's prompt (without padding) followed by its new tokens: ragged rows. */
  sequences: number[][];
  /** The tokens each row generated, its eos included when it emitted one: ragged rows. */
  newTokens: number[][];
  /**
   * For each new token, log π(token | prompt and earlier tokens) under the model's RAW
   * distribution: the log-softmax of the unprocessed logits (temperature 1, no top-k, no top-p,
   * no eos suppression), which is what PPO's ratios and KL penalties need. Same shape as newTokens.
   */
  logProbs: number[][];
  /** Whether each row ended by emitting eos (false: it ran to maxNewTokens). */
  finished: boolean[];
}

/** Generation options or prompts a caller can fix; the message says what was wrong and what to do. */
export class GenerationError extends UserError {
  override name = 'GenerationError';
}

interface Settings {
  maxNewTokens: number;
  minNewTokens: number;
  doSample: boolean;
  temperature: number;
  topK: number;
  topP: number;
  eos: number[];
  padTokenId: number;
}

/**
 * Generates continuations of a batch of prompts. Rows are independent: a row gives the same
 * tokens alone or in a batch (up to floating-point rounding in the model).
 */
export function generate(model: GenerationModel, prompts: Prompts, options: GenerateOptions): GenerationResult {
  const settings = resolveSettings(model, options);
  const rows = promptRows(prompts);
  const batch = rows.length;
  const newTokens: number[][] = rows.map(() => []);
  const logProbs: number[][] = rows.map(() => []);
  const finished = rows.map(() => false);
  if (batch > 0 && settings.maxNewTokens > 0) {
    const streams = settings.doSample ? samplingStreams(options, batch) : null;
    const cache = new KVCache(model.config.numHiddenLayers);
    try {
      T.noGrad(() => decode(model, rows, settings, streams, cache, { newTokens, logProbs, finished }));
    } finally {
      cache.dispose();
    }
  }
  return { sequences: rows.map((row, b) => [...row, ...newTokens[b]!]), newTokens, logProbs, finished };
}

/** generate() on texts: encodes the prompts, generates, and decodes each row's new tokens. */
export function generateText(
  model: GenerationModel,
  tokenizer: Tokenizer,
  prompts: readonly string[],
  options: GenerateOptions & { /** Keep only the last this-many tokens of each prompt. */ maxPromptTokens?: number },
): GenerationResult & { texts: string[] } {
  const { maxPromptTokens, ...generateOptions } = options;
  const encoded = tokenizer.encodeBatch(prompts, maxPromptTokens === undefined
    ? {}
    : { truncation: true, maxLength: maxPromptTokens, truncationSide: 'left' });
  const padTokenId = options.padTokenId ?? tokenizer.padTokenId;
  const result = generate(model, encoded.ids, padTokenId === undefined ? generateOptions : { ...generateOptions, padTokenId });
  const texts = result.newTokens.map((ids) => tokenizer.decode(ids, { skipSpecialTokens: true }));
  return { ...result, texts };
}

/** The prefill and decoding loop; fills `out` row by row. */
function decode(
  model: GenerationModel, rows: number[][], settings: Settings, streams: Rng[] | null, cache: KVCache,
  out: { newTokens: number[][]; logProbs: number[][]; finished: boolean[] },
): void {
  const batch = rows.length;
  const promptLength = Math.max(...rows.map((r) => r.length));
  // The prompts, left-padded; positions count real tokens (padding gets 0, it is masked anyway).
  const ids = new Int32Array(batch * promptLength).fill(settings.padTokenId);
  const promptMask = new Float32Array(batch * promptLength);
  const positions = new Int32Array(batch * promptLength);
  rows.forEach((row, b) => {
    const offset = b * promptLength + promptLength - row.length;
    row.forEach((id, i) => {
      ids[offset + i] = id;
      promptMask[offset + i] = 1;
      positions[offset + i] = i;
    });
  });
  let inputs = { ids, positions, width: promptLength };
  // After the prefill, the cache reserves room for the remaining steps, so the mask spans the
  // prompt and every step's column: 0 for padding and for steps not yet taken, and 1 for each
  // generated column of every row (finished rows are fed pad tokens, which nothing reads), as in
  // transformers.
  const width = promptLength + settings.maxNewTokens - 1;
  const mask = new Float32Array(batch * width);
  rows.forEach((row, b) => mask.fill(1, b * width + promptLength - row.length, b * width + promptLength));
  // The position of each row's next token: its number of real tokens so far.
  const nextPosition = Int32Array.from(rows, (row) => row.length - 1);

  for (let step = 0; step < settings.maxNewTokens; step++) {
    const attentionMask = step === 0 ? promptMask : mask;
    const uniforms = streams ? liveRowUniforms(streams, out.finished) : null;
    const choice = T.tidy(() => T.onDevice('a decode step', () => {
      const { logits: all } = model.forward({
        inputIds: T.idTensor(inputs.ids, [batch, inputs.width]),
        attentionMask: T.tensor(attentionMask.slice(), [batch, attentionMask.length / batch]),
        positionIds: T.idTensor(inputs.positions, [batch, inputs.width]),
        cache,
        logitsFor: 'last',
      });
      const t = all.shape[1]!;
      const last = t === 1 ? all : T.slice(all, 1, t - 1, t);
      return T.chooseTokens(last, tokenChoice(settings, step), uniforms);
    }));
    // The step's host read, at the token boundary: each row's token, chosen on the backend, and
    // its log-probability under the raw distribution.
    const tokens = choice.ids.ids;
    const tokenLogProbs = choice.logProbs.data;
    const next = new Int32Array(batch).fill(settings.padTokenId);
    for (let b = 0; b < batch; b++) {
      if (out.finished[b]) continue;
      const token = tokens[b]!;
      const logProb = tokenLogProbs[b]!;
      if (token < 0 || Number.isNaN(logProb)) throw noTokenError(token);
      out.newTokens[b]!.push(token);
      out.logProbs[b]!.push(logProb);
      next[b] = token;
      if (settings.eos.includes(token)) out.finished[b] = true;
    }
    choice.ids.dispose();
    choice.logProbs.dispose();
    if (out.finished.every(Boolean) || step + 1 === settings.maxNewTokens) break;

    if (step === 0) {
      if (cache.length !== promptLength) {
        throw new GenerationError(`generate: the model's forward did not fill the KV cache (it holds ${cache.length} of ${promptLength} positions); generation needs a causal LM whose layers extend inputs.cache`);
      }
      cache.reserve(settings.maxNewTokens - 1);
    }
    for (let b = 0; b < batch; b++) mask[b * width + promptLength + step] = 1;
    // Positions go on counting for finished rows too (as transformers'), though nothing reads them.
    for (let b = 0; b < batch; b++) nextPosition[b] = nextPosition[b]! + 1;
    inputs = { ids: next, positions: nextPosition.slice(), width: 1 };
  }
}

/** A step's token choice: eos is suppressed until minNewTokens tokens exist. */
function tokenChoice(settings: Settings, step: number): T.TokenChoice {
  const { doSample, temperature, topK, topP, eos } = settings;
  return { sample: doSample, temperature, topK, topP, suppressed: step < settings.minNewTokens ? eos : [] };
}

/**
 * One uniform per row for this step's draws, each from its row's stream, as Rng.categorical
 * would take it; finished rows draw nothing (their 0 is never used), so a row's draws never
 * depend on the other rows.
 */
function liveRowUniforms(streams: Rng[], finished: boolean[]): number[] {
  return streams.map((stream, b) => (finished[b] ? 0 : stream.uniform()));
}

/** Why the backend chose no token for a row (see T.NoToken). */
function noTokenError(token: number): GenerationError {
  return new GenerationError(
    token === T.NoToken.nanLogit
      ? 'the model produced NaN logits, so no token can be chosen; check the weights (a diverged training run?) and the inputs'
      : 'every token is excluded (all logits are −Infinity after eos suppression); lower minNewTokens or check eosTokenId',
  );
}

function samplingStreams(options: GenerateOptions, batch: number): Rng[] {
  const root = options.rng
    ? options.rng.fork(`generate ${options.rng.nextUint32()}`) // advances the caller's rng, so calls differ
    : new Rng(options.seed!);
  return Array.from({ length: batch }, (_, b) => root.fork(`row ${b}`));
}

function resolveSettings(model: GenerationModel, options: GenerateOptions): Settings {
  const fail = (message: string): never => {
    throw new GenerationError(`generate: ${message}`);
  };
  const { maxNewTokens, minNewTokens = 0, doSample = false, temperature = 1, topK = 0, topP = 1 } = options;
  if (!Number.isSafeInteger(maxNewTokens) || maxNewTokens < 0) fail(`maxNewTokens must be a non-negative integer, got ${maxNewTokens}`);
  if (!Number.isSafeInteger(minNewTokens) || minNewTokens < 0 || minNewTokens > maxNewTokens) {
    fail(`minNewTokens must be an integer from 0 to maxNewTokens (${maxNewTokens}), got ${minNewTokens}`);
  }
  if (!(temperature > 0) || !Number.isFinite(temperature)) fail(`temperature must be a positive number, got ${temperature}; for the most likely token use doSample: false`);
  if (!Number.isSafeInteger(topK) || topK < 0) fail(`topK must be a non-negative integer (0 keeps every token), got ${topK}`);
  if (!(topP > 0 && topP <= 1)) fail(`topP must be in (0, 1] (1 keeps every token), got ${topP}`);
  if (!doSample) {
    const given = (['temperature', 'topK', 'topP', 'seed', 'rng'] as const).filter((k) => options[k] !== undefined);
    if (given.length > 0) fail(`${given.join(', ')} only apply to sampling; pass doSample: true to sample, or leave them out for greedy decoding`);
  } else if (options.seed === undefined && options.rng === undefined) {
    fail('sampling needs a seed or an rng, so that its results can be reproduced; pass seed: <number> or rng: new Rng(...)');
  }
  const eosOption = options.eosTokenId === undefined ? (model.config.eosTokenId ?? null) : options.eosTokenId;
  const eos = eosOption === null ? [] : typeof eosOption === 'number' ? [eosOption] : [...eosOption];
  for (const id of eos) if (!Number.isSafeInteger(id) || id < 0) fail(`eosTokenId must be token ids (non-negative integers), got ${id}`);
  const padTokenId = options.padTokenId ?? eos[0] ?? 0;
  if (!Number.isSafeInteger(padTokenId) || padTokenId < 0) fail(`padTokenId must be a token id (a non-negative integer), got ${padTokenId}`);
  return { maxNewTokens, minNewTokens, doSample, temperature, topK, topP, eos, padTokenId };
}

/** Each prompt's real tokens, padding removed. */
function promptRows(prompts: Prompts): number[][] {
  type Rows = readonly (readonly number[])[];
  const padded = !Array.isArray(prompts);
  const ids: Rows = padded ? (prompts as { ids: Rows }).ids : (prompts as Rows);
  const attentionMask: Rows | null = padded ? (prompts as { attentionMask: Rows }).attentionMask : null;
  if (!Array.isArray(ids) || !ids.every((row) => Array.isArray(row))) {
    throw new GenerationError('generate: prompts must be rows of token ids, or { ids, attentionMask } as Tokenizer.encodeBatch returns');
  }
  return ids.map((row, b) => {
    const mask = attentionMask?.[b];
    if (padded && (!mask || mask.length !== row.length)) {
      throw new GenerationError(`generate: prompt ${b} has ${row.length} ids but ${mask?.length ?? 'no'} attention-mask entries; they must match`);
    }
    const real = mask ? row.filter((_, i) => mask[i] !== 0) : [...row];
    if (real.length === 0) {
      throw new GenerationError(`generate: prompt ${b} has no tokens; start every prompt with at least one token (e.g. the bos token)`);
    }
    for (const id of real) {
      if (!Number.isSafeInteger(id) || id < 0) throw new GenerationError(`generate: prompt ${b} holds ${id}, which is not a token id (a non-negative integer)`);
    }
    return real;
  });
}
