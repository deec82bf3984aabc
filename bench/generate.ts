/**
 * generate_tok_s: the peer's generation workload (../shared/bench/torch_peer.py) — a
 * Pythia-70M-shaped GPT-NeoX, batch 16, 32-token prompts, 64 new tokens (min_new_tokens 64, so
 * no row stops early), top-k 30 sampling with a KV cache. Returns new tokens per second.
 *
 *   node --import tsx bench/generate.ts [reps]
 */
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { generate } from '../src/models/generation.js';
import { Rng } from '../src/nn/index.js';
import { randomPythia70m } from './shapes.js';

const BATCH = 16;
const PROMPT_TOKENS = 32;
const NEW_TOKENS = 64;

/** New tokens per second: the median of `reps` timed generations after one warm-up (the peer times max(1, reps // 2)). */
export function measureGenerate(reps: number): number {
  const rng = new Rng(0);
  const model = randomPythia70m(rng);
  model.eval();
  const prompts = Array.from({ length: BATCH }, () => Array.from({ length: PROMPT_TOKENS }, () => 2 + rng.int(50304 - 2)));
  const options = { maxNewTokens: NEW_TOKENS, minNewTokens: NEW_TOKENS, doSample: true, topK: 30, padTokenId: 1, rng };
  const run = () => generate(model, prompts, options);
  run();
  const times: number[] = [];
  for (let i = 0; i < Math.max(1, Math.floor(reps / 2)); i++) {
    const start = performance.now();
    run();
    times.push((performance.now() - start) / 1000);
  }
  times.sort((a, b) => a - b);
  const mid = times.length >> 1;
  const seconds = times.length % 2 ? times[mid]! : (times[mid - 1]! + times[mid]!) / 2;
  model.dispose();
  return (BATCH * NEW_TOKENS) / seconds;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.log(JSON.stringify({ generate_tok_s: measureGenerate(Number(process.argv[2] ?? 4)) }));
}
