// 1,000 OpenRLHF-shaped requests from 16 concurrent clients against `irlens serve` in its own
// process: every one answered 200 with the in-process rewards, and the server's memory after the
// load within a margin of its memory after a warm-up (no growth with the number of requests). The
// warm-up is 500 requests because RSS climbs for a while before it levels off (malloc arenas of
// the kernels' threads filling up to the batch shapes seen), and only growth after that is a leak.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadRewardFunction } from '../../src/irl/index.js';
import { rewardFolder, spawnServe, temporaryDir } from './helpers.js';
import { openrlhfRequests, sendConcurrently } from './load.js';

const MiB = 2 ** 20;
const folder = rewardFolder(temporaryDir(), 'last', 'continuation');

async function serverMemory(url: string): Promise<{ rssBytes: number; heapUsedBytes: number }> {
  return ((await (await fetch(`${url}/health`)).json()) as { memory: { rssBytes: number; heapUsedBytes: number } }).memory;
}

describe('the reward server under load', () => {
  it('1,000 requests from 16 clients: no error, rewards as in-process, memory steady', async (t) => {
    const served = await spawnServe([folder, '--batch-size', '32']);
    const warmUp = await sendConcurrently(`${served.url}/get_reward`, openrlhfRequests(500, 2), 16);
    assert.deepEqual(warmUp.failures, []);
    const before = await serverMemory(served.url);

    const bodies = openrlhfRequests(1000);
    const load = await sendConcurrently(`${served.url}/get_reward`, bodies, 16);
    const after = await serverMemory(served.url);
    assert.deepEqual(load.failures, []);
    assert.deepEqual(load.answers.filter((a) => a.status !== 200), []);

    // Responses are scored alone (the reward reads the continuation); batches differ from in-process, so 1e-6.
    const reward = loadRewardFunction(folder, { batchSize: 32 });
    const responses = bodies.flatMap((b) => b.query.map((q, i) => q.slice(b.prompts[i]!.length)));
    const expected = reward.score(responses).scores;
    const served_ = load.answers.flatMap((a) => a.body.rewards as number[]);
    assert.equal(served_.length, expected.length);
    const worst = served_.reduce((m, r, i) => Math.max(m, Math.abs(r - expected[i]!)), 0);
    assert.ok(worst <= 1e-6, `max |served − in-process| = ${worst}`);

    const growth = { rss: (after.rssBytes - before.rssBytes) / MiB, heap: (after.heapUsedBytes - before.heapUsedBytes) / MiB };
    t.diagnostic(`${bodies.length} requests, ${responses.length} texts in ${load.seconds.toFixed(2)} s: ${(responses.length / load.seconds).toFixed(0)} texts/s; max |served − in-process| ${worst.toExponential(1)}`);
    t.diagnostic(`server memory after warm-up: rss ${(before.rssBytes / MiB).toFixed(1)} MiB, heap ${(before.heapUsedBytes / MiB).toFixed(1)} MiB; after: rss ${(after.rssBytes / MiB).toFixed(1)} MiB, heap ${(after.heapUsedBytes / MiB).toFixed(1)} MiB`);
    // Margins well above what one collection cycle leaves, far below what keeping every request would cost over 1,000.
    assert.ok(growth.rss <= 64, `rss grew by ${growth.rss.toFixed(1)} MiB`);
    assert.ok(growth.heap <= 32, `heap grew by ${growth.heap.toFixed(1)} MiB`);
    served.child.kill('SIGTERM');
    assert.equal(await served.exited, 0);
  });
});
