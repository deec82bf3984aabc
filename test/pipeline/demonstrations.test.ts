/**
 * The demonstrations stage's sampling: the test prompts may get more continuations than the
 * others, from their own streams, so the training and validation texts do not change with it.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Rng } from '../../src/nn/index.js';
import { PipelineError } from '../../src/pipeline/errors.js';
import { demonstrate, demonstrationsSchema, type DemonstrationSettings } from '../../src/pipeline/stages/demonstrations.js';
import { fixturesDir } from '../helpers/fixtures.js';

const folder = join(fixturesDir, 'gpt-neox-tiny');
const prompts = ['The sea was calm', 'Once upon a time there', 'You are such a', 'hello', 'Numbers: 1 2 3', 'A long road', 'Why', 'The weather today'].map((prompt, i) => ({ id: `p${i}`, prompt }));
const settings = (fields: Partial<DemonstrationSettings>): DemonstrationSettings => ({
  ...(demonstrationsSchema.default as DemonstrationSettings),
  max_prompts: prompts.length, samples_per_prompt: 2, max_new_tokens: 6, max_prompt_tokens: 16, validation_fraction: 0.25, test_fraction: 0.25, batch_size: 4, ...fields,
});
const run = (fields: Partial<DemonstrationSettings>) => demonstrate({ expert: { folder }, baselineFolder: folder, prompts, settings: settings(fields), rng: new Rng(3), seed: 3 });

describe('demonstrations with more continuations for the test prompts', () => {
  it('gives each test prompt test_samples_per_prompt continuations per model and leaves the other splits as they were', async () => {
    const [plain, more] = [await run({}), await run({ test_samples_per_prompt: 5 })];
    for (const line of more.lines) {
      const k = line.split === 'test' ? 5 : 2;
      assert.equal(line.expert.length, k, `${line.id} (${line.split}), expert`);
      assert.equal(line.baseline.length, k, `${line.id} (${line.split}), baseline`);
    }
    const ids = (result: typeof plain, split: string) => result.lines.filter((l) => l.split === split).map((l) => [l.expert, l.baseline].map((side) => side.map((c) => c.ids)));
    for (const split of ['train', 'validation']) assert.deepEqual(ids(more, split), ids(plain, split), split);
    // The first two continuations of a test prompt are those it had before; the rest are new draws.
    assert.deepEqual(ids(more, 'test').map((sides) => sides.map((side) => side.slice(0, 2))), ids(plain, 'test'));
    assert.equal(more.summary.testSamplesPerPrompt, 5);
    assert.equal(more.summary.continuations.expert.texts, 2 * 6 + 5 * 2);
  });

  it('refuses fewer continuations for the test prompts than for the others', async () => {
    await assert.rejects(run({ test_samples_per_prompt: 1 }), (error: Error) => error instanceof PipelineError && /test_samples_per_prompt \(1\) is below samples_per_prompt \(2\)/.test(error.message));
  });
});
