import assert from 'node:assert/strict';
import { test } from 'node:test';
import { canonicaliseByPrompt, epicDistance, MetricInputError, starcDistance } from '../../src/eval/index.js';

// Four prompts with 3, 2, 1 and 4 continuations; the expected values come from NumPy
// (np.corrcoef and np.linalg.norm on the per-prompt-centred vectors).
const a = [1, 2, 4, -1, 0.5, 3, 2, 2.5, 0, 1];
const b = [0.5, 1.5, 2, 0, 2, -7, 1, 3, -1, 0.5];
const prompts = ['p', 'p', 'p', 'q', 'q', 'r', 's', 's', 's', 's'];

test('canonicalising subtracts each prompt mean; a lone continuation becomes 0', () => {
  const expected = [-4 / 3, -1 / 3, 5 / 3, -0.75, 0.75, 0, 0.625, 1.125, -1.375, -0.375];
  canonicaliseByPrompt(a, prompts).forEach((v, i) => assert.ok(Math.abs(v - expected[i]!) < 1e-15, `text ${i}`));
  // A prompt with equal values becomes exactly zero, however the values round.
  assert.deepEqual(Array.from(canonicaliseByPrompt([0.1, 0.1, 0.1, 0.7], [0, 0, 0, 1])), [0, 0, 0, 0]);
});

test('EPIC and STARC distances on a hand-checked case', () => {
  assert.ok(Math.abs(epicDistance(a, b, prompts)! - 0.2706810342826373) < 1e-12);
  assert.ok(Math.abs(starcDistance(a, b, prompts) - 0.541362068565274) < 1e-12);
  assert.ok(Math.abs(epicDistance(a, a.map((v) => -v), prompts)! - 1) < 1e-12);
  assert.ok(Math.abs(starcDistance(a, a.map((v) => -v), prompts) - 2) < 1e-12);
});

test('a reward constant within every prompt: EPIC undefined, STARC per the paper', () => {
  const perPrompt = [5, 5, 5, -1, -1, 9, 0, 0, 0, 0];
  assert.equal(epicDistance(a, perPrompt, prompts), null);
  assert.ok(Math.abs(starcDistance(a, perPrompt, prompts) - 1) < 1e-15); // s(R) = 0 against a unit vector
  assert.equal(starcDistance(perPrompt, perPrompt.map((v) => 2 * v), prompts), 0);
});

test('group ids must match the texts', () => {
  assert.throws(() => epicDistance(a, b, prompts.slice(1)), MetricInputError);
  assert.throws(() => starcDistance(a, b.slice(1), prompts), MetricInputError);
});
