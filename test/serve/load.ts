/**
 * Load for the reward server, shared by its load test and bench/serve-load.ts: `irlens serve` in a
 * child process, OpenRLHF-shaped requests made from a fixed word list, and a fixed number of
 * clients sending them concurrently.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { projectRoot } from '../helpers/fixtures.js';

const tsx = import.meta.resolve('tsx');

const WORDS = ['the', 'model', 'said', 'that', 'a', 'kind', 'word', 'is', 'never', 'wasted', 'but', 'you', 'idiot', 'people', 'always', 'talk', 'about', 'weather', 'today', 'and'];

export interface RewardRequestBody {
  query: string[];
  prompts: string[];
  labels: string[];
}

/** `count` requests of 1 to 4 (prompt + response) queries each, the same for the same seed. */
export function openrlhfRequests(count: number, seed = 1): RewardRequestBody[] {
  let state = seed;
  const next = (n: number) => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    // The high bits: an LCG's low bits repeat with a short period.
    return Math.floor(state / 2 ** 16) % n;
  };
  const phrase = (words: number) => Array.from({ length: words }, () => WORDS[next(WORDS.length)]).join(' ');
  return Array.from({ length: count }, () => {
    const prompts = Array.from({ length: 1 + next(4) }, () => phrase(3 + next(6)));
    return { query: prompts.map((p) => `${p} ${phrase(2 + next(12))}`), prompts, labels: prompts.map(() => '') };
  });
}

export interface LoadResult {
  /** Each request's status and parsed answer, in the order of `bodies`. */
  answers: Array<{ status: number; body: any }>;
  /** Requests that got no answer at all (a refused or dropped connection), with why. */
  failures: string[];
  seconds: number;
}

/** POSTs every body to `url` from `clients` concurrent clients, each taking the next unsent body. */
export async function sendConcurrently(url: string, bodies: readonly unknown[], clients: number): Promise<LoadResult> {
  const result: LoadResult = { answers: new Array(bodies.length), failures: [], seconds: 0 };
  let next = 0;
  const client = async () => {
    for (let i = next++; i < bodies.length; i = next++) {
      try {
        const response = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(bodies[i]) });
        result.answers[i] = { status: response.status, body: await response.json() };
      } catch (error) {
        result.failures.push(`request ${i}: ${(error as Error).message}`);
      }
    }
  };
  const began = performance.now();
  await Promise.all(Array.from({ length: clients }, client));
  result.seconds = (performance.now() - began) / 1000;
  return result;
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
export function startServeProcess(args: readonly string[]): Promise<ServeProcess> {
  const child = spawn(process.execPath, ['--import', tsx, join(projectRoot, 'src', 'cli', 'main.ts'), 'serve', ...args, '--port', '0'], {
    cwd: projectRoot, env: { ...process.env, HF_HUB_OFFLINE: '1' }, stdio: ['ignore', 'pipe', 'pipe'],
  });
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
