/** A reward server on a free port for a test file, tiny rewards to serve, and JSON over fetch. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { RewardModel, saveRewardModel, type RewardInput } from '../../src/irl/index.js';
import type { Pooling } from '../../src/irl/reward-model.js';
import type { GPTNeoXForCausalLM } from '../../src/models/gpt-neox.js';
import { loadModel } from '../../src/models/load.js';
import { Rng } from '../../src/nn/index.js';
import type { RewardFunction, RewardScores } from '../../src/reward/index.js';
import { RewardServer, type RewardServerOptions } from '../../src/serve/reward-server.js';
import type { ServedReward } from '../../src/serve/served-reward.js';
import { fixture } from '../helpers/fixtures.js';
import { startServeProcess, type ServeProcess } from './load.js';

export const LM_FIXTURE = fixture('gpt-neox-tiny');
export const CLASSIFIER_FIXTURE = fixture('roberta-tiny-classifier');

/** A fresh temporary folder, removed after the test file. */
export function temporaryDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'irlens-serve-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Saves a recovered reward (the tiny GPT-NeoX with a seeded head) the way `irlens irl` does, and returns its folder. */
export function rewardFolder(dir: string, pooling: Pooling, rewardInput: RewardInput, seed = 5): string {
  const lm = loadModel(LM_FIXTURE).model as GPTNeoXForCausalLM;
  const folder = join(dir, `${pooling}-${rewardInput}-${seed}`);
  saveRewardModel(RewardModel.fromCausalLM(lm, { pooling, rng: new Rng(seed), padTokenId: 1 }), folder, { tokenizerFrom: LM_FIXTURE, rewardInput });
  return folder;
}

/** A reward that counts its calls and spends `delayMs` of synchronous work on each, over a base reward. */
export class SlowReward implements RewardFunction {
  readonly name = 'slow';
  calls: number[] = [];
  constructor(
    private readonly base: RewardFunction,
    private readonly delayMs = 0,
  ) {}

  score(texts: readonly string[]): RewardScores {
    this.calls.push(texts.length);
    const until = Date.now() + this.delayMs;
    while (Date.now() < until);
    return this.base.score(texts);
  }
}

export const DEFAULT_OPTIONS: RewardServerOptions = { batchSize: 32, maxQueue: 1024, maxWaitMs: 5, maxBodyBytes: 1 << 20 };

/** A RewardServer listening on a free port of 127.0.0.1, closed after the test file. */
export async function startServer(served: ServedReward, options: Partial<RewardServerOptions> = {}): Promise<{ server: RewardServer; url: string }> {
  const server = new RewardServer(served, { ...DEFAULT_OPTIONS, ...options });
  const { port } = await server.listen(0, '127.0.0.1');
  after(() => server.close());
  return { server, url: `http://127.0.0.1:${port}` };
}

export interface JsonAnswer {
  status: number;
  headers: Headers;
  body: any;
}

/** POSTs `body` (serialised unless it is already a string) and reads the JSON answer. */
export async function post(url: string, body: unknown, init: RequestInit = {}): Promise<JsonAnswer> {
  const response = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body), ...init });
  return { status: response.status, headers: response.headers, body: await response.json() };
}

/** `irlens serve ...args` in a child process (see load.ts), killed after the test file. */
export async function spawnServe(args: readonly string[]): Promise<ServeProcess> {
  const served = await startServeProcess(args);
  after(() => void served.child.kill('SIGKILL'));
  return served;
}
