/**
 * Throughput of `irlens serve`: texts/s through the server (a child process, OpenRLHF-shaped
 * requests from concurrent clients) against the same texts scored in-process with score(), and the
 * server's memory before and after. Prints one JSON object.
 *
 *   node --import tsx bench/serve-load.ts [--model tiny|pythia70m] [--requests 1000] [--clients 16] [--batch-size 32]
 *
 * tiny is the test fixture (2 layers, d 64); pythia70m is a Pythia-70M-shaped backbone with random
 * weights, read through the fixture's small tokenizer (so texts are a little more tokens than with
 * Pythia's own).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { RewardModel, loadRewardFunction, saveRewardModel } from '../src/irl/index.js';
import type { GPTNeoXForCausalLM } from '../src/models/gpt-neox.js';
import { loadModel } from '../src/models/load.js';
import { Rng } from '../src/nn/index.js';
import { fixture } from '../test/helpers/fixtures.js';
import { openrlhfRequests, sendConcurrently, startServeProcess } from '../test/serve/load.js';
import { randomPythia70m } from './shapes.js';

const { values } = parseArgs({
  options: { model: { type: 'string', default: 'tiny' }, requests: { type: 'string', default: '1000' }, clients: { type: 'string', default: '16' }, 'batch-size': { type: 'string', default: '32' } },
});
const [requests, clients, batchSize] = [Number(values.requests), Number(values.clients), Number(values['batch-size'])];
const TOKENIZER = fixture('gpt-neox-tiny');
const MiB = 2 ** 20;

const dir = mkdtempSync(join(tmpdir(), 'irlens-serve-bench-'));
try {
  const lm = values.model === 'pythia70m' ? randomPythia70m(new Rng(0)) : (loadModel(TOKENIZER).model as GPTNeoXForCausalLM);
  const folder = join(dir, 'reward');
  saveRewardModel(RewardModel.fromCausalLM(lm, { pooling: 'last', rng: new Rng(1), padTokenId: 1 }), folder, { tokenizerFrom: TOKENIZER, rewardInput: 'continuation' });
  lm.dispose();

  const bodies = openrlhfRequests(requests);
  const texts = bodies.flatMap((b) => b.query.map((q, i) => q.slice(b.prompts[i]!.length)));

  const reward = loadRewardFunction(folder, { batchSize });
  reward.score(texts.slice(0, batchSize));
  const began = performance.now();
  reward.score(texts);
  const inProcessSeconds = (performance.now() - began) / 1000;

  const served = await startServeProcess([folder, '--batch-size', String(batchSize)]);
  const memory = async () => ((await (await fetch(`${served.url}/health`)).json()) as { memory: { rssBytes: number; heapUsedBytes: number } }).memory;
  await sendConcurrently(`${served.url}/get_reward`, openrlhfRequests(Math.min(requests, 200), 2), clients);
  const before = await memory();
  const load = await sendConcurrently(`${served.url}/get_reward`, bodies, clients);
  const after = await memory();
  served.child.kill('SIGTERM');
  await served.exited;
  if (load.failures.length > 0 || load.answers.some((a) => a.status !== 200)) throw new Error(`requests failed: ${load.failures.slice(0, 3).join('; ')}`);

  console.log(JSON.stringify({
    model: values.model, requests, clients, batchSize, texts: texts.length,
    server_texts_per_s: Math.round(texts.length / load.seconds),
    in_process_texts_per_s: Math.round(texts.length / inProcessSeconds),
    server_rss_mib: { before: Math.round(before.rssBytes / MiB), after: Math.round(after.rssBytes / MiB) },
    server_heap_mib: { before: Math.round(before.heapUsedBytes / MiB), after: Math.round(after.heapUsedBytes / MiB) },
  }));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
