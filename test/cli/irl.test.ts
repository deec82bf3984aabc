/**
 * `irlens irl` and `irlens evaluate` as a user runs them, on a demo-tiny run built once: IRL from
 * an expert and its baseline into reward folders, one of them evaluated against the ground truth,
 * and the mistakes a user can make refused with a clear message (exit 1).
 */
import assert from 'node:assert/strict';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { loadRewardFunction } from '../../src/irl/save.js';
import { GPTNeoXForCausalLM } from '../../src/models/gpt-neox.js';
import { loadModel } from '../../src/models/load.js';
import { saveModel } from '../../src/models/save.js';
import { GPTNeoXForSequenceClassification } from '../../src/models/sequence-classification.js';
import { Rng } from '../../src/nn/index.js';
import { describeRun, irlens, temporaryDir } from './helpers.js';

// Two variants (a probe and the closed form) and tiny sampling keep each command to seconds.
const TINY = [
  '--set', 'demonstrations.max_prompts=12', '--set', 'demonstrations.max_new_tokens=6', '--set', 'demonstrations.max_prompt_tokens=20',
  '--set', 'irl.epochs=2', '--set', 'irl.variants=[{name: probe-last, mode: probe}, {name: log-ratio, kind: log-ratio}]',
];

describe('irlens irl and irlens evaluate', () => {
  const dir = temporaryDir();
  const run = join(dir, 'run');
  const expert = join(run, 'rlhf', 'seed-0', 'policy');
  const baseline = join(run, 'base-model', 'model');
  const classifier = join(run, 'ground-truth', 'model');
  const prompts = join(run, 'curate', 'curated.jsonl');
  const out = join(dir, 'irl');
  before(async () => {
    const made = await irlens(['run', '--preset', 'demo-tiny', '--out', run, '--only', 'rlhf', '--set', 'rlhf.max_prompt_tokens=20'], { timeoutMs: 240_000 });
    assert.equal(made.code, 0, describeRun(made));
  });

  it('recovers a reward per variant and seed, saved as folders that load as rewards', async () => {
    const result = await irlens(['irl', '--expert', expert, '--baseline', baseline, '--prompts', prompts, '--out', out, '--ground-truth', classifier, '--seeds', '2', ...TINY, '--json']);
    assert.equal(result.code, 0, describeRun(result));
    const summary = JSON.parse(result.stdout) as { seeds: number; variants: { name: string; seeded: boolean; runs: { seed: number | null; reward: string | null }[] }[] };
    assert.deepEqual(summary.variants.map((v) => [v.name, v.runs.length, v.seeded]), [['probe-last', 2, true], ['log-ratio', 1, false]]);
    assert.equal(summary.variants[1]!.runs[0]!.reward, null, 'the closed form has no model of its own');
    const reward = loadRewardFunction(join(out, summary.variants[0]!.runs[1]!.reward!));
    assert.equal(reward.score(['a calm sea']).scores.length, 1);
    assert.ok(readFileSync(join(out, 'demonstrations.jsonl'), 'utf8').includes('"groundTruth"'));
  });

  it('evaluates a recovered reward against the ground truth on a file of texts', async () => {
    const texts = join(dir, 'texts.jsonl');
    const lines = readFileSync(join(out, 'demonstrations.jsonl'), 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { prompt: string; expert: { text: string }[]; baseline: { text: string }[] });
    writeFileSync(texts, lines.flatMap((l) => [...l.expert, ...l.baseline].map((c, i) => `${JSON.stringify({ prompt: l.prompt, continuation: c.text, label: i % 2 })}\n`)).join(''));
    const result = await irlens(['evaluate', join(out, 'probe-last', 'seed-0', 'reward'), '--ground-truth', classifier, '--texts', texts, '--bootstrap', '20', '--json']);
    assert.equal(result.code, 0, describeRun(result));
    const summary = JSON.parse(result.stdout) as { texts: number; agreement: Record<string, unknown>; labels: { groundTruth: { accuracy: number } } | null };
    assert.equal(summary.texts, lines.length * 4);
    for (const key of ['accuracy', 'f1', 'auroc', 'pairwiseAccuracy', 'pearson', 'spearman', 'kendall', 'cosine', 'euclidean', 'standardisedEuclidean', 'epic', 'starc', 'intervals']) {
      assert.ok(key in summary.agreement, key);
    }
    assert.notEqual(summary.agreement.epic, null, 'texts with prompts are grouped by prompt');
    assert.ok(summary.labels !== null && summary.labels.groundTruth.accuracy >= 0);
  });

  const userError = async (args: string[], message: RegExp) => {
    const result = await irlens(args);
    assert.equal(result.code, 1, describeRun(result));
    assert.match(result.stderr, message);
    assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
  };

  it('refuses an expert and a baseline with different tokenizers', async () => {
    const other = join(dir, 'other-tokenizer');
    cpSync(expert, other, { recursive: true });
    const file = join(other, 'tokenizer.json');
    const tokenizer = JSON.parse(readFileSync(file, 'utf8')) as { model: { vocab: Record<string, number> } };
    // Renaming the newest token (no merge builds on it) changes what its id means.
    const [newest, id] = Object.entries(tokenizer.model.vocab).sort((a, b) => b[1] - a[1])[0]!;
    delete tokenizer.model.vocab[newest];
    tokenizer.model.vocab[`${newest}~`] = id;
    writeFileSync(file, JSON.stringify(tokenizer));
    await userError(['irl', '--expert', other, '--baseline', baseline, '--prompts', prompts, '--out', join(dir, 'x'), ...TINY], /tokenizer .* differs from the baseline's/);
  });

  it('refuses too few prompts for the train, validation and test splits', async () => {
    const few = join(dir, 'few.jsonl');
    writeFileSync(few, '{"prompt": "Call me Ishmael."}\n{"prompt": "The sea was calm."}\n');
    await userError(['irl', '--expert', expert, '--baseline', baseline, '--prompts', few, '--out', join(dir, 'x'), ...TINY], /2 prompts cannot be split/);
  });

  it('refuses two variants with the same name (they would share a folder)', async () => {
    await userError(['irl', '--expert', expert, '--baseline', baseline, '--prompts', prompts, '--out', join(dir, 'x'), ...TINY, '--set', 'irl.variants=[{name: a}, {name: a, mode: probe}]'], /two irl variants are named 'a'/);
  });

  it('refuses a log-ratio pooled in a way it has no meaning for', async () => {
    await userError(['irl', '--expert', expert, '--baseline', baseline, '--prompts', prompts, '--out', join(dir, 'x'), ...TINY, '--set', 'irl.variants=[{name: lr, kind: log-ratio, pooling: mean}]'], /irl variant 'lr': a log-ratio sums .* pooling mean has no meaning/);
  });

  it('refuses a seed count of 0', async () => {
    await userError(['irl', '--expert', expert, '--baseline', baseline, '--prompts', prompts, '--out', join(dir, 'x'), '--seeds', '0'], /irl\.seeds.*got 0/);
  });

  it('refuses to evaluate a classifier with more than one output as a reward', async () => {
    const twoLabels = join(dir, 'two-labels');
    const lm = loadModel(baseline).model as GPTNeoXForCausalLM;
    const model = GPTNeoXForSequenceClassification.fromCausalLM(lm, { numLabels: 2, rng: new Rng(0) });
    saveModel(model, model.config, twoLabels, { tokenizerFrom: baseline });
    await userError(['evaluate', twoLabels, '--ground-truth', classifier, '--texts', prompts], /num_labels 2/);
  });
});
