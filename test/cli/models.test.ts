/** `irlens inspect`, `generate`, `score` and `sft` on the fixtures, run as child processes. */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { readSafetensorsHeader } from '../../src/io/index.js';
import { generateText, type GenerationModel } from '../../src/models/generation.js';
import { loadModel } from '../../src/models/load.js';
import { Tokenizer } from '../../src/text/index.js';
import { fixture, readJson } from '../helpers/fixtures.js';
import { describeRun, irlens, startIrlens, temporaryDir } from './helpers.js';
import type { InspectResult } from '../../src/cli/commands/inspect.js';
import type { GenerateResult } from '../../src/cli/commands/generate.js';
import type { ScoreResult } from '../../src/cli/commands/score.js';
import type { SftResult } from '../../src/cli/commands/sft.js';

const gpt = fixture('gpt-neox-tiny');
const roberta = fixture('roberta-tiny-classifier');

describe('irlens inspect', () => {
  test('counts every stored weight, per module and in all, and describes config, tokenizer and files', async () => {
    const run = await irlens(['inspect', gpt, '--json']);
    assert.equal(run.code, 0, describeRun(run));
    const result = JSON.parse(run.stdout) as InspectResult;
    const entries = readSafetensorsHeader(join(gpt, 'model.safetensors')).entries;
    const stored = entries.reduce((sum, e) => sum + e.shape.reduce((a, b) => a * b, 1), 0);
    assert.equal(result.parameters.total, stored);
    assert.equal(result.parameters.tensors, entries.length);
    assert.equal(result.parameters.modules.reduce((sum, m) => sum + m.parameters, 0), stored);
    assert.deepEqual(result.parameters.modules.map((m) => m.name).sort(), ['embed_out', 'gpt_neox.embed_in', 'gpt_neox.final_layer_norm', 'gpt_neox.layers']);
    assert.equal(result.architecture, 'GPTNeoXForCausalLM');
    assert.equal(result.kind, 'causal-lm');
    assert.equal(result.modelType, 'gpt_neox');
    assert.deepEqual(result.weights, { format: 'safetensors', dtypes: { F32: stored }, dtypeSource: 'headers', files: ['model.safetensors'] });
    assert.deepEqual([result.config.layers, result.config.hiddenSize, result.config.heads, result.config.vocabSize], [2, 64, 4, 576]);
    assert.ok(result.tokenizer && !('error' in result.tokenizer));
    assert.equal(result.tokenizer.type, 'BPE');
    assert.deepEqual(result.tokenizer.eos, { id: 0, token: '<|endoftext|>' });
    assert.deepEqual(result.tokenizer.pad, { id: 1, token: '<|padding|>' });
    assert.ok(result.files.some((f) => f.name === 'tokenizer.json'));
  });
});

describe('irlens generate', () => {
  test('--greedy gives what the library gives, with token ids and log-probabilities in --json', async () => {
    const golden = readJson<{ prompts: string[] }>(join(gpt, 'golden.json'));
    const run = await irlens(['generate', gpt, '--greedy', '--max-new-tokens', '12', '--batch-size', '2', ...golden.prompts.flatMap((p) => ['--prompt', p]), '--json']);
    assert.equal(run.code, 0, describeRun(run));
    const result = JSON.parse(run.stdout) as GenerateResult;
    const { model } = loadModel(gpt);
    const expected = generateText(model as unknown as GenerationModel, Tokenizer.fromFolder(gpt), golden.prompts, { maxNewTokens: 12 });
    assert.equal(result.settings.mode, 'greedy');
    assert.deepEqual(result.results.map((r) => r.prompt), golden.prompts);
    assert.deepEqual(result.results.map((r) => r.tokenIds), expected.newTokens);
    assert.deepEqual(result.results.map((r) => r.text), expected.texts);
    result.results.forEach((r, i) => {
      assert.equal(r.logProbs.length, r.tokenIds.length);
      r.logProbs.forEach((lp, j) => assert.ok(Math.abs(lp - expected.logProbs[i]![j]!) < 1e-4 && lp <= 0));
    });
  });
});

describe('irlens score', () => {
  test('label probabilities sum to 1 and the reward is −logit[toxic], for texts from args and a JSONL file', async () => {
    const dir = temporaryDir();
    const file = join(dir, 'texts.jsonl');
    writeFileSync(file, `${JSON.stringify({ text: 'from the file' })}\n${JSON.stringify({ text: 'another one', label: 1 })}\n`);
    const run = await irlens(['score', roberta, 'you are kind', 'you are an idiot', '--file', file, '--json']);
    assert.equal(run.code, 0, describeRun(run));
    const result = JSON.parse(run.stdout) as ScoreResult;
    assert.equal(result.scorer.kind, 'classifier');
    assert.ok(result.scorer.kind === 'classifier' && result.scorer.label === 'toxic' && result.scorer.score === 'negative-logit');
    assert.deepEqual(result.results.map((r) => r.text), ['you are kind', 'you are an idiot', 'from the file', 'another one']);
    for (const r of result.results) {
      const p = r.probabilities!;
      assert.deepEqual(Object.keys(p), ['neutral', 'toxic']);
      assert.ok(Math.abs(p.neutral! + p.toxic! - 1) < 1e-5);
      assert.ok(Number.isFinite(r.score));
    }
  });
});

describe('irlens sft', () => {
  const writeTexts = (dir: string): string => {
    const data = join(dir, 'texts.txt');
    const words = 'the whale sea ship captain storm lamp night rocks keeper wrote log calm bright'.split(' ');
    writeFileSync(data, Array.from({ length: 40 }, (_, i) => Array.from({ length: 12 }, (_, j) => words[(i * 7 + j * 3) % words.length]).join(' ')).join('\n'));
    return data;
  };

  test('fine-tunes, saves a loadable Hugging Face folder, and a rerun of the same command has nothing to do', async () => {
    const dir = temporaryDir();
    const data = writeTexts(dir);
    const out = join(dir, 'model');
    const args = ['sft', gpt, '--data', data, '--out', out, '--steps', '3', '--batch-size', '2', '--block-size', '16', '--json'];
    const first = await irlens(args);
    assert.equal(first.code, 0, describeRun(first));
    const result = JSON.parse(first.stdout) as SftResult;
    assert.equal(result.status, 'trained');
    assert.equal(result.steps, 3);
    assert.ok(Number.isFinite(result.loss));
    for (const name of ['config.json', 'model.safetensors', 'tokenizer.json', 'sft.json']) assert.ok(existsSync(join(out, name)), name);
    assert.ok(!existsSync(`${out}.checkpoints`), 'the checkpoints are removed once the model is saved');
    loadModel(out);
    const again = await irlens(args);
    assert.equal(again.code, 0, describeRun(again));
    assert.equal((JSON.parse(again.stdout) as SftResult).status, 'up-to-date');
  });

  test('killed mid-training, the same command resumes from its last checkpoint and ends with the uninterrupted run\'s weights', async () => {
    const dir = temporaryDir();
    const data = writeTexts(dir);
    const args = (out: string) => ['sft', gpt, '--data', data, '--out', out, '--steps', '40', '--batch-size', '2', '--block-size', '16', '--checkpoint-every', '1', '--json'];
    const whole = await irlens(args(join(dir, 'whole')));
    assert.equal(whole.code, 0, describeRun(whole));

    const out = join(dir, 'killed');
    const { child, run } = startIrlens(args(out));
    let finished = false;
    void run.then(() => (finished = true), () => undefined);
    while (!existsSync(join(`${out}.checkpoints`, 'step-00000005'))) {
      if (finished) assert.fail('the run finished before it could be killed');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    child.kill('SIGKILL');
    await assert.rejects(run);
    assert.ok(!existsSync(join(out, 'sft.json')));

    const resumed = await irlens(args(out));
    assert.equal(resumed.code, 0, describeRun(resumed));
    assert.ok((JSON.parse(resumed.stdout) as SftResult).resumedFromStep! >= 5, resumed.stdout);
    assert.deepEqual(readFileSync(join(out, 'model.safetensors')), readFileSync(join(dir, 'whole', 'model.safetensors')));
  });
});
