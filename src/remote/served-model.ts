/**
 * A served model as irlens uses a local one: continuations of token-id prompts (k per prompt,
 * seeded), and the log-likelihood of given continuations. Prompts go to the server as token ids,
 * cut exactly as in-process; the answers' token ids come from the server where it returns them
 * (vLLM's `return_token_ids`, or its older "token_id:N" logprob tokens), else from re-tokenising
 * the text with the local tokenizer, which then must be the server's. Every answer is cached as it
 * arrives, and what was asked, of whom, is returned for the run's provenance.
 */
import type { Tokenizer } from '../text/index.js';
import { CompletionCache, cacheKey } from './completion-cache.js';
import { CompletionsClient, DEFAULT_CLIENT_SETTINGS, type ClientSettings, type CompletionChoice, type CompletionRequest } from './completions-client.js';
import { RemoteServerError } from './errors.js';
import { describeRemoteModel, parseRemoteModel } from './model-spec.js';

export interface Sampling {
  /** Continuations per prompt. */
  samples: number;
  maxNewTokens: number;
  /** Take the most likely token each step (temperature 0) instead of sampling. */
  greedy: boolean;
  temperature: number;
  /** 0: all tokens. */
  topK: number;
  topP: number;
  /** Suppress eos until this many tokens (vLLM's min_tokens); default 0. */
  minNewTokens?: number;
}

export interface SampledText {
  /** The continuation's token ids, the eos included when the server returns it. */
  ids: number[];
  text: string;
}

export interface GeneratedText extends SampledText {
  /** Each token's log-probability as the server reports it (NaN where it gives none). */
  logProbs: number[];
  /** Whether the continuation ended by emitting eos. */
  finished: boolean;
}

/** What a run records of a served model: who answered, with what, and how the answers were read. */
export interface ServedProvenance {
  server: string;
  /** How the client talked to it: concurrency, rate limit, timeout and retries. */
  client: ClientSettings;
  /** Model ids the server's answers named (normally the one asked for). */
  answeredBy: string[];
  systemFingerprints: string[];
  requests: number;
  /** Answers read from the cache instead of asked for. */
  cached: number;
  retries: number;
  /** How the continuations' token ids were known: from the server, or by re-tokenising its text. */
  tokenIds: { server: number; retokenised: number };
  /** Continuations whose text, decoded locally from the server's ids, differs from the text the server sent. */
  textMismatches: number;
}

export class ServedModel {
  private readonly record: ServedProvenance;

  constructor(readonly client: CompletionsClient, readonly tokenizer: Tokenizer, private readonly cache: CompletionCache | null = null) {
    this.record = { server: describeRemoteModel(client.remote), client: client.settings, answeredBy: [], systemFingerprints: [], requests: 0, cached: 0, retries: 0, tokenIds: { server: 0, retokenised: 0 }, textMismatches: 0 };
  }

  get provenance(): ServedProvenance {
    return { ...this.record, retries: this.client.retries };
  }

  /** Closes the cache file; the answers in it stay for a later run. */
  close(): void {
    this.cache?.close();
  }

  /** `sampling.samples` continuations of each prompt; the seed, the prompt and the settings fix each request's seed. */
  async sample(promptIds: readonly (readonly number[])[], sampling: Sampling, seed: string, signal?: AbortSignal): Promise<SampledText[][]> {
    const generated = await this.generate(promptIds, sampling, seed, signal);
    return generated.map((samples) => samples.map(({ ids, text }) => ({ ids, text })));
  }

  /** As sample, with each continuation's token log-probabilities (as the server gives them) and whether it ended at eos. */
  async generate(promptIds: readonly (readonly number[])[], sampling: Sampling, seed: string, signal?: AbortSignal): Promise<GeneratedText[][]> {
    return Promise.all(promptIds.map(async (ids) => {
      const request: CompletionRequest = {
        prompt: [...ids], max_tokens: sampling.maxNewTokens, logprobs: 1, return_token_ids: true, return_tokens_as_token_ids: true,
        ...(sampling.minNewTokens ? { min_tokens: sampling.minNewTokens } : {}),
        // Greedy choices are all alike, so one is asked for and repeated (some servers refuse n > 1 at temperature 0).
        ...(sampling.greedy
          ? { temperature: 0, n: 1 }
          : { temperature: sampling.temperature, top_p: sampling.topP, ...(sampling.topK > 0 ? { top_k: sampling.topK } : {}), n: sampling.samples, seed: requestSeed(seed, ids) }),
      };
      const choices = await this.ask(request, signal);
      const texts = choices.map((choice) => this.continuation(choice));
      return sampling.greedy ? new Array<GeneratedText>(sampling.samples).fill(texts[0]!) : texts;
    }));
  }

  /**
   * log π of each continuation token of each item: the server echoes prompt + continuation with
   * each token's log-probability (as lm-evaluation-harness asks).
   */
  async tokenLogProbs(items: readonly { promptIds: readonly number[]; continuationIds: readonly number[] }[], signal?: AbortSignal): Promise<number[][]> {
    return Promise.all(items.map(async ({ promptIds, continuationIds }) => {
      const ids = [...promptIds, ...continuationIds];
      const [choice] = await this.ask({ prompt: ids, max_tokens: 1, temperature: 0, echo: true, logprobs: 1 }, signal);
      const logProbs = choice?.logprobs?.token_logprobs;
      if (!Array.isArray(logProbs) || logProbs.length < ids.length) {
        throw new RemoteServerError(`${this.record.server}: asked to echo ${ids.length} tokens with their log-probabilities, it returned ${Array.isArray(logProbs) ? logProbs.length : 'none'}; the server must support echo with logprobs (vLLM does)`);
      }
      const own = logProbs.slice(promptIds.length, ids.length);
      if (own.some((lp) => typeof lp !== 'number' || !Number.isFinite(lp))) throw new RemoteServerError(`${this.record.server}: an echoed continuation token has no finite log-probability`);
      return own as number[];
    }));
  }

  /** log π(continuation | prompt) of each item, summed over the continuation's tokens. */
  async logLikelihoods(items: readonly { promptIds: readonly number[]; continuationIds: readonly number[] }[], signal?: AbortSignal): Promise<number[]> {
    return (await this.tokenLogProbs(items, signal)).map((values) => values.reduce((a, b) => a + b, 0));
  }

  /** One request's choices in index order, from the cache or the server (and then cached). */
  private async ask(request: CompletionRequest, signal?: AbortSignal): Promise<CompletionChoice[]> {
    const key = cacheKey({ model: this.client.remote.model, request });
    const cached = this.cache?.get<CompletionChoice[]>(key);
    if (cached !== undefined) {
      this.record.cached++;
      return cached;
    }
    const response = await this.client.complete(request, signal);
    this.record.requests++;
    if (!this.record.answeredBy.includes(response.model)) this.record.answeredBy.push(response.model);
    const fingerprint = response.system_fingerprint;
    if (fingerprint && !this.record.systemFingerprints.includes(fingerprint)) this.record.systemFingerprints.push(fingerprint);
    const expected = request.n ?? 1;
    const choices = [...response.choices].sort((a, b) => a.index - b.index);
    if (choices.length !== expected) throw new RemoteServerError(`${this.record.server}: asked for ${expected} choices, got ${choices.length}`);
    const kept = choices.map(({ index, text, token_ids, logprobs, finish_reason }) => ({ index, text, token_ids: token_ids ?? null, logprobs: logprobs ?? null, finish_reason: finish_reason ?? null }));
    this.cache?.put(key, kept);
    return kept;
  }

  /** A choice as ids and text: the server's ids when it gave them, decoded here as local continuations are. */
  private continuation(choice: CompletionChoice): GeneratedText {
    const finished = choice.finish_reason === 'stop';
    const logProbs = (choice.logprobs?.token_logprobs ?? []).map((lp) => (typeof lp === 'number' ? lp : NaN));
    const ids = choice.token_ids ?? idsFromLogprobTokens(choice.logprobs?.tokens);
    if (ids === null) {
      this.record.tokenIds.retokenised++;
      return { ids: this.tokenizer.encode(choice.text), text: choice.text, logProbs, finished };
    }
    this.record.tokenIds.server++;
    const text = this.tokenizer.decode(ids, { skipSpecialTokens: true });
    if (text !== choice.text) this.record.textMismatches++;
    return { ids, text, logProbs, finished };
  }
}

/**
 * A served model from its spec (openai:URL#MODEL), read with `tokenizer` (which must be the
 * server's), its answers cached in `cacheFile` (null: not cached).
 */
export function openServedModel(spec: string, options: { tokenizer: Tokenizer; cacheFile: string | null; client?: Partial<ClientSettings>; apiKeyEnv?: string }): ServedModel {
  const client = new CompletionsClient(parseRemoteModel(spec, options.apiKeyEnv), { ...DEFAULT_CLIENT_SETTINGS, ...options.client });
  return new ServedModel(client, options.tokenizer, options.cacheFile === null ? null : new CompletionCache(options.cacheFile));
}

/** vLLM's `return_tokens_as_token_ids`: every logprob token reads "token_id:N"; null when they do not. */
function idsFromLogprobTokens(tokens: readonly string[] | undefined): number[] | null {
  if (!Array.isArray(tokens)) return null;
  const ids = tokens.map((token) => /^token_id:(\d+)$/.exec(token)?.[1]);
  return ids.every((id) => id !== undefined) ? ids.map(Number) : null;
}

/** A request's seed from the run's seed and the prompt: the same prompt gets the same draws whatever its place. */
function requestSeed(seed: string, promptIds: readonly number[]): number {
  return Number.parseInt(cacheKey({ seed, promptIds }).slice(0, 8), 16) & 0x7fffffff;
}
