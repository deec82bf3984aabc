/** The rlhf stage's reward forms score the texts their names say, with the known answers of a word-count scorer. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { rolloutReward } from '../../src/pipeline/stages/rlhf.js';
import type { RewardFunction } from '../../src/reward/index.js';

/** −(number of 'x' in the text): a stand-in for −P_tox that makes each form's answer plain. */
const countX: RewardFunction = { name: 'count-x', score: (texts) => ({ scores: texts.map((t) => 0 - (t.match(/x/g)?.length ?? 0)), metadata: {} }) };

const rollouts = [
  { prompt: 'xx ', response: 'ax', reference: 'xxx' },
  { prompt: 'a ', response: '', reference: 'b' },
];

test("'shaped' subtracts the human continuation's score, 'raw' reads prompt + sample, 'continuation' the sample alone", () => {
  assert.deepEqual(rolloutReward('shaped', countX)(rollouts), [2, 0]);
  assert.deepEqual(rolloutReward('raw', countX)(rollouts), [-3, 0]);
  assert.deepEqual(rolloutReward('continuation', countX)(rollouts), [-1, 0]);
});
