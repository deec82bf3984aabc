// The irl stage's variant settings: `targets` defaults to 'text' (every variant as before), takes
// 'token' for a distilled variant with a token pooling, and is refused elsewhere before any model
// is loaded, with a message that says what to set instead.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { IrlOptionsError } from '../../src/irl/index.js';
import { Rng } from '../../src/nn/index.js';
import { validateAgainst, type ConfigIssue } from '../../src/pipeline/index.js';
import { DEFAULT_VARIANTS, irlSchema, recoverRewards, rewardInputOf, type IrlSettings } from '../../src/pipeline/stages/index.js';
import { temporaryDir } from './helpers.js';

function settingsOf(variants: Record<string, unknown>[]): { settings: IrlSettings; issues: ConfigIssue[] } {
  const issues: ConfigIssue[] = [];
  const settings = validateAgainst(irlSchema, { variants }, issues) as IrlSettings;
  return { settings, issues };
}

/** recoverRewards on settings alone: the variants are checked before the (absent) models are read. */
const recover = (settings: IrlSettings) =>
  recoverRewards({ settings, lines: [], baseFolder: '/nonexistent/base', expert: { folder: '/nonexistent/expert' }, beta: 0.1, worldDir: null, rng: new Rng(0), outDir: temporaryDir(), log: () => {} });

describe("irl variants' targets", () => {
  it("default to 'text', and take 'token' for a distilled token-pooling variant", () => {
    const { settings, issues } = settingsOf([{ name: 'a', kind: 'distilled', pooling: 'token-sum' }, { name: 'b', kind: 'distilled', pooling: 'token-min', mode: 'probe', targets: 'token', learning_rate: 1e-3 }]);
    assert.deepEqual(issues, []);
    assert.deepEqual(settings.variants.map((v) => v.targets), ['text', 'token']);
    assert.deepEqual(settings.variants.map((v) => v.learning_rate), [null, 1e-3], "null: the irl section's learning rate");
    assert.ok(DEFAULT_VARIANTS.some((v) => v.targets === 'token'), 'a dense variant is among the defaults');
    assert.ok(DEFAULT_VARIANTS.filter((v) => v.targets === 'text').every((v) => v.learning_rate === null), 'the other defaults keep the section\'s learning rates');
  });

  it('name the values they take when given another', () => {
    const { issues } = settingsOf([{ name: 'a', kind: 'distilled', pooling: 'token-sum', targets: 'tokens' }]);
    assert.equal(issues.length, 1);
    assert.match(issues[0]!.message, /did you mean 'token'/);
  });

  it("are refused as 'token' with a pooling that scores whole texts, or on a variant that is not distilled", async () => {
    const last = settingsOf([{ name: 'dense-last', kind: 'distilled', pooling: 'last', targets: 'token' }]).settings;
    await assert.rejects(recover(last), (error: Error) => error instanceof IrlOptionsError && /dense-last/.test(error.message) && /token-sum/.test(error.message));
    const preference = settingsOf([{ name: 'dense-preference', pooling: 'token-sum', targets: 'token' }]).settings;
    await assert.rejects(recover(preference), (error: Error) => error instanceof IrlOptionsError && /kind 'distilled'/.test(error.message));
  });
});

describe("irl variants' reward input", () => {
  it("defaults to the section's, may be a variant's own, and is one of the two inputs", () => {
    const { settings, issues } = settingsOf([{ name: 'a' }, { name: 'b', reward_input: 'continuation' }]);
    assert.deepEqual(issues, []);
    assert.deepEqual(settings.variants.map((v) => rewardInputOf(v, settings)), ['prompt+continuation', 'continuation']);
    assert.equal(rewardInputOf(settings.variants[0]!, { reward_input: 'continuation' }), 'continuation');
    assert.equal(DEFAULT_VARIANTS[0]!.reward_input, 'prompt+continuation', "the paper's variant reads what the paper's did");
    assert.match(settingsOf([{ name: 'a', reward_input: 'prompt' }]).issues[0]!.message, /'prompt\+continuation'/);
  });
});
