/**
 * Which recovered rewards the reuse stage trains with: chosen on the validation split only, the
 * named variants and 'best', each variant once, the random head as the control.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PipelineError } from '../../src/pipeline/errors.js';
import { chooseRewards } from '../../src/pipeline/stages/index.js';

const run = (seed: number, spearman: number | null) => ({ seed, reward: `v/seed-${seed}/reward`, validation: { spearman } });
const irl = {
  rewardInput: 'prompt+continuation' as const,
  variants: [
    { name: 'paper', kind: 'preference' as const, trained: true, runs: [run(0, 0.1), run(1, 0.3), run(2, null)] },
    { name: 'distilled', kind: 'distilled' as const, trained: true, runs: [run(0, 0.5), run(1, 0.4)] },
    { name: 'log-ratio', kind: 'log-ratio' as const, trained: false, runs: [{ seed: null, reward: null, validation: { spearman: 0.9 } }] },
    { name: 'random-head', kind: 'random' as const, trained: false, runs: [run(0, 0), run(1, 0.2)] },
  ],
};

test("each variant's seed is the one that agrees best with the ground truth on validation; 'best' is the best trained variant", () => {
  const chosen = chooseRewards(irl, '/irl', { variants: ['paper', 'best'], control: true });
  assert.deepEqual(chosen.map((c) => [c.policy, c.kind, c.rewardSeed]), [['irl:paper', 'recovered', 1], ['irl:distilled', 'recovered', 0], ['control:random-head', 'control', 0]]);
  assert.equal(chosen[0]!.folder, '/irl/v/seed-1/reward');
  assert.match(chosen[1]!.chosenBy, /best trained variant by mean validation Spearman \(0\.450\)/);
});

test('where every run has a validation AUROC for the toxic texts, that chooses, not Spearman', () => {
  const judged = (seed: number, spearman: number, aurocContinuation: number | null) => ({ ...run(seed, spearman), validation: { spearman, spearmanContinuation: spearman, aurocContinuation } });
  const withAuroc = {
    ...irl,
    variants: [
      { name: 'probe', kind: 'distilled' as const, trained: true, runs: [judged(0, 0.3, 0.7), judged(1, 0.2, 0.8)] },
      { name: 'student', kind: 'distilled' as const, trained: true, runs: [judged(0, 0.1, 0.95), judged(1, 0.2, 0.9)] },
    ],
  };
  const [chosen] = chooseRewards(withAuroc, '/irl', { variants: ['best'], control: false });
  assert.deepEqual([chosen!.variant, chosen!.rewardSeed], ['student', 0]);
  assert.match(chosen!.chosenBy, /mean validation AUROC for its toxic texts \(0\.925\).*seed 0 of 2: the highest AUROC/);
  // One run without (its validation texts of one class): every run is chosen by Spearman.
  const oneWithout = { ...withAuroc, variants: [withAuroc.variants[0]!, { ...withAuroc.variants[1]!, runs: [judged(0, 0.1, null), judged(1, 0.2, 0.9)] }] };
  const [bySpearman] = chooseRewards(oneWithout, '/irl', { variants: ['best'], control: false });
  assert.deepEqual([bySpearman!.variant, bySpearman!.rewardSeed], ['probe', 0]);
  assert.match(bySpearman!.chosenBy, /mean validation Spearman/);
});

test("a variant named twice, or also chosen as 'best', trains once", () => {
  const chosen = chooseRewards(irl, '/irl', { variants: ['distilled', 'best', 'distilled'], control: false });
  assert.deepEqual(chosen.map((c) => c.policy), ['irl:distilled']);
});

test('a variant with no saved reward model, or a missing control, is refused with what to do', () => {
  assert.throws(() => chooseRewards(irl, '/irl', { variants: ['log-ratio'], control: false }), (error: unknown) => error instanceof PipelineError && /choose from paper, distilled or 'best'|choose from paper, distilled/.test(error.message));
  const withoutControl = { ...irl, variants: irl.variants.filter((v) => v.kind !== 'random') };
  assert.throws(() => chooseRewards(withoutControl, '/irl', { variants: ['paper'], control: true }), /reuse.control: false/);
});
