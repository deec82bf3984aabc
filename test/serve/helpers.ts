/** A reward server on a free port for a test file, tiny rewards to serve, and JSON over fetch. */
import { spawn, type ChildProcess } from 'node:child_process';
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
import { fixture, projectRoot } from '../helpers/fixtures.js';

const tsx = import.meta.resolve('tsx');

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

export interface ServeProcess {
  url: string;
  child: ChildProcess;
  stderr(): string;
  /** Resolves with the exit code once the process ends. */
  exited: Promise<number | null>;
}

/**
 * Starts `irlens serve ...args --port 0` as a child process (through tsx, as a user runs the
 * command) and resolves once it says where it listens; rejects with its output if it exits first.
 */
export function spawnServe(args: readonly string[]): Promise<ServeProcess> {
  const child = spawn(process.execPath, ['--import', tsx, join(projectRoot, 'src', 'cli', 'main.ts'), 'serve', ...args, '--port', '0'], {
    cwd: projectRoot, env: { ...process.env, HF_HUB_OFFLINE: '1' }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  after(() => void child.kill('SIGKILL'));
  let stderr = '';
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    child.stderr!.on('data', (chunk) => {
      stderr += chunk;
      const listening = /on (http:\/\/\S+:\d+)/.exec(stderr);
      if (listening) resolve({ url: listening[1]!, child, stderr: () => stderr, exited });
    });
    void exited.then((code) => reject(new Error(`irlens serve exited with ${code} before listening:\n${stderr}`)));
  });
}
