/**
 * Load for the reward server, shared by its load test and bench/serve-load.ts: OpenRLHF-shaped
 * requests made from a fixed word list, and a fixed number of clients sending them concurrently.
 */
import { performance } from 'node:perf_hooks';

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
