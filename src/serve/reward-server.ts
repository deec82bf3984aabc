/**
 * `irlens serve`'s HTTP server: an irlens reward behind OpenRLHF's remote reward-model route
 * (POST /get_reward, see openrlhf.ts), a plain POST /score {"texts": [...]}, and GET /health.
 * Concurrent requests are scored together by a ScoreBatcher. Every failure is a JSON
 * {"error": message} with a 4xx/5xx status; none stops the server. close() shuts down gracefully:
 * new requests get 503, those in flight are scored and answered, then the server closes.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { finished } from 'node:stream/promises';
import { UserError } from '../errors.js';
import { ScoreBatcher } from './batcher.js';
import { BadRequestError, HttpError, UnavailableError } from './errors.js';
import { readJsonBody, sendJson } from './http-json.js';
import { jsonObject, parseGetReward, planGetReward, stringList } from './openrlhf.js';
import type { ServedReward } from './served-reward.js';

export interface RewardServerOptions {
  /** Texts per call to the reward (the batch concurrent requests share). */
  batchSize: number;
  /** Texts that may wait to be scored; a request that would go past it gets 503. */
  maxQueue: number;
  /** How long a batch that is not full waits for more requests' texts, in milliseconds. */
  maxWaitMs: number;
  /** Largest request body, in bytes; a larger one gets 413. */
  maxBodyBytes: number;
  /** Where internal errors (bugs) are reported with their stack; default stderr. */
  log?: (message: string) => void;
}

type Handler = (request: IncomingMessage) => Promise<unknown>;

/** Refuses empty texts up front: a recovered reward has no token to read, and one bad text would fail its whole batch. */
function refuseEmpty(texts: readonly string[], field: string): void {
  const empty = texts.indexOf('');
  if (empty >= 0) throw new BadRequestError(`text ${empty} to score (from "${field}") is empty; a reward needs at least one token, so drop empty texts or send the prompt with them`);
}

export class RewardServer {
  readonly http: Server;
  private readonly batcher: ScoreBatcher;
  private readonly routes: Record<string, Record<string, Handler>>;
  private readonly started = Date.now();
  /** The requests being answered, which close() waits for. */
  private readonly inFlight = new Set<Promise<void>>();
  private closing: Promise<void> | null = null;

  constructor(
    private readonly served: ServedReward,
    private readonly options: RewardServerOptions,
  ) {
    this.batcher = new ScoreBatcher(served.reward, options);
    this.routes = {
      '/get_reward': { POST: (request) => this.getReward(request) },
      '/score': { POST: (request) => this.score(request) },
      '/health': { GET: async () => this.health() },
    };
    this.http = createServer((request, response) => {
      const answered = this.handle(request, response);
      this.inFlight.add(answered);
      void answered.finally(() => this.inFlight.delete(answered));
    });
  }

  /** Whether close() was called: new requests get 503. */
  get stopping(): boolean {
    return this.closing !== null;
  }

  /** Starts listening (port 0: any free port) and resolves with the address. */
  listen(port: number, host?: string): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      this.http.once('error', reject);
      this.http.listen(port, host, () => {
        this.http.off('error', reject);
        resolve(this.http.address() as AddressInfo);
      });
    });
  }

  /** Stops taking requests, answers those in flight, then closes every connection. Safe to call twice. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      const closed = new Promise<void>((resolve) => this.http.close(() => resolve()));
      this.http.closeIdleConnections();
      while (this.inFlight.size > 0) await Promise.all(this.inFlight);
      this.http.closeAllConnections();
      await closed;
    })();
    return this.closing;
  }

  /** Answers one request; resolves once the answer is written out, so that close() never cuts one short. */
  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    try {
      const handler = this.route(request);
      sendJson(response, 200, await handler(request), {}, this.stopping);
    } catch (error) {
      this.sendError(response, error);
    }
    // A client that went away is no concern of the server's.
    await finished(response).catch(() => undefined);
  }

  private route(request: IncomingMessage): Handler {
    const path = new URL(request.url ?? '/', 'http://irlens').pathname;
    const methods = this.routes[path];
    if (!methods) throw new HttpError(404, `no route ${path}; this server answers POST /get_reward (OpenRLHF), POST /score and GET /health`);
    const handler = methods[request.method ?? ''];
    const allowed = Object.keys(methods).join(', ');
    if (!handler) throw new HttpError(405, `${path} takes ${allowed}, not ${request.method}`, { Allow: allowed });
    if (this.stopping && path !== '/health') throw new UnavailableError('the server is shutting down and takes no new requests; send them to another server, or restart this one');
    return handler;
  }

  private sendError(response: ServerResponse, error: unknown): void {
    if (response.headersSent || response.destroyed) return void response.destroy();
    if (error instanceof HttpError) {
      // After a 413 the rest of the body is not worth reading: the connection closes.
      return sendJson(response, error.status, { error: error.message }, error.headers, error.status === 413 || this.stopping);
    }
    // A reward that cannot score what it was sent (RewardError, ...): the request's fault, not the server's.
    if (error instanceof UserError) return sendJson(response, 422, { error: error.message });
    (this.options.log ?? ((message) => process.stderr.write(`${message}\n`)))(`irlens serve: internal error: ${(error as Error)?.stack ?? String(error)}`);
    sendJson(response, 500, { error: `internal error: ${(error as Error)?.message ?? String(error)} (a bug in irlens; the server keeps running)` });
  }

  private async getReward(request: IncomingMessage): Promise<unknown> {
    const parsed = parseGetReward(await readJsonBody(request, this.options.maxBodyBytes));
    const plan = planGetReward(parsed, this.served.input, this.served.shaped);
    refuseEmpty(plan.texts, 'query');
    return plan.answer(await this.batcher.score(plan.texts));
  }

  private async score(request: IncomingMessage): Promise<unknown> {
    const texts = stringList(jsonObject(await readJsonBody(request, this.options.maxBodyBytes), '{"texts": [...]}'), 'texts');
    refuseEmpty(texts, 'texts');
    const scores = await this.batcher.score(texts);
    return { scores, metadata: this.batcher.metadata };
  }

  private health(): unknown {
    if (this.stopping) throw new UnavailableError('the server is shutting down');
    const memory = process.memoryUsage();
    return {
      status: 'ok',
      reward: { name: this.served.reward.name, input: this.served.input, shaped: this.served.shaped, ...this.served.description },
      batchSize: this.options.batchSize,
      queue: { texts: this.batcher.queued, max: this.options.maxQueue },
      textsScored: this.batcher.scored,
      uptimeSeconds: (Date.now() - this.started) / 1000,
      memory: { rssBytes: memory.rss, heapUsedBytes: memory.heapUsed },
    };
  }
}
