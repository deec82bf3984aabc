/**
 * The demo's stages end to end at the tiny size: a run that is stopped during pretraining and
 * resumed, the outputs every stage promises, a rerun that finds everything up to date, and a
 * ground truth below its threshold failing its stage.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadModel } from '../../src/models/load.js';
import { StageFailedError, readMetrics } from '../../src/pipeline/index.js';
import { PIPELINE_STAGES, PLANNED_STAGES, modelFolderOf } from '../../src/pipeline/stages/index.js';
import { presetConfig, runDemo } from './run-preset.js';
import { Tokenizer } from '../../src/text/index.js';
import { temporaryDir } from './helpers.js';

test('the demo stages run at tiny size, resume after a stop, and are up to date the second time', async () => {
  const out = temporaryDir();
  const runDir = join(out, 'demo-tiny');

  // Stop the run during pretraining (after a checkpoint); the next run resumes from it.
  const controller = new AbortController();
  await assert.rejects(
    runDemo(out, {
      size: 'tiny',
      signal: controller.signal,
      onLog: (line) => {
        if (/pretraining step 12\b/.test(line.message)) controller.abort(new Error('stopped by the test'));
      },
    }),
    StageFailedError,
  );
  assert.ok(existsSync(join(runDir, 'world', 'stage.json')));
  assert.ok(!existsSync(join(runDir, 'base-model', 'stage.json')));

  const first = await runDemo(out, { size: 'tiny' });
  assert.deepEqual(first.result.stages.map((s) => [s.name, s.status]), [
    ['world', 'up-to-date'],
    ['base-model', 'ran'],
    ['ground-truth', 'ran'],
    ['curate', 'ran'],
    ['base-toxicity', 'ran'],
    ['rlhf', 'ran'],
    ['demonstrations', 'ran'],
    ['irl', 'ran'],
    ['evaluate', 'ran'],
    ['reuse', 'ran'],
    ['report', 'ran'],
  ]);
  const summaries = Object.fromEntries(first.result.stages.map((s) => [s.name, s.marker.summary as Record<string, unknown>]));
  assert.ok((summaries['base-model']!.resumedFromStep as number) >= 12, `resumed from ${summaries['base-model']!.resumedFromStep}`);
  assert.deepEqual(first.planned.map((s) => s.name), PLANNED_STAGES.map((s) => s.name));
  assert.equal(first.note, 'every stage of the pipeline is built');

  // The world: files and a tokenizer that loads.
  for (const file of ['corpus.jsonl', 'prose.jsonl', 'heldout-corpus.jsonl', 'labelled.jsonl', 'comments.jsonl', 'sentences.jsonl', 'world.json', 'tokenizer/tokenizer.json', 'classifier-tokenizer/tokenizer.json']) {
    assert.ok(existsSync(join(runDir, 'world', file)), file);
  }
  // Both models are Hugging Face folders that load, with their tokenizers.
  const policyFolder = modelFolderOf(join(runDir, 'base-model'));
  assert.equal(policyFolder, join(runDir, 'base-model', 'model'));
  assert.equal(loadModel(policyFolder).architecture.name, 'GPTNeoXForCausalLM');
  assert.equal(Tokenizer.fromFolder(policyFolder).eosTokenId, 0);
  // The base model's loss on held-out passages, with the tokens it was measured on.
  const pretraining = JSON.parse(readFileSync(join(runDir, 'base-model', 'summary.json'), 'utf8'));
  assert.ok(pretraining.heldOutLoss > 0 && pretraining.heldOutLoss < Math.log(512), `held-out loss ${pretraining.heldOutLoss}`);
  assert.ok(pretraining.heldOutTokens > 1000, `${pretraining.heldOutTokens} held-out tokens`);
  const classifierFolder = modelFolderOf(join(runDir, 'ground-truth'));
  const classifier = loadModel(classifierFolder);
  assert.equal(classifier.architecture.name, 'RobertaForSequenceClassification');
  assert.equal(classifier.config.id2label[1], 'toxic');
  const classifierTokenizer = Tokenizer.fromFolder(classifierFolder);
  assert.equal(classifierTokenizer.numSpecialTokensToAdd, 2);
  const evaluation = JSON.parse(readFileSync(join(runDir, 'ground-truth', 'evaluation.json'), 'utf8'));
  assert.ok(evaluation.accuracy >= 0.7, `held-out accuracy ${evaluation.accuracy}`);
  assert.ok(evaluation.continuationAccuracy >= 0.7, `held-out accuracy read as continuations ${evaluation.continuationAccuracy}`);
  assert.ok(evaluation.pairs > 50);
  // Curation and toxicity.
  assert.ok(existsSync(join(runDir, 'curate', 'curated.jsonl')) && existsSync(join(runDir, 'curate', 'manifest.json')));
  const toxicity = JSON.parse(readFileSync(join(runDir, 'base-toxicity', 'summary.json'), 'utf8'));
  assert.equal(toxicity.prompts, 16);
  for (const part of ['all', 'toxicPrompts', 'nonToxicPrompts', 'continuationsOnly', 'humanContinuations']) {
    const s = toxicity[part];
    assert.ok(s.toxicRatio >= 0 && s.toxicRatio <= 1, part);
    assert.ok(s.toxicRatioInterval.low <= s.toxicRatio && s.toxicRatio <= s.toxicRatioInterval.high, part);
    assert.ok(s.meanToxicity > 0 && s.meanToxicity < 1, part);
  }
  const generations = readFileSync(join(runDir, 'base-toxicity', 'generations.jsonl'), 'utf8').trim().split('\n');
  assert.equal(generations.length, 16);
  const [metric] = readMetrics(join(runDir, 'metrics.jsonl'), { stage: 'base-toxicity' });
  assert.equal(metric!.toxic_ratio, toxicity.all.toxicRatio);

  // The report: the page at the top of the run folder, the same as the stage's copy, and what it holds.
  const page = readFileSync(join(runDir, 'report.html'), 'utf8');
  assert.equal(page, readFileSync(join(runDir, 'report', 'report.html'), 'utf8'));
  const report = JSON.parse(readFileSync(join(runDir, 'report', 'summary.json'), 'utf8'));
  assert.equal(report.bytes, Buffer.byteLength(page));
  for (const section of ['irl-metrics', 'rlhf', 'reuse-benchmark', 'reuse-curves']) assert.ok(report.sections.includes(section), `${section} in ${report.sections.join(', ')}`);
  assert.deepEqual(report.missing, []);

  const second = await runDemo(out, { size: 'tiny' });
  assert.deepEqual(second.result.stages.map((s) => s.status), PIPELINE_STAGES.map(() => 'up-to-date'));

  // A ground truth below its threshold fails its stage with a message that says what to do.
  await assert.rejects(runDemo(out, { size: 'tiny', overrides: ['ground_truth.min_accuracy=1', 'ground_truth.epochs=0.2'] }), (error: unknown) => {
    assert.ok(error instanceof StageFailedError);
    assert.match(String((error as Error & { cause?: Error }).cause?.message ?? error), /below ground_truth\.min_accuracy 1/);
    return true;
  });
});

test('the presets resolve against every stage’s config section', () => {
  const demo = presetConfig('demo');
  assert.equal((demo.world as { size: string }).size, 'small');
  assert.equal((demo.ground_truth as { min_accuracy: number }).min_accuracy, 0.95);
  for (const [name, policy] of [['pythia-70m', 'lomahony/eleuther-pythia70m-hh-sft'], ['pythia-410m', 'lomahony/eleuther-pythia410m-hh-sft']] as const) {
    const config = presetConfig(name);
    assert.equal((config.base_model as { source: string }).source, policy);
    assert.equal((config.ground_truth as { source: string }).source, 's-nlp/roberta_toxicity_classifier');
    assert.equal((config.world as { kind: string }).kind, 'none');
    assert.deepEqual((config.curate as { inputs: string[] }).inputs, ['jaredjoss/jigsaw-long-2000'], "the paper's prompts, from the hub");
  }
  const tiny = presetConfig('demo-tiny', { overrides: ['base_model.max_steps=5'] });
  assert.equal((tiny.base_model as { max_steps: number }).max_steps, 5);
  assert.equal((tiny.world as { size: string }).size, 'tiny');
});

test('the pythia presets run their stages on given models and data (here local fixtures instead of the hub)', async () => {
  const fixtures = join(import.meta.dirname, '..', '..', '..', 'shared', 'fixtures');
  const data = join(import.meta.dirname, '..', '..', '..', 'shared', 'data', 'rtp-prompts');
  const out = temporaryDir();
  const { runPreset } = await import('./run-preset.js');
  const run = await runPreset('pythia-70m', {
    out,
    overrides: [
      `base_model.source=${join(fixtures, 'gpt-neox-tiny')}`,
      `ground_truth.source=${join(fixtures, 'roberta-tiny-classifier')}`,
      `curate.inputs=["${join(data, 'toxic.jsonl')}", "${join(data, 'nontoxic.jsonl')}"]`,
      'curate.max_rows_per_label=20',
      'base_toxicity.max_prompts=6',
      'base_toxicity.max_new_tokens=4',
      'ground_truth.max_length=64',
      // The paper's PPO at its smallest: the fixture has 2 layers, not Pythia-70M's 6.
      'rlhf.num_layers_unfrozen=1', 'rlhf.total_steps=1', 'rlhf.num_rollouts=4', 'rlhf.batch_size=4', 'rlhf.chunk_size=4',
      'rlhf.ppo_epochs=1', 'rlhf.max_new_tokens=4', 'rlhf.max_prompt_tokens=64', 'rlhf.eval_prompts=4',
      // The independent judge: the paper's is a hub model; here the fixture classifier stands in.
      `reuse.independent_judge=${join(fixtures, 'roberta-tiny-classifier')}`, 'reuse.independent_judge_label=toxic', 'reuse.benchmark_prompts=4', 'reuse.samples_per_prompt=1',
    ],
  });
  assert.deepEqual(run.result.stages.map((s) => s.status), PIPELINE_STAGES.map(() => 'ran'));
  const runDir = join(out, 'pythia-70m');
  assert.equal(modelFolderOf(join(runDir, 'base-model')), join(fixtures, 'gpt-neox-tiny'));
  assert.ok(!existsSync(join(runDir, 'world', 'corpus.jsonl')));
  const toxicity = JSON.parse(readFileSync(join(runDir, 'base-toxicity', 'summary.json'), 'utf8'));
  assert.equal(toxicity.prompts, 6);
});
