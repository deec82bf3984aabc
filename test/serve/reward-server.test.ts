import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { describe, it } from 'node:test';
import { loadRewardFunction } from '../../src/irl/index.js';
import { loadClassifier } from '../../src/models/load.js';
import { ClassifierReward } from '../../src/reward/index.js';
import { ScoreBatcher } from '../../src/serve/batcher.js';
import { UnavailableError } from '../../src/serve/errors.js';
import type { ServedReward } from '../../src/serve/served-reward.js';
import { Tokenizer } from '../../src/text/index.js';
import { CLASSIFIER_FIXTURE, SlowReward, post, rewardFolder, startServer, temporaryDir } from './helpers.js';

const dir = temporaryDir();
const PROMPTS = ['The weather today', 'She told him that', 'Once upon a time', 'My favourite food is', 'Why would anyone'];
const RESPONSES = [' is sunny and warm.', ' he was an idiot', ' there was a tiny dragon', ' pizza<|endoftext|>', ' do that?'];
/** OpenRLHF's request, as agent.py's _fetch_rewards_via_http builds it. */
const OPENRLHF_REQUEST = { query: PROMPTS.map((p, i) => p + RESPONSES[i]), prompts: PROMPTS, labels: PROMPTS.map(() => '') };

const continuationReward = loadRewardFunction(rewardFolder(dir, 'last', 'continuation'), { batchSize: 32 });
const wholeTextReward = loadRewardFunction(rewardFolder(dir, 'token-sum', 'prompt+continuation'), { batchSize: 32 });
const classifier = new ClassifierReward(loadClassifier(CLASSIFIER_FIXTURE).model, Tokenizer.fromFolder(CLASSIFIER_FIXTURE), { label: 'toxic', batchSize: 32 });

const served = (reward: ServedReward['reward'], input: ServedReward['input'], shaped = false): ServedReward => ({ reward, input, shaped, description: {} });

describe("OpenRLHF's request shape", () => {
  // One request whose texts fit one batch is scored in the same batch as in-process: equal to the bit.
  it('a reward that reads the response alone: rewards equal in-process scores of the responses', async () => {
    const { url } = await startServer(served(continuationReward, 'continuation'));
    const answer = await post(`${url}/get_reward`, OPENRLHF_REQUEST);
    assert.equal(answer.status, 200);
    const expected = continuationReward.score(RESPONSES).scores;
    assert.deepEqual(answer.body, { rewards: expected, scores: expected, extra_logs: {} });
  });

  it('a reward that reads prompt + response (token-sum pooling), and a classifier: rewards equal in-process scores of the queries', async () => {
    for (const reward of [wholeTextReward, classifier]) {
      const { url } = await startServer(served(reward, 'prompt+continuation'));
      const answer = await post(`${url}/get_reward`, OPENRLHF_REQUEST);
      assert.equal(answer.status, 200);
      assert.deepEqual(answer.body.rewards, reward.score(OPENRLHF_REQUEST.query).scores);
    }
  });

  it('shaped: each reward is s(prompt + response) − s(prompt + label), with both halves in extra_logs', async () => {
    const { url } = await startServer(served(classifier, 'prompt+continuation', true));
    const labels = [' is grey.', ' she liked him', ' a princess slept', ' soup', ' ask?'];
    const answer = await post(`${url}/get_reward`, { ...OPENRLHF_REQUEST, labels });
    assert.equal(answer.status, 200);
    const response = classifier.score(OPENRLHF_REQUEST.query).scores;
    const reference = classifier.score(PROMPTS.map((p, i) => p + labels[i])).scores;
    assert.deepEqual(answer.body.extra_logs, { 'irlens/response_score': response, 'irlens/reference_score': reference });
    answer.body.rewards.forEach((r: number, i: number) => assert.ok(Math.abs(r - (response[i]! - reference[i]!)) <= 1e-12));
    assert.deepEqual(answer.body.scores, answer.body.rewards);
    const unlabelled = await post(`${url}/get_reward`, { query: OPENRLHF_REQUEST.query, prompts: PROMPTS });
    assert.equal(unlabelled.status, 400);
    assert.match(unlabelled.body.error, /"labels" is required: the reward is shaped/);
  });

  it('an empty query list gets empty lists, with or without prompts and labels', async () => {
    const { url } = await startServer(served(continuationReward, 'continuation', true));
    for (const body of [{ query: [] }, { query: [], prompts: [], labels: [] }]) {
      assert.deepEqual((await post(`${url}/get_reward`, body)).body, { rewards: [], scores: [], extra_logs: {} });
    }
  });

  it('concurrent one-query requests (as OpenRLHF v0.11 sends them) share batches; rewards equal in-process to 1e-6', async () => {
    const counting = new SlowReward(continuationReward);
    const { url } = await startServer(served(counting, 'continuation'), { batchSize: 4, maxWaitMs: 50 });
    const answers = await Promise.all(PROMPTS.flatMap((prompt, i) => [0, 1, 2].map(() => post(`${url}/get_reward`, { query: [prompt + RESPONSES[i]], prompts: [prompt], labels: [''] }))));
    const expected = continuationReward.score(RESPONSES).scores;
    // Batches of other compositions pad to other lengths; padding is masked, so only summation order can differ.
    answers.forEach((answer, k) => assert.ok(Math.abs(answer.body.rewards[0] - expected[Math.floor(k / 3)]!) <= 1e-6, JSON.stringify(answer.body)));
    assert.ok(counting.calls.length < answers.length, `15 requests in ${counting.calls.length} batches`);
    assert.ok(counting.calls.every((size) => size <= 4));
  });

  it('POST /score scores texts as they are, with the reward\'s metadata', async () => {
    const { url } = await startServer(served(classifier, 'prompt+continuation'));
    const answer = await post(`${url}/score`, { texts: RESPONSES });
    assert.equal(answer.status, 200);
    assert.deepEqual(answer.body, { scores: classifier.score(RESPONSES).scores, metadata: classifier.score(RESPONSES).metadata });
  });
});

describe('bad requests get a 4xx with a message, and the server keeps serving', () => {
  const cases: Array<[string, string, unknown, number, RegExp]> = [
    ['malformed JSON', '/get_reward', '{"query": [', 400, /not valid JSON/],
    ['a body that is not an object', '/get_reward', '[1, 2]', 400, /must be a JSON object/],
    ['query missing', '/get_reward', { prompts: [] }, 400, /"query" must be a list of strings, got undefined/],
    ['query a string', '/get_reward', { query: 'hello' }, 400, /"query" must be a list of strings, got string/],
    ['a query that is a number', '/get_reward', { query: ['a', 3], prompts: ['', ''] }, 400, /"query"\[1\] must be a string, got number/],
    ['prompts not one per query', '/get_reward', { query: ['a b', 'c d'], prompts: ['a'] }, 400, /"prompts" has 1 items but "query" has 2/],
    ['labels not one per query', '/get_reward', { query: ['a b'], prompts: ['a'], labels: [] }, 400, /"labels" must be a list with one item per query/],
    ['prompts missing for a response-only reward', '/get_reward', { query: ['a b'] }, 400, /"prompts" is required/],
    ['a prompt that does not begin its query', '/get_reward', { query: ['a b'], prompts: ['b'] }, 400, /"query"\[0\] does not begin with "prompts"\[0\]/],
    ['an empty response', '/get_reward', { query: ['a b', 'c'], prompts: ['a', 'c'] }, 400, /text 1 to score .* is empty/],
    ['texts not a list', '/score', { texts: { a: 1 } }, 400, /"texts" must be a list of strings/],
    ['an unknown route', '/reward', { query: [] }, 404, /no route POST \/reward; this server answers POST \/get_reward, POST \/score, GET \/health/],
  ];
  for (const [name, path, body, status, message] of cases) {
    it(`${name}: ${status}`, async () => {
      const { url } = await startServer(served(continuationReward, 'continuation'));
      const answer = await post(`${url}${path}`, body);
      assert.equal(answer.status, status, JSON.stringify(answer.body));
      assert.match(answer.body.error, message);
      assert.equal((await post(`${url}/score`, { texts: ['still here'] })).status, 200);
    });
  }

  it('a wrong method: 405 with Allow', async () => {
    const { url } = await startServer(served(continuationReward, 'continuation'));
    const answer = await fetch(`${url}/get_reward`);
    assert.equal(answer.status, 405);
    assert.equal(answer.headers.get('allow'), 'POST');
    assert.match(((await answer.json()) as { error: string }).error, /takes POST, not GET/);
    assert.equal((await fetch(`${url}/health`, { method: 'DELETE' })).status, 405);
  });

  it('a body over --max-body-bytes: 413, whether its length is declared or streamed in chunks', async () => {
    const { url } = await startServer(served(continuationReward, 'continuation'), { maxBodyBytes: 1000 });
    const big = JSON.stringify({ query: ['x'.repeat(5000)], prompts: [''] });
    const declared = await post(`${url}/get_reward`, big);
    assert.equal(declared.status, 413);
    assert.match(declared.body.error, /over the server's limit of 1000 bytes/);
    const streamed = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const request = httpRequest(`${url}/get_reward`, { method: 'POST', headers: { 'Transfer-Encoding': 'chunked' } }, (response) => {
        let body = '';
        response.on('data', (chunk) => (body += chunk));
        response.on('end', () => resolve({ status: response.statusCode!, body }));
      });
      request.on('error', reject);
      for (let i = 0; i < 10; i++) request.write(big.slice(i * 500, (i + 1) * 500));
      request.end();
    });
    assert.equal(streamed.status, 413);
    assert.match(JSON.parse(streamed.body).error, /--max-body-bytes/);
    assert.equal((await post(`${url}/score`, { texts: ['still here'] })).status, 200);
  });

  it('more texts in one request than the queue holds: 413 saying how to split', async () => {
    const { url } = await startServer(served(continuationReward, 'continuation'), { maxQueue: 2 });
    const answer = await post(`${url}/score`, { texts: ['a', 'b', 'c'] });
    assert.equal(answer.status, 413);
    assert.match(answer.body.error, /3 texts to score but the queue holds at most 2/);
  });
});

describe('the bounded queue', () => {
  it('refuses texts past maxQueue with a 503 error at once, and takes them again once scored', async () => {
    const batcher = new ScoreBatcher(continuationReward, { batchSize: 1, maxQueue: 3, maxWaitMs: 0 });
    const first = batcher.score(['a', 'b']);
    assert.throws(() => batcher.score(['c', 'd']), (error: unknown) => error instanceof UnavailableError && error.status === 503 && /queue is full \(2 texts waiting, at most 3\)/.test(error.message));
    const second = batcher.score(['c']);
    assert.equal(batcher.queued, 3);
    assert.deepEqual([...(await first), ...(await second)], continuationReward.score(['a', 'b', 'c']).scores);
    assert.equal(batcher.queued, 0);
    assert.deepEqual(await batcher.score(['c', 'd']), continuationReward.score(['c', 'd']).scores);
  });

  it('over HTTP: requests past a full queue get 503 with Retry-After and a JSON message; the others are scored', async () => {
    const slow = new SlowReward(continuationReward, 30);
    const { url } = await startServer(served(slow, 'continuation'), { batchSize: 1, maxQueue: 2, maxWaitMs: 50 });
    const answers = await Promise.all(Array.from({ length: 12 }, (_, i) => post(`${url}/score`, { texts: [`text ${i}`] })));
    const full = answers.filter((a) => a.status === 503);
    assert.ok(full.length > 0, 'some request found the queue full');
    assert.ok(answers.every((a) => a.status === 200 || a.status === 503));
    for (const answer of full) {
      assert.match(answer.body.error, /queue is full/);
      assert.equal(answer.headers.get('retry-after'), '1');
    }
  });
});

describe('graceful shutdown', () => {
  it('close() answers the request in flight, refuses new ones, then closes', async () => {
    const slow = new SlowReward(continuationReward, 50);
    const { server, url } = await startServer(served(slow, 'continuation'), { batchSize: 1 });
    const inFlight = post(`${url}/score`, { texts: ['one', 'two', 'three'] });
    while (slow.calls.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    const closed = server.close();
    assert.equal(server.stopping, true);
    const answer = await inFlight;
    assert.equal(answer.status, 200);
    assert.deepEqual(answer.body.scores, continuationReward.score(['one', 'two', 'three']).scores);
    assert.equal(answer.headers.get('connection'), 'close');
    await closed;
    await assert.rejects(fetch(`${url}/health`), 'a closed server takes no connections');
  });
});
