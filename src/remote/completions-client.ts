/**
 * A client of OpenAI's completions API (`POST {base}/completions`), as vLLM, TGI, SGLang,
 * llama.cpp's server and `irlens serve-lm` implement it, built for long unattended runs: at most
 * `concurrency` requests in flight, at most `requestsPerSecond` started, each attempt bounded by a
 * timeout, and failures that may pass (a dropped connection, a timeout, 408, 429, 5xx) retried
 * with exponential back-off and jitter, honouring the server's Retry-After. Any other refusal
 * (400, 401, 404 ...) fails at once with the server's own message.
 *
 * It uses Node's built-in fetch rather than the `openai` npm client: irlens needs the servers'
 * extensions (token-id prompts, `top_k`, `return_token_ids`), which that client's types do not
 * know, and its retry policy retries whole calls without a request-rate limit; one endpoint and
 * a hundred lines of control are simpler than working around both.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { RemoteServerError } from './errors.js';
import { describeRemoteModel, type RemoteModel } from './model-spec.js';

export interface ClientSettings {
  /** Requests in flight at once. */
  concurrency: number;
  /** Requests started per second at most; 0: no limit. */
  requestsPerSecond: number;
  /** One attempt's limit, in milliseconds. */
  timeoutMs: number;
  /** Attempts after the first, for failures that may pass. */
  maxRetries: number;
  /** The first back-off in milliseconds; it doubles with each retry (with jitter), up to maxBackoffMs. */
  backoffMs: number;
  maxBackoffMs: number;
}

export const DEFAULT_CLIENT_SETTINGS: ClientSettings = { concurrency: 8, requestsPerSecond: 0, timeoutMs: 120_000, maxRetries: 6, backoffMs: 500, maxBackoffMs: 30_000 };

/** The request fields irlens sends; servers take more. */
export interface CompletionRequest {
  /** One prompt as text or token ids (irlens sends ids, so the prompt is cut exactly as in-process). */
  prompt: string | number[];
  max_tokens: number;
  temperature: number;
  top_p?: number;
  /** An extension (vLLM, TGI, llama.cpp); left out when 0 (all tokens). */
  top_k?: number;
  n?: number;
  seed?: number;
  /** An extension (vLLM): suppress eos until this many tokens. */
  min_tokens?: number;
  /** Log-probabilities of the chosen tokens (and this many alternatives). */
  logprobs?: number;
  /** Return the prompt too, with its tokens' log-probabilities. */
  echo?: boolean;
  /** vLLM ≥ 0.10.2: each choice carries its token ids. */
  return_token_ids?: boolean;
  /** Older vLLM: logprobs.tokens as "token_id:N". */
  return_tokens_as_token_ids?: boolean;
}

export interface CompletionChoice {
  index: number;
  text: string;
  token_ids?: number[] | null;
  logprobs?: { tokens?: string[]; token_logprobs?: (number | null)[] } | null;
  finish_reason?: string | null;
}

export interface CompletionResponse {
  /** The model id the server says answered. */
  model: string;
  choices: CompletionChoice[];
  system_fingerprint?: string | null;
}

/** Status codes that say "try again later" rather than "this request is wrong". */
const RETRYABLE_STATUS = new Set([408, 409, 425, 429, 500, 502, 503, 504]);

/** A failure worth another attempt, with how long the server asked us to wait. */
class Transient extends Error {
  constructor(message: string, readonly retryAfterMs: number | null = null) {
    super(message);
  }
}

export class CompletionsClient {
  private inFlight = 0;
  private readonly waiting: (() => void)[] = [];
  private nextStart = 0;
  /** Attempts that failed and were retried, for provenance and tests. */
  retries = 0;

  constructor(
    readonly remote: RemoteModel,
    readonly settings: ClientSettings = DEFAULT_CLIENT_SETTINGS,
    private readonly fetchImpl: typeof fetch = fetch,
  ) {}

  /** One completions request, retried while it fails in a way that may pass. */
  async complete(request: CompletionRequest, signal?: AbortSignal): Promise<CompletionResponse> {
    const body = JSON.stringify({ model: this.remote.model, ...request });
    return this.withSlot(signal, () => this.withRetries(signal, async (attemptSignal) => parseCompletion(await this.post('/completions', body, attemptSignal), this.name)));
  }

  /** The model ids the server lists (GET {base}/models). */
  async models(signal?: AbortSignal): Promise<string[]> {
    const json = await this.withSlot(signal, () => this.withRetries(signal, (attemptSignal) => this.send('GET', '/models', undefined, attemptSignal)));
    const data = (json as { data?: unknown }).data;
    if (!Array.isArray(data)) throw new RemoteServerError(`${this.name}: GET /models answered without a "data" list; is this an OpenAI-compatible server?`);
    return data.map((entry) => String((entry as { id?: unknown }).id));
  }

  private get name(): string {
    return describeRemoteModel(this.remote);
  }

  private post(path: string, body: string, signal: AbortSignal): Promise<unknown> {
    return this.send('POST', path, body, signal);
  }

  private async send(method: 'GET' | 'POST', path: string, body: string | undefined, signal: AbortSignal): Promise<unknown> {
    const key = process.env[this.remote.apiKeyEnv];
    const headers: Record<string, string> = { accept: 'application/json', ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...(key ? { authorization: `Bearer ${key}` } : {}) };
    let response: Response;
    let text: string;
    try {
      response = await this.fetchImpl(`${this.remote.baseUrl}${path}`, { method, headers, body, signal });
      text = await response.text();
    } catch (error) {
      const timedOut = signal.aborted && (signal.reason as { name?: string } | undefined)?.name === 'TimeoutError';
      if (signal.aborted && !timedOut) throw error; // the run was stopped: no retry
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      throw new Transient(signal.aborted ? `no answer within ${this.settings.timeoutMs} ms` : `the connection failed (${cause?.code ?? cause?.message ?? (error as Error).message})`);
    }
    if (RETRYABLE_STATUS.has(response.status)) throw new Transient(`HTTP ${response.status}: ${serverMessage(text)}`, retryAfterMs(response.headers.get('retry-after')));
    if (!response.ok) {
      throw new RemoteServerError(`${this.name}: ${method} ${path} was refused with HTTP ${response.status}: ${serverMessage(text)}; check the model id and the request settings`);
    }
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new RemoteServerError(`${this.name}: ${method} ${path} answered HTTP ${response.status} with something that is not JSON (${JSON.stringify(text.slice(0, 80))}); is the URL the API's base (…/v1)?`);
    }
  }

  /** Runs `attempt` until it succeeds, fails for good, or the retries are spent; each attempt gets its own timeout. */
  private async withRetries<T>(signal: AbortSignal | undefined, attempt: (signal: AbortSignal) => Promise<T>): Promise<T> {
    for (let tried = 0; ; tried++) {
      signal?.throwIfAborted();
      await this.rateLimit(signal);
      const timeout = AbortSignal.timeout(this.settings.timeoutMs);
      try {
        return await attempt(signal ? AbortSignal.any([signal, timeout]) : timeout);
      } catch (error) {
        if (!(error instanceof Transient)) throw error;
        if (tried >= this.settings.maxRetries) {
          throw new RemoteServerError(`${this.name}: ${tried + 1} attempts failed, the last with ${error.message}; check that the server is up and not overloaded, or raise the retries or the timeout`);
        }
        this.retries++;
        const backoff = Math.min(this.settings.maxBackoffMs, this.settings.backoffMs * 2 ** tried) * (0.5 + Math.random() / 2);
        await sleep(Math.max(backoff, error.retryAfterMs ?? 0), undefined, { signal });
      }
    }
  }

  /** Spaces request starts 1/requestsPerSecond apart. */
  private async rateLimit(signal: AbortSignal | undefined): Promise<void> {
    if (this.settings.requestsPerSecond <= 0) return;
    const now = Date.now();
    const start = Math.max(now, this.nextStart);
    this.nextStart = start + 1000 / this.settings.requestsPerSecond;
    if (start > now) await sleep(start - now, undefined, { signal });
  }

  /** Holds one of `concurrency` slots while `work` runs. */
  private async withSlot<T>(signal: AbortSignal | undefined, work: () => Promise<T>): Promise<T> {
    while (this.inFlight >= this.settings.concurrency) {
      await new Promise<void>((resolve) => this.waiting.push(resolve));
      if (signal?.aborted) {
        this.waiting.shift()?.(); // the slot this waiter was woken for goes to the next one
        signal.throwIfAborted();
      }
    }
    this.inFlight++;
    try {
      return await work();
    } finally {
      this.inFlight--;
      this.waiting.shift()?.();
    }
  }
}

/** The server's own words: OpenAI's {"error": {"message"}}, vLLM's {"message"}, or the body's start. */
function serverMessage(text: string): string {
  try {
    const json = JSON.parse(text) as { error?: { message?: unknown } | string; message?: unknown; detail?: unknown };
    const message = typeof json.error === 'string' ? json.error : (json.error?.message ?? json.message ?? json.detail);
    if (message !== undefined) return typeof message === 'string' ? message : JSON.stringify(message);
  } catch {
    // not JSON: the text itself
  }
  return text.trim().slice(0, 200) || '(empty body)';
}

/** Retry-After in milliseconds (seconds or an HTTP date), capped at two minutes; null when absent or unreadable. */
function retryAfterMs(header: string | null): number | null {
  if (header === null) return null;
  const seconds = Number(header);
  const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(header) - Date.now();
  return Number.isFinite(ms) ? Math.min(Math.max(ms, 0), 120_000) : null;
}

/** Checks the shape irlens relies on, so a wrong server fails here with a message instead of later with a TypeError. */
function parseCompletion(json: unknown, server: string): CompletionResponse {
  const fail = (what: string): never => {
    throw new RemoteServerError(`${server}: the completions answer ${what}; is this an OpenAI-compatible completions endpoint?`);
  };
  const response = json as Partial<CompletionResponse>;
  if (typeof response !== 'object' || response === null || !Array.isArray(response.choices)) return fail('has no "choices" list');
  response.choices.forEach((choice, i) => {
    if (typeof choice?.text !== 'string') fail(`has a choice ${i} without a "text" string`);
    if (!Number.isSafeInteger(choice.index)) fail(`has a choice ${i} without an integer "index"`);
    if (choice.token_ids != null && !(Array.isArray(choice.token_ids) && choice.token_ids.every((id) => Number.isSafeInteger(id) && id >= 0))) fail(`has a choice ${i} whose "token_ids" are not token ids`);
  });
  return { model: typeof response.model === 'string' ? response.model : '', choices: response.choices, system_fingerprint: response.system_fingerprint ?? null };
}
