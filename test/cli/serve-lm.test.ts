/**
 * `irlens serve-lm` and `irlens irl --expert openai:URL#MODEL` as a user runs them: the server is
 * a child process on a free port; the IRL run samples its expert over HTTP, asks the server for
 * the log-ratio's log-likelihoods, survives a SIGKILL mid-sampling, and on its second try asks
 * only for the answers its cache lacks.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fixture, projectRoot } from '../helpers/fixtures.js';
import { describeRun, irlens, temporaryDir } from './helpers.js';

const folder = fixture('gpt-neox-tiny');
const tsx = import.meta.resolve('tsx');
const main = join(projectRoot, 'src', 'cli', 'main.ts');
const TINY = [
  '--set', 'demonstrations.max_prompts=12', '--set', 'demonstrations.max_new_tokens=6', '--set', 'demonstrations.max_prompt_tokens=20', '--set', 'demonstrations.samples_per_prompt=2',
  '--set', 'irl.epochs=2', '--set', 'irl.seeds=2', '--set', 'irl.variants=[{name: probe-last, mode: probe}, {name: log-ratio, kind: log-ratio}]',
];

/** Starts `irlens serve-lm` and resolves with its URL once it says where it listens. */
function serveLm(args: string[]): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ['--import', tsx, main, 'serve-lm', folder, '--port', '0', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  return new Promise((resolve, reject) => {
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      const url = /at (http:\/\/\S+)\/v1 /.exec(stderr)?.[1];
      if (url) resolve({ child, url });
    });
    child.on('exit', (code) => reject(new Error(`serve-lm exited with ${code}:\n${stderr}`)));
  });
}

describe('irlens serve-lm and a served expert', () => {
  const dir = temporaryDir();
  const prompts = join(dir, 'prompts.jsonl');
  let server: { child: ChildProcess; url: string };
  before(async () => {
    const texts = ['The sea was calm', 'Once upon a time there', 'You are such a', 'hello there', 'Numbers: 1 2 3', 'A long road', 'Why is it', 'Tell me about', 'She said that', 'In the morning', 'My favourite', 'It was late'];
    writeFileSync(prompts, texts.map((prompt) => `${JSON.stringify({ prompt })}\n`).join(''));
    server = await serveLm(['--model-name', 'tiny']);
  });
  after(() => server.child.kill('SIGKILL'));

  const health = async () => (await (await fetch(`${server.url}/health`)).json()) as { completed: number };

  it('recovers rewards from a served expert, and a run killed mid-sampling asks again only for what it lacks', async () => {
    const out = join(dir, 'irl');
    const args = ['irl', '--expert', `openai:${server.url}/v1#tiny`, '--baseline', folder, '--prompts', prompts, '--out', out, ...TINY, '--concurrency', '1', '--requests-per-second', '20', '--json'];
    const killed = spawn(process.execPath, ['--import', tsx, main, ...args], { cwd: projectRoot, stdio: 'ignore', env: { ...process.env, HF_HUB_OFFLINE: '1' } });
    const cache = `${out}.cache/served.jsonl`;
    const lines = () => (existsSync(cache) ? readFileSync(cache, 'utf8').split('\n').filter((l) => l.endsWith('}')).length : 0);
    while (lines() < 4) await new Promise((resolve) => setTimeout(resolve, 10));
    killed.kill('SIGKILL');
    await new Promise((resolve) => killed.on('exit', resolve));
    const kept = lines();
    const askedBefore = (await health()).completed;
    assert.ok(kept >= 4 && kept < 12, `${kept} answers cached before the kill`);

    const result = await irlens(args, { timeoutMs: 240_000 });
    assert.equal(result.code, 0, describeRun(result));
    const summary = JSON.parse(result.stdout) as { expert: { server: string; answeredBy: string[]; requests: number; cached: number }; variants: { name: string; runs: unknown[] }[] };
    // 12 prompts' continuations, then the log-likelihood of each of the 48 texts (some may repeat).
    assert.equal(summary.expert.cached, kept, 'every cached answer was used');
    assert.equal((await health()).completed - askedBefore, summary.expert.requests, 'the server was asked only for the rest');
    assert.ok(summary.expert.requests >= 12 - kept + 1, 'the rest includes the log-likelihoods');
    assert.deepEqual(summary.expert.answeredBy, ['tiny']);
    assert.deepEqual(summary.variants.map((v) => [v.name, v.runs.length]), [['probe-last', 2], ['log-ratio', 1]]);
    assert.ok(!existsSync(`${out}.cache`), 'the cache is removed once the output is complete');
  });

  it('generates through the server as in-process (greedy): same tokens, same text, same log-probabilities', async () => {
    const args = ['--prompt', 'Once upon a time', '--prompt', 'The sea', '--greedy', '--max-new-tokens', '10', '--json'];
    const [local, overHttp] = await Promise.all([irlens(['generate', folder, ...args]), irlens(['generate', `openai:${server.url}/v1#tiny`, '--tokenizer', folder, ...args])]);
    assert.equal(overHttp.code, 0, describeRun(overHttp));
    type Out = { results: { text: string; tokenIds: number[]; logProbs: number[]; finished: boolean }[]; served?: { answeredBy: string[] } };
    const [a, b] = [JSON.parse(local.stdout) as Out, JSON.parse(overHttp.stdout) as Out];
    assert.deepEqual(b.results.map((r) => [r.tokenIds, r.text, r.finished]), a.results.map((r) => [r.tokenIds, r.text, r.finished]));
    b.results.forEach((r, i) => r.logProbs.forEach((lp, t) => assert.ok(Math.abs(lp - a.results[i]!.logProbs[t]!) < 1e-5)));
    assert.deepEqual(b.served?.answeredBy, ['tiny']);
    const refused = await irlens(['generate', `openai:${server.url}/v1#tiny`, '--prompt', 'x']);
    assert.equal(refused.code, 1, describeRun(refused));
    assert.match(refused.stderr, /add --tokenizer/);
  });

  it('answers bad requests with a 4xx and a message, and stays up', async () => {
    const post = (body: string, path = '/v1/completions') => fetch(`${server.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    const cases: [Promise<Response>, number, RegExp][] = [
      [post('{"prompt": "hi", '), 400, /not valid JSON/],
      [post('[1, 2]'), 400, /must be a JSON object/],
      [post('{"prompt": "hi", "max_tokens": "ten"}'), 400, /"max_tokens" must be a number/],
      [post('{"prompt": "hi", "temperature": -1}'), 400, /"temperature" must be a number ≥ 0/],
      [post('{"prompt": [1, 2, 99999]}'), 400, /token id 99999, outside the vocabulary/],
      [post('{"prompt": []}'), 400, /"prompt" must be/],
      [post('{"prompt": "hi", "stream": true}'), 400, /"stream" is not supported/],
      [post('{"prompt": "hi", "model": "gpt-4"}'), 404, /`gpt-4` does not exist/],
      [post('{"prompt": "hi", "max_tokens": 100000}'), 400, /maximum context length/],
      [post(JSON.stringify({ prompt: 'x'.repeat(9 * 1024 * 1024) })), 413, /over the server's limit/],
      [post('{}', '/v1/chat/completions'), 404, /no route POST \/v1\/chat\/completions/],
      [fetch(`${server.url}/v1/completions`), 405, /takes POST, not GET/],
    ];
    for (const [pending, status, message] of cases) {
      const response = await pending;
      const body = (await response.json()) as { error: { message: string } };
      assert.equal(response.status, status, body.error.message);
      assert.match(body.error.message, message);
    }
    const models = (await (await fetch(`${server.url}/v1/models`)).json()) as { data: { id: string }[] };
    assert.deepEqual(models.data.map((m) => m.id), ['tiny']);
  });

  it('finishes the request under way when stopped, then exits', async () => {
    const other = await serveLm([]);
    const pending = fetch(`${other.url}/v1/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ prompt: 'Once', max_tokens: 40, temperature: 0 }) });
    await new Promise((resolve) => setTimeout(resolve, 20));
    other.child.kill('SIGTERM');
    const response = await pending;
    assert.equal(response.status, 200);
    const exit = await new Promise<number | null>((resolve) => other.child.on('exit', resolve));
    assert.equal(exit, 0);
  });
});
