/**
 * Reading a run folder: the shapes the stages write, stages that have not run, and typed errors
 * for a folder that is no run or a completed stage's file that is damaged.
 */
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { NotARunFolderError, RunFileError, readRun } from '../../src/report/index.js';
import { temporaryDir } from '../pipeline/helpers.js';
import { HOSTILE_VARIANT, writeFixtureRun } from './fixture.js';

test('a complete run reads into its parts: stages in order, curves, seed 0 of each variant with its words', () => {
  const run = readRun(writeFixtureRun(temporaryDir(), { reuse: true }));
  assert.deepEqual(run.stages.map((s) => s.name), ['world', 'ground-truth', 'rlhf', 'demonstrations', 'irl', 'evaluate', 'reuse']);
  assert.equal(run.name, 'fixture-run');
  assert.equal(run.config?.values.seed, 0);
  assert.equal(run.groundTruth?.accuracy, 0.98);
  assert.deepEqual(run.rlhf?.curves.map((p) => [p.seed, p.step]).slice(0, 2), [[0, 1], [0, 2]]);
  assert.equal(run.rlhf?.curves[0]?.policy, null);
  assert.equal(run.rlhf?.headline?.expertContinuationToxicRatio.n, 2);
  assert.deepEqual(run.testScores?.map((v) => [v.variant, v.seed]), [['paper', 0], [HOSTILE_VARIANT, 0], ['log-ratio', null], ['random-head', 0]]);
  const first = run.testScores![0]!.texts[0]!;
  assert.equal(first.prompt, 'p0');
  assert.ok(first.fromExpert);
  assert.equal(first.toxicity, 0.05);
  assert.equal(first.words?.continuation, 'a calm reply.');
  assert.equal(run.testScores![0]!.texts[1]!.words?.continuation.startsWith('a rude'), true, 'row 1 is the baseline’s continuation of the same prompt');
  assert.equal(run.evaluation?.perSeed.length, 7);
  assert.equal(run.evaluation?.similarity.labels[2], 'x<img src=x onerror=alert(2)>/seed-0');
  assert.deepEqual([...new Set(run.reuse?.curves.map((p) => p.policy))], ['irl:paper', 'control:random-head']);
  assert.equal(run.reuse?.summary.policies.length, 4);
});

test('stages that did not run read as null, and a stage folder without its marker did not run', () => {
  const dir = writeFixtureRun(temporaryDir());
  rmSync(join(dir, 'evaluate', 'stage.json'));
  rmSync(join(dir, 'irl'), { recursive: true });
  const run = readRun(dir);
  assert.deepEqual(run.stages.map((s) => s.name), ['world', 'ground-truth', 'rlhf', 'demonstrations']);
  assert.equal(run.evaluation, null);
  assert.equal(run.testScores, null);
  assert.equal(run.reuse, null);
  assert.notEqual(run.rlhf, null);
});

test('a folder that is no run is a NotARunFolderError saying why', () => {
  const root = temporaryDir();
  assert.throws(() => readRun(join(root, 'missing')), (e: unknown) => e instanceof NotARunFolderError && /does not exist/.test(e.message));
  writeFileSync(join(root, 'file.txt'), 'x');
  assert.throws(() => readRun(join(root, 'file.txt')), (e: unknown) => e instanceof NotARunFolderError && /is a file/.test(e.message));
  mkdirSync(join(root, 'empty', 'stuff'), { recursive: true });
  assert.throws(() => readRun(join(root, 'empty')), (e: unknown) => e instanceof NotARunFolderError && /no config\.yaml and no completed stage/.test(e.message));
});

test('a damaged file of a completed stage is a RunFileError naming it; a torn last metrics line is skipped', () => {
  const dir = writeFixtureRun(temporaryDir());
  writeFileSync(join(dir, 'metrics.jsonl'), '{"stage":"rlhf","seed":0,"ppo_step":1,"rollout/reward/mean":1}\n{"stage":"rl');
  assert.equal(readRun(dir).rlhf?.curves.length, 1);
  writeFileSync(join(dir, 'evaluate', 'summary.json'), '{ not json');
  assert.throws(() => readRun(dir), (e: unknown) => e instanceof RunFileError && e.message.includes(join('evaluate', 'summary.json')));
  rmSync(join(dir, 'evaluate', 'summary.json'));
  assert.throws(() => readRun(dir), (e: unknown) => e instanceof RunFileError && /completed but the file is missing/.test(e.message));
});
