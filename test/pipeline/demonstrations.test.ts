/**
 * The demonstrations stage's sampling: the test prompts get their own number of continuations,
 * from their own streams, so neither the test texts nor the others change with the other's count.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Rng } from '../../src/nn/index.js';
import { demonstrate, demonstrationsSchema, type DemonstrationSettings } from '../../src/pipeline/stages/demonstrations.js';
import { fixturesDir } from '../helpers/fixtures.js';

const folder = join(fixturesDir, 'gpt-neox-tiny');
const prompts = ['The sea was calm', 'Once upon a time there', 'You are such a', 'hello', 'Numbers: 1 2 3', 'A long road', 'Why', 'The weather today'].map((prompt, i) => ({ id: `p${i}`, prompt }));
const settings = (fields: Partial<DemonstrationSettings>): DemonstrationSettings => ({
  ...(demonstrationsSchema.default as DemonstrationSettings),
  max_prompts: prompts.length, samples_per_prompt: 2, max_new_tokens: 6, max_prompt_tokens: 16, validation_fraction: 0.25, test_fraction: 0.25, batch_size: 4, ...fields,
});
const run = (fields: Partial<DemonstrationSettings>) => demonstrate({ expert: { folder }, baselineFolder: folder, prompts, settings: settings(fields), rng: new Rng(3), seed: 3 });

describe('demonstrations with their own number of continuations for the test prompts', () => {
  it('gives each test prompt test_samples_per_prompt continuations per model and leaves the other splits as they were', async () => {
    const [plain, more] = [await run({}), await run({ test_samples_per_prompt: 5 })];
    for (const line of more.lines) {
      const k = line.split === 'test' ? 5 : 2;
      assert.equal(line.expert.length, k, `${line.id} (${line.split}), expert`);
      assert.equal(line.baseline.length, k, `${line.id} (${line.split}), baseline`);
    }
    for (const split of ['train', 'validation']) assert.deepEqual(ids(more, split), ids(plain, split), split);
    assert.equal(more.summary.testSamplesPerPrompt, 5);
    assert.equal(more.summary.continuations.expert.texts, 2 * 6 + 5 * 2);
  });

  it('keeps the test texts whatever the other splits are sampled with, fewer or more', async () => {
    const [plain, fewer, more] = [await run({}), await run({ samples_per_prompt: 1, test_samples_per_prompt: 2 }), await run({ samples_per_prompt: 4, test_samples_per_prompt: 2 })];
    assert.deepEqual(ids(fewer, 'test'), ids(plain, 'test'));
    assert.deepEqual(ids(more, 'test'), ids(plain, 'test'));
    for (const line of fewer.lines.filter((l) => l.split !== 'test')) assert.equal(line.expert.length, 1);
  });
});

const ids = (result: Awaited<ReturnType<typeof run>>, split: string) => result.lines.filter((l) => l.split === split).map((l) => [l.expert, l.baseline].map((side) => side.map((c) => c.ids)));
