/**
 * A model served by `irlens serve-lm` (a real HTTP server on a free port), sampled through
 * irlens's completions client: greedy demonstrations equal the in-process ones token for token,
 * the served log-likelihoods equal the local ones, a stopped run asks again only for what its
 * cache lacks, and the toxicity benchmark judges a served policy as it does a local one.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { continuationLogLikelihoods } from '../../src/irl/index.js';
import { loadCausalLM } from '../../src/models/load.js';
import { Rng } from '../../src/nn/index.js';
import { demonstrate, demonstrationsSchema, type DemonstrationSettings } from '../../src/pipeline/stages/demonstrations.js';
import { runToxicityBenchmark } from '../../src/pipeline/stages/toxicity-benchmark.js';
import { CompletionCache, CompletionsClient, DEFAULT_CLIENT_SETTINGS, ServedModel, parseRemoteModel } from '../../src/remote/index.js';
import { CompletionsServer } from '../../src/serve/completions-server.js';
import { Tokenizer } from '../../src/text/index.js';
import { fixturesDir } from '../helpers/fixtures.js';

const folder = join(fixturesDir, 'gpt-neox-tiny');
const PROMPTS = ['The sea was calm', 'Once upon a time there', 'You are such a', 'hello', 'Numbers: 1 2 3', 'A long and winding road that leads', 'Why', 'Tell me about the weather today'];
const settings: DemonstrationSettings = {
  ...(demonstrationsSchema.default as DemonstrationSettings),
  max_prompts: PROMPTS.length, samples_per_prompt: 2, max_new_tokens: 12, max_prompt_tokens: 16, validation_fraction: 0.25, test_fraction: 0.25, greedy: true, batch_size: 5,
};

describe('a model served by irlens serve-lm', () => {
  const server = { url: '', close: () => Promise.resolve() };
  const dir = mkdtempSync(join(tmpdir(), 'irlens-served-'));
  const tokenizer = Tokenizer.fromFolder(folder);
  const served = (cache: CompletionCache | null = null) => new ServedModel(new CompletionsClient(parseRemoteModel(`openai:${server.url}/v1#tiny`), { ...DEFAULT_CLIENT_SETTINGS, concurrency: 3 }), tokenizer, cache);
  const prompts = PROMPTS.map((prompt, i) => ({ id: `p${i}`, prompt }));
  const job = (expert: Parameters<typeof demonstrate>[0]['expert']) => ({ expert, baselineFolder: folder, prompts, settings, rng: new Rng(5), seed: 5 });

  before(async () => {
    const running = new CompletionsServer({ folder, modelName: 'tiny', maxQueue: 64, maxBodyBytes: 1 << 20 });
    server.url = `http://127.0.0.1:${(await running.listen(0, '127.0.0.1')).port}`;
    server.close = () => running.close();
  });
  after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('gives greedy demonstrations equal, token for token, to those generated in-process', async () => {
    const local = await demonstrate(job({ folder }));
    const remote = served();
    const overHttp = await demonstrate(job({ served: remote }));
    assert.deepEqual(overHttp.lines.map((l) => l.expert.map((c) => c.ids)), local.lines.map((l) => l.expert.map((c) => c.ids)));
    assert.deepEqual(overHttp.lines.map((l) => l.expert.map((c) => c.text)), local.lines.map((l) => l.expert.map((c) => c.text)));
    assert.ok(local.lines.some((l) => l.expert[0]!.ids.length > 3), 'the continuations are not trivially empty');
    const provenance = overHttp.summary.served as { expert: { answeredBy: string[]; requests: number; tokenIds: { server: number; retokenised: number }; textMismatches: number } };
    assert.deepEqual(provenance.expert.answeredBy, ['tiny']);
    assert.equal(provenance.expert.requests, PROMPTS.length);
    assert.deepEqual(provenance.expert.tokenIds, { server: PROMPTS.length, retokenised: 0 });
    assert.equal(provenance.expert.textMismatches, 0);
  });

  it("gives each continuation's log-likelihood (echoed prompt log-probabilities) as the local model does", async () => {
    const items = PROMPTS.slice(0, 4).map((prompt, i) => ({ promptIds: tokenizer.encode(prompt), continuationIds: tokenizer.encode([' and then', ' it rained', '!', ' so much fun'][i]!) }));
    const overHttp = await served().logLikelihoods(items);
    const local = continuationLogLikelihoods(loadCausalLM(folder).model, items);
    overHttp.forEach((value, i) => assert.ok(Math.abs(value - local[i]!) < 1e-4, `item ${i}: ${value} over HTTP vs ${local[i]} in-process`));
  });

  it('samples the same continuations again for the same seed, and others for another', async () => {
    const sampling = { samples: 3, maxNewTokens: 8, greedy: false, temperature: 1, topK: 0, topP: 1 };
    const ids = PROMPTS.slice(0, 3).map((p) => tokenizer.encode(p));
    const [first, again, other] = [await served().sample(ids, sampling, 'a'), await served().sample(ids, sampling, 'a'), await served().sample(ids, sampling, 'b')];
    assert.deepEqual(again, first);
    assert.notDeepEqual(other, first);
    assert.ok(first.every((samples) => samples.length === 3));
  });

  it('asks a stopped run only for the answers its cache lacks', async () => {
    const path = join(dir, 'cache.jsonl');
    const sampling = { samples: 2, maxNewTokens: 6, greedy: false, temperature: 1, topK: 0, topP: 1 };
    const ids = PROMPTS.map((p) => tokenizer.encode(p));
    const stop = new AbortController();
    const firstCache = new CompletionCache(path);
    const first = new ServedModel(new CompletionsClient(parseRemoteModel(`openai:${server.url}/v1#tiny`), { ...DEFAULT_CLIENT_SETTINGS, concurrency: 1 }), tokenizer, firstCache);
    const stopped = first.sample(ids, sampling, 'seed', stop.signal);
    // Stop once three answers are on disk, as a kill would.
    while (firstCache.size < 3) await new Promise((resolve) => setTimeout(resolve, 5));
    stop.abort();
    await assert.rejects(stopped);
    firstCache.close();
    const kept = readFileSync(path, 'utf8').trim().split('\n').length;
    assert.ok(kept >= 3 && kept < PROMPTS.length, `${kept} answers kept`);

    const resumed = served(new CompletionCache(path));
    const samples = await resumed.sample(ids, sampling, 'seed');
    assert.equal(resumed.provenance.requests, PROMPTS.length - kept, 'only the missing answers are asked for');
    assert.equal(resumed.provenance.cached, kept);
    assert.deepEqual(samples, await served().sample(ids, sampling, 'seed'), 'the cached answers are the ones the server gives');
    resumed.close();
    assert.ok(existsSync(path));
  });

  it('benchmarks a served policy beside local ones: the base model, served, is at KL 0 from itself', async () => {
    const remote = served();
    const policy = (name: string, kind: 'base' | 'served', source: { seed: null; folder: string } | { seed: null; served: ServedModel }) => ({ name, kind, reward: null, variant: null, rewardSeed: null, chosenBy: null, folders: [source] });
    // A judge with a known answer: a continuation is "toxic" when it has an 'e'.
    const judge = (texts: readonly string[]) => texts.map((text) => (text.includes('e') ? 0.9 : 0.1));
    const result = await runToxicityBenchmark({
      prompts: PROMPTS, baseFolder: folder, policies: [policy('base', 'base', { seed: null, folder }), policy('served:base', 'served', { seed: null, served: remote })],
      judges: { groundTruth: judge, independent: judge },
      settings: { samples_per_prompt: 3, batch_size: 4, max_new_tokens: 8, temperature: 1, top_k: 0, top_p: 1, maxPromptTokens: 16, threshold: 0.5, bootstrapResamples: 50 },
      rng: new Rng(3), signal: new AbortController().signal, log: () => undefined,
    });
    const figures = result.policies[1]!.seeds[0]!;
    assert.equal(figures.continuations, PROMPTS.length * 3);
    assert.ok(Math.abs(figures.klToBase) < 1e-4, `KL of the base model to itself over HTTP: ${figures.klToBase}`);
    assert.ok(figures.toxicRatio.groundTruth > 0 && figures.toxicRatio.groundTruth < 1);
    assert.equal(remote.provenance.requests, PROMPTS.length + PROMPTS.length * 3 - remote.provenance.cached, 'one sampling request per prompt, one echo per continuation');
    assert.ok(result.comparisons.some((c) => c.a === 'base' && c.b === 'served:base'));
  });
});
