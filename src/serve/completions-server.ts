/**
 * `irlens serve-lm`: a causal LM served over OpenAI's completions API, the part of it that vLLM,
 * TGI and llama.cpp's server share and irlens's own client uses: `POST /v1/completions` with one
 * or more prompts (text or token ids), `max_tokens`, `min_tokens`, `temperature` (0: greedy), `top_p`,
 * `top_k`, `n`, `seed`, `logprobs`, `echo`, and vLLM's `return_token_ids` / `return_tokens_as_token_ids`;
 * `GET /v1/models`; `GET /health`. A request is generated as one batch (its prompts × n), so the
 * same request with the same seed gives the same tokens; requests run one after another, up to
 * `maxQueue` waiting, beyond which the answer is 503 with Retry-After.
 *
 * The log-probabilities are of the model's raw distribution (temperature 1, no top-k/top-p), as
 * generate() records them; `top_logprobs` is always null (no alternatives are computed).
 */
import type { IncomingMessage } from 'node:http';
import { basename } from 'node:path';
import { generate } from '../models/generation.js';
import { loadCausalLM } from '../models/load.js';
import type { AnyCausalLM as ServedLM } from '../models/registry.js';
import * as T from '../tensor/index.js';
import { Tokenizer } from '../text/index.js';
import { HttpError } from './errors.js';
import { readJsonBody } from './http-json.js';
import { JsonServer } from './json-server.js';
import { boolean, integer, jsonObject, number } from './request-fields.js';

export interface CompletionsServerOptions {
  /** A causal-LM folder. */
  folder: string;
  /** The id clients send as `model` (default: the folder's name). */
  modelName?: string;
  maxBodyBytes: number;
  /** Requests waiting for their turn before new ones get 503. */
  maxQueue: number;
}

/** Rows one request may ask for (prompts × n): bounds the memory of one batch. */
const MAX_ROWS = 256;

/** Settings of OpenAI's API this server does not implement: refused rather than silently ignored. */
const UNSUPPORTED: Record<string, (value: unknown) => boolean> = {
  stream: (v) => v === true,
  stop: (v) => v != null && !(Array.isArray(v) && v.length === 0),
  suffix: (v) => v != null && v !== '',
  best_of: (v) => v != null && v !== 1,
  presence_penalty: (v) => v != null && v !== 0,
  frequency_penalty: (v) => v != null && v !== 0,
  logit_bias: (v) => v != null && Object.keys(v as object).length > 0,
};

export class CompletionsServer extends JsonServer {
  readonly modelName: string;
  private waiting = 0;
  private turn: Promise<void> = Promise.resolve();
  private completed = 0;

  constructor(options: CompletionsServerOptions) {
    const model = loadCausalLM(options.folder, 'serve-lm serves text generators (serve a reward with `irlens serve`)').model;
    model.eval();
    const tokenizer = Tokenizer.fromFolder(options.folder);
    const modelName = options.modelName ?? basename(options.folder);
    const created = Math.floor(Date.now() / 1000);
    super({
      name: 'irlens serve-lm',
      errorBody: (status, message) => ({ error: { message, type: status >= 500 ? 'server_error' : 'invalid_request_error', code: status } }),
      routes: {
        '/v1/completions': { POST: (request) => this.complete(request, model, tokenizer, options) },
        '/v1/models': { GET: () => ({ object: 'list', data: [{ id: modelName, object: 'model', created, owned_by: 'irlens', max_model_len: model.config.maxPositionEmbeddings }] }) },
        '/health': { GET: () => ({ status: 'ok', model: modelName, waiting: this.waiting, completed: this.completed }) },
      },
    });
    this.modelName = modelName;
  }

  /** Checks a request at once, then generates it when its turn comes (one at a time; the event loop breathes between). */
  private async complete(request: IncomingMessage, model: ServedLM, tokenizer: Tokenizer, options: CompletionsServerOptions): Promise<unknown> {
    const body = jsonObject(await readJsonBody(request, options.maxBodyBytes), '{"prompt": ..., "max_tokens": ...}');
    if (body.model !== undefined && body.model !== this.modelName) throw new HttpError(404, `the model \`${String(body.model)}\` does not exist; this server serves \`${this.modelName}\``);
    const job = parseCompletionRequest(body, tokenizer, model.config);
    if (this.waiting >= options.maxQueue) throw new HttpError(503, `${this.waiting} requests are waiting already; retry later`, { 'Retry-After': '1' });
    this.waiting++;
    const mine = this.turn.then(() => new Promise<CompletionJobResult>((resolve, reject) => setImmediate(() => {
      try {
        resolve(runCompletion(model, tokenizer, job));
      } catch (error) {
        reject(error);
      }
    })));
    this.turn = mine.then(() => undefined, () => undefined);
    try {
      const result = await mine;
      return { id: `cmpl-irlens-${++this.completed}`, object: 'text_completion', created: Math.floor(Date.now() / 1000), model: this.modelName, ...result };
    } finally {
      this.waiting--;
    }
  }
}

interface CompletionJob {
  prompts: number[][];
  maxTokens: number;
  minTokens: number;
  greedy: boolean;
  temperature: number;
  topK: number;
  topP: number;
  n: number;
  seed: number;
  /** null: no logprobs in the answer. */
  logprobs: number | null;
  echo: boolean;
  returnTokenIds: boolean;
  tokensAsIds: boolean;
}

/** Reads and checks a completions request; anything wrong is a 400 naming the field. */
function parseCompletionRequest(body: Record<string, unknown>, tokenizer: Tokenizer, config: { maxPositionEmbeddings: number; vocabSize: number }): CompletionJob {
  for (const [field, unsupported] of Object.entries(UNSUPPORTED)) {
    if (unsupported(body[field])) throw new HttpError(400, `"${field}" is not supported by irlens serve-lm; leave it out`);
  }
  const prompts = promptIds(body.prompt, tokenizer, config.vocabSize);
  const maxTokens = integer(body, 'max_tokens', { min: 0, default: 16 });
  const minTokens = integer(body, 'min_tokens', { min: 0, max: maxTokens, default: 0 });
  const temperature = number(body, 'temperature', { min: 0, default: 1 });
  const n = integer(body, 'n', { min: 1, max: MAX_ROWS, default: 1 });
  if (prompts.length * n > MAX_ROWS) throw new HttpError(400, `${prompts.length} prompts × n ${n} is more than the ${MAX_ROWS} rows one request may generate; split the request`);
  const longest = Math.max(...prompts.map((p) => p.length));
  if (longest + maxTokens > config.maxPositionEmbeddings) {
    throw new HttpError(400, `a prompt of ${longest} tokens plus max_tokens ${maxTokens} is more than this model's maximum context length of ${config.maxPositionEmbeddings} tokens`);
  }
  const logprobs = body.logprobs == null ? null : integer(body, 'logprobs', { min: 0, max: 5, default: 0 });
  return {
    prompts, maxTokens, minTokens, greedy: temperature === 0, temperature: temperature === 0 ? 1 : temperature, n, logprobs,
    topK: Math.max(0, integer(body, 'top_k', { min: -1, default: 0 })),
    topP: number(body, 'top_p', { min: 0, max: 1, exclusiveMin: true, default: 1 }),
    seed: integer(body, 'seed', { min: -(2 ** 63), default: Math.floor(Math.random() * 2 ** 31) }),
    echo: boolean(body, 'echo', false),
    returnTokenIds: boolean(body, 'return_token_ids', false),
    tokensAsIds: boolean(body, 'return_tokens_as_token_ids', false),
  };
}

/** `prompt` as token-id rows: a text, a list of texts, a list of ids, or a list of lists of ids. */
function promptIds(prompt: unknown, tokenizer: Tokenizer, vocabSize: number): number[][] {
  const isIds = (value: unknown): value is number[] => Array.isArray(value) && value.length > 0 && value.every((id) => typeof id === 'number');
  let rows: unknown[];
  if (typeof prompt === 'string' || isIds(prompt)) rows = [prompt];
  else if (Array.isArray(prompt) && prompt.length > 0) rows = prompt;
  else throw new HttpError(400, '"prompt" must be a text, a list of texts, a list of token ids or a list of such lists, and not empty');
  return rows.map((row, i) => {
    const ids = typeof row === 'string' ? tokenizer.encode(row) : row;
    if (!isIds(ids)) throw new HttpError(400, `prompt ${i} is neither a text nor a non-empty list of token ids`);
    if (ids.length === 0) throw new HttpError(400, `prompt ${i} has no tokens`);
    const bad = ids.find((id) => !(Number.isSafeInteger(id) && id >= 0 && id < vocabSize));
    if (bad !== undefined) throw new HttpError(400, `prompt ${i} holds token id ${bad}, outside the vocabulary (0..${vocabSize - 1})`);
    return ids;
  });
}

type CompletionJobResult = { choices: unknown[]; usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number } };

/** Generates a request's rows (each prompt n times, in one batch) and shapes OpenAI's answer. */
function runCompletion(model: ServedLM, tokenizer: Tokenizer, job: CompletionJob): CompletionJobResult {
  const rows = job.prompts.flatMap((ids) => new Array<number[]>(job.n).fill(ids));
  const out = generate(model, rows, {
    maxNewTokens: job.maxTokens,
    minNewTokens: job.minTokens,
    ...(job.greedy ? {} : { doSample: true, seed: job.seed, temperature: job.temperature, topK: job.topK, topP: job.topP }),
  });
  const echoed = job.echo ? job.prompts.map((ids) => promptLogProbs(model, ids)) : [];
  const tokenName = (id: number) => (job.tokensAsIds ? `token_id:${id}` : (tokenizer.idToToken(id) ?? ''));
  const choices = rows.map((promptRow, index) => {
    const ids = out.newTokens[index]!;
    const prompt = Math.floor(index / job.n);
    const shown = job.echo ? [...promptRow, ...ids] : ids;
    const logProbs = job.echo ? [...echoed[prompt]!, ...out.logProbs[index]!] : out.logProbs[index]!;
    const text = (job.echo ? tokenizer.decode(promptRow, { skipSpecialTokens: true }) : '') + tokenizer.decode(ids, { skipSpecialTokens: true });
    return {
      index, text,
      logprobs: job.logprobs === null ? null : { tokens: shown.map(tokenName), token_logprobs: logProbs, top_logprobs: null, text_offset: textOffsets(tokenizer, shown) },
      finish_reason: out.finished[index] ? 'stop' : 'length',
      ...(job.returnTokenIds ? { token_ids: ids, prompt_token_ids: promptRow } : {}),
    };
  });
  const promptTokens = job.prompts.reduce((sum, ids) => sum + ids.length, 0);
  const completionTokens = out.newTokens.reduce((sum, ids) => sum + ids.length, 0);
  return { choices, usage: { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens } };
}

/** Each prompt token's log-probability given those before it (null for the first, as OpenAI's echo). */
function promptLogProbs(model: ServedLM, ids: readonly number[]): (number | null)[] {
  if (ids.length < 2) return [null];
  const values = T.noGrad(() => T.tidy(() => {
    const { logits } = model.forward({ inputIds: T.idTensor(Int32Array.from(ids), [1, ids.length]), logitsFor: { start: 0, end: ids.length - 1 } });
    return T.tokenLogProbs(logits, T.idTensor(Int32Array.from(ids.slice(1)), [1, ids.length - 1]));
  }));
  const out = [null, ...values.data];
  values.dispose();
  return out;
}

/** Where each token's text starts: the running sum of the tokens' own texts' lengths (OpenAI's text_offset, as vLLM counts it). */
function textOffsets(tokenizer: Tokenizer, ids: readonly number[]): number[] {
  let offset = 0;
  return ids.map((id) => {
    const start = offset;
    offset += tokenizer.decode([id], { skipSpecialTokens: true }).length;
    return start;
  });
}
