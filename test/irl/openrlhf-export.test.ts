/**
 * A recovered reward folder as OpenRLHF v0.11.0 reads one (openrlhf/models/model.py,
 * get_llm_for_sequence_regression; openrlhf/cli/serve_rm.py): the config.json fields and weight
 * names it relies on, and — with a Python that has torch and transformers — its computation
 * (left padding, positions over real tokens, the head at the last real token) giving irlens's
 * 'last'-pooling rewards.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { RewardModel, loadRewardFunction, saveRewardModel } from '../../src/irl/index.js';
import { readSafetensorsHeader } from '../../src/io/index.js';
import type { GPTNeoXForCausalLM } from '../../src/models/gpt-neox.js';
import { loadModel } from '../../src/models/load.js';
import { Rng } from '../../src/nn/index.js';
import { Tokenizer } from '../../src/text/index.js';
import { fixture, projectRoot } from '../helpers/fixtures.js';
import { runPythonScript } from '../helpers/python.js';

const FIXTURE = fixture('gpt-neox-tiny');
const TEXTS = ['the cat sat on the mat', 'hello', 'a much longer sentence, with some punctuation in it!', 'be kind<|endoftext|>'];
const dir = mkdtempSync(join(tmpdir(), 'irlens-openrlhf-export-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const lm = loadModel(FIXTURE).model as GPTNeoXForCausalLM;
const folder = join(dir, 'reward');
saveRewardModel(RewardModel.fromCausalLM(lm, { pooling: 'last', rng: new Rng(21), padTokenId: 1 }), folder, { tokenizerFrom: FIXTURE, rewardInput: 'prompt+continuation' });
const config = JSON.parse(readFileSync(join(folder, 'config.json'), 'utf8')) as Record<string, unknown>;

describe('a recovered reward folder, as OpenRLHF reads it', () => {
  it('config.json: the model type its AutoModel body comes from, the head named "score", no normalisation constants', () => {
    assert.equal(config.model_type, 'gpt_neox', 'AutoModel maps gpt_neox to GPTNeoXModel, whose base_model_prefix is gpt_neox');
    assert.equal(config.value_head_prefix, 'score', 'OpenRLHF takes the head name from config.json before its flag');
    assert.equal(typeof config.hidden_size, 'number', 'the head is Linear(hidden_size, 1)');
    // OpenRLHF's --normalize_reward divides by config.json's mean and std; without them it changes nothing.
    assert.ok(!('mean' in config) && !('std' in config));
    assert.equal(config.irlens_pooling, 'last');
    assert.ok(existsSync(join(folder, 'tokenizer.json')) && existsSync(join(folder, 'tokenizer_config.json')), 'AutoTokenizer loads from the folder');
  });

  it('weights: the body under gpt_neox., the head as score.weight [1, hidden_size] without a bias', () => {
    const { entries } = readSafetensorsHeader(join(folder, 'model.safetensors'));
    assert.deepEqual(entries.map((e) => e.name).filter((name) => !name.startsWith('gpt_neox.') && name !== 'score.weight'), []);
    assert.deepEqual(entries.find((e) => e.name === 'score.weight')?.shape, [1, config.hidden_size]);
  });

  it("OpenRLHF's computation of the folder gives irlens's rewards", (t) => {
    const result = runPythonScript(join(projectRoot, 'test', 'python', 'load_as_openrlhf_reward.py'), { folder, texts: TEXTS });
    if ('skip' in result) return void t.skip(result.skip);
    const answer = JSON.parse(result.stdout) as { head: string; rewards: number[]; normalized: number[]; input_ids: number[][]; missing_keys: string[]; unexpected_keys: string[] };
    assert.equal(answer.head, 'score');
    assert.deepEqual([answer.missing_keys, answer.unexpected_keys], [[], []], 'every weight loads into OpenRLHF\'s model, none left over');
    const tokenizer = Tokenizer.fromFolder(folder);
    assert.deepEqual(answer.input_ids, TEXTS.map((text) => tokenizer.encode(text)), 'the same tokens (GPT-NeoX adds no special tokens)');
    const irlens = loadRewardFunction(folder).score(TEXTS).scores;
    const worst = irlens.reduce((m, r, i) => Math.max(m, Math.abs(r - answer.rewards[i]!)), 0);
    t.diagnostic(`max |OpenRLHF's computation − irlens| = ${worst.toExponential(2)} (float32)`);
    assert.ok(worst <= 1e-5);
    assert.deepEqual(answer.normalized, answer.rewards, '--normalize_reward leaves them as they are');
  });
});
