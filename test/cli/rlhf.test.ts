import assert from 'node:assert/strict';
import { cpSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { loadModel } from '../../src/models/load.js';
import { describeRun, irlens, temporaryDir } from './helpers.js';

const TINY = ['--set', 'total_steps=2', '--set', 'num_rollouts=8', '--set', 'batch_size=8', '--set', 'chunk_size=8', '--set', 'max_new_tokens=6', '--set', 'max_prompt_tokens=20', '--set', 'ppo_epochs=1'];

describe('irlens rlhf', () => {
  const dir = temporaryDir();
  const run = join(dir, 'run');
  const policy = join(run, 'base-model', 'model');
  const classifier = join(run, 'ground-truth', 'model');
  const prompts = join(run, 'curate', 'curated.jsonl');
  before(async () => {
    const made = await irlens(['run', '--preset', 'demo-tiny', '--out', run, '--only', 'curate', '--only', 'base-model', '--only', 'ground-truth'], { timeoutMs: 240_000 });
    assert.equal(made.code, 0, describeRun(made));
  });

  it('trains a policy with PPO and saves it as a folder transformers can open, with the value head beside it', async () => {
    const out = join(dir, 'expert');
    const result = await irlens(['rlhf', policy, '--reward', classifier, '--prompts', prompts, '--out', out, ...TINY, '--json']);
    assert.equal(result.code, 0, describeRun(result));
    const summary = JSON.parse(result.stdout) as { steps: number; reward: { kind: string } };
    assert.equal(summary.steps, 2);
    assert.equal(summary.reward.kind, 'shaped');
    assert.equal(loadModel(join(out, 'policy')).architecture.name, 'GPTNeoXForCausalLM');
    assert.ok(existsSync(join(out, 'value_head', 'model.safetensors')));
    assert.ok(!existsSync(`${out}.checkpoints`), 'the checkpoints are removed once the policy is saved');
  });

  const userError = async (args: string[], message: RegExp) => {
    const result = await irlens(['rlhf', ...args]);
    assert.equal(result.code, 1, describeRun(result));
    assert.match(result.stderr, message);
    assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
  };

  it('refuses a reward model without the label it is told to penalise', async () => {
    await userError([policy, '--reward', classifier, '--label', 'insult', '--prompts', prompts, '--out', join(dir, 'x'), ...TINY], /insult/);
  });

  it('refuses prompts that with their responses exceed the policy context', async () => {
    await userError([policy, '--reward', classifier, '--prompts', prompts, '--out', join(dir, 'x'), ...TINY, '--set', 'max_prompt_tokens=4000'], /context of \d+ positions; lower max_prompt_tokens/);
  });

  it('refuses a policy folder without a tokenizer', async () => {
    const bare = join(dir, 'bare');
    cpSync(policy, bare, { recursive: true });
    rmSync(join(bare, 'tokenizer.json'));
    await userError([bare, '--reward', classifier, '--prompts', prompts, '--out', join(dir, 'x'), ...TINY], /no tokenizer\.json/);
  });

  it('refuses an unknown setting, naming it', async () => {
    await userError([policy, '--reward', classifier, '--prompts', prompts, '--out', join(dir, 'x'), '--set', 'clip_range=0.3'], /clip_range/);
    const config = join(dir, 'config.yaml');
    writeFileSync(config, 'rlhf:\n  learning_rate: 1e-5\n  kl_taget: 6\n');
    await userError([policy, '--reward', classifier, '--prompts', prompts, '--out', join(dir, 'x'), '--config', config], /kl_taget/);
  });

  it('an unknown key under rlhf in a run config is refused too', async () => {
    const result = await irlens(['run', '--preset', 'demo-tiny', '--out', run, '--set', 'rlhf.cliprange_rewards=3']);
    assert.equal(result.code, 1, describeRun(result));
    assert.match(result.stderr, /cliprange_rewards/);
    assert.ok(readFileSync(join(run, 'config.yaml'), 'utf8').length > 0);
  });
});
