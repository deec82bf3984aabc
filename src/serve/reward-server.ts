/**
 * `irlens serve`'s HTTP server: an irlens reward behind OpenRLHF's remote reward-model route
 * (POST /get_reward, see openrlhf.ts), a plain POST /score {"texts": [...]}, and GET /health.
 * Concurrent requests are scored together by a ScoreBatcher. Every failure is a JSON
 * {"error": message} with a 4xx/5xx status; none stops the server. close() shuts down gracefully:
 * new requests get 503, those in flight are scored and answered, then the server closes.
 */
import type { IncomingMessage } from 'node:http';
import { ScoreBatcher } from './batcher.js';
import { BadRequestError, UnavailableError } from './errors.js';
import { readJsonBody } from './http-json.js';
import { JsonServer } from './json-server.js';
import { parseGetReward, planGetReward } from './openrlhf.js';
import { jsonObject, stringList } from './request-fields.js';
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

/** Refuses empty texts up front: a recovered reward has no token to read, and one bad text would fail its whole batch. */
function refuseEmpty(texts: readonly string[], field: string): void {
  const empty = texts.indexOf('');
  if (empty >= 0) throw new BadRequestError(`text ${empty} to score (from "${field}") is empty; a reward needs at least one token, so drop empty texts or send the prompt with them`);
}

export class RewardServer extends JsonServer {
  private readonly batcher: ScoreBatcher;
  private readonly started = Date.now();

  constructor(
    private readonly served: ServedReward,
    private readonly settings: RewardServerOptions,
  ) {
    super({
      name: 'irlens serve',
      log: settings.log,
      errorBody: (_status, message) => ({ error: message }),
      routes: {
        '/get_reward': { POST: (request) => this.getReward(request) },
        '/score': { POST: (request) => this.score(request) },
        '/health': { GET: () => this.health() },
      },
    });
    this.batcher = new ScoreBatcher(served.reward, settings);
  }

  private async getReward(request: IncomingMessage): Promise<unknown> {
    const parsed = parseGetReward(await readJsonBody(request, this.settings.maxBodyBytes));
    const plan = planGetReward(parsed, this.served.input, this.served.shaped);
    refuseEmpty(plan.texts, 'query');
    return plan.answer(await this.batcher.score(plan.texts));
  }

  private async score(request: IncomingMessage): Promise<unknown> {
    const texts = stringList(jsonObject(await readJsonBody(request, this.settings.maxBodyBytes), '{"texts": [...]}'), 'texts');
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
      batchSize: this.settings.batchSize,
      queue: { texts: this.batcher.queued, max: this.settings.maxQueue },
      textsScored: this.batcher.scored,
      uptimeSeconds: (Date.now() - this.started) / 1000,
      memory: { rssBytes: memory.rss, heapUsedBytes: memory.heapUsed },
    };
  }
}
