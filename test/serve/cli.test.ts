import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { describe, it } from 'node:test';
import { loadRewardFunction } from '../../src/irl/index.js';
import { describeRun, irlens } from '../cli/helpers.js';
import { CLASSIFIER_FIXTURE, LM_FIXTURE, post, rewardFolder, spawnServe, temporaryDir } from './helpers.js';

const dir = temporaryDir();
const folder = rewardFolder(dir, 'mean', 'continuation');

describe('irlens serve', () => {
  it('serves a recovered reward as its config.json says (pooling, reward input) and stops cleanly on SIGTERM', async () => {
    const served = await spawnServe([folder]);
    const health = await (await fetch(`${served.url}/health`)).json() as { reward: Record<string, unknown> };
    assert.deepEqual(health.reward, { name: 'recovered(mean)', input: 'continuation', shaped: false, kind: 'recovered-reward', folder, pooling: 'mean' });
    const answer = await post(`${served.url}/get_reward`, { query: ['Hello there, friend'], prompts: ['Hello'], labels: [''] });
    assert.deepEqual(answer.body.rewards, loadRewardFunction(folder).score([' there, friend']).scores);
    served.child.kill('SIGTERM');
    assert.equal(await served.exited, 0, served.stderr());
    assert.match(served.stderr(), /SIGTERM: answering the requests in flight[\s\S]*stopped/);
  });

  it('serves a classifier as the reward of a label, read over the whole query', async () => {
    const served = await spawnServe([CLASSIFIER_FIXTURE, '--label', 'toxic', '--score', 'negative-probability']);
    const health = await (await fetch(`${served.url}/health`)).json() as { reward: Record<string, unknown> };
    assert.deepEqual(health.reward, { name: 'classifier(toxic, negative-probability)', input: 'prompt+continuation', shaped: false, kind: 'classifier', folder: CLASSIFIER_FIXTURE, label: 'toxic', score: 'negative-probability' });
    const answer = await post(`${served.url}/get_reward`, { query: ['you are lovely'] });
    assert.ok(answer.body.rewards[0] <= 0 && answer.body.rewards[0] >= -1, 'a negative probability');
    served.child.kill('SIGINT');
    assert.equal(await served.exited, 0, served.stderr());
  });

  it('refuses what it cannot serve with exit 1 and a message', async () => {
    const cases: Array<[string[], RegExp]> = [
      [[folder, '--label', 'toxic'], /is a recovered reward \(one output\); --label and --score are for classifiers/],
      [[LM_FIXTURE], /is a GPTNeoXForCausalLM, not a sequence classifier/],
      [[dir], /has no config\.json/],
    ];
    const runs = await Promise.all(cases.map(([args]) => irlens(['serve', ...args, '--port', '0'])));
    runs.forEach((run, i) => {
      assert.equal(run.code, 1, describeRun(run));
      assert.match(run.stderr, cases[i]![1]);
    });
  });

  it('a port in use: exit 1 saying to choose another', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const { port } = taken.address() as { port: number };
    try {
      const run = await irlens(['serve', folder, '--port', String(port)]);
      assert.equal(run.code, 1, describeRun(run));
      assert.match(run.stderr, /cannot listen on 127\.0\.0\.1:\d+ \(EADDRINUSE\); choose another --port/);
    } finally {
      taken.close();
    }
  });
});
