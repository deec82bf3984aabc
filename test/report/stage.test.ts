/**
 * The report stage in a pipeline: after stages that write the fixture's files, it draws the page
 * into its folder and the run folder, says what it drew in summary.json, is up to date when
 * nothing changed, and is redrawn when a stage it shows (reuse, once there is one) changes.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { runPipeline, type Stage } from '../../src/pipeline/index.js';
import { PIPELINE_STAGES, REPORTED_STAGES, reportStage } from '../../src/pipeline/stages/index.js';
import { temporaryDir } from '../pipeline/helpers.js';
import { fixtureStages, reuseSummary, stageMetrics, writeStageOutputs } from './fixture.js';

/** Stages that write what the real ones would, each after the one before, then the report. */
function fixturePipeline(options: { reuse?: boolean; benchmarkPrompts?: () => number } = {}): Stage[] {
  const names = fixtureStages(options);
  const stages = names.map((name, i): Stage => ({
    name,
    configKey: name,
    dependsOn: i === 0 ? [] : [names[i - 1]!],
    run(ctx) {
      writeStageOutputs(name, ctx.dir, options);
      if (name === 'reuse' && options.benchmarkPrompts) {
        writeFileSync(join(ctx.dir, 'summary.json'), JSON.stringify({ ...reuseSummary(), benchmarkPrompts: options.benchmarkPrompts() }));
      }
      for (const values of stageMetrics(name)) ctx.metrics.write(values);
    },
  }));
  return [...stages, reportStage(names)];
}

const config = { name: 'fixture', seed: 0, out: '.' };

test('the pipeline ends with the report, which depends on every stage it shows that the pipeline has', () => {
  const report = PIPELINE_STAGES.at(-1)!;
  assert.equal(report.name, 'report');
  const names = PIPELINE_STAGES.map((stage) => stage.name);
  assert.deepEqual(report.dependsOn, REPORTED_STAGES.filter((name) => names.includes(name)));
  assert.ok(report.dependsOn.includes('evaluate'));
  assert.ok(reportStage([...names, 'reuse']).dependsOn.includes('reuse'), 'reuse joins as soon as it is registered');
});

test('the report stage writes the page twice and its summary, and is up to date on a rerun', async () => {
  const runDir = join(temporaryDir(), 'fixture');
  const first = await runPipeline(fixturePipeline(), config, runDir);
  assert.equal(first.stages.at(-1)?.status, 'ran');
  const page = readFileSync(join(runDir, 'report.html'), 'utf8');
  assert.equal(readFileSync(join(runDir, 'report', 'report.html'), 'utf8'), page);
  const summary = JSON.parse(readFileSync(join(runDir, 'report', 'summary.json'), 'utf8'));
  assert.equal(summary.path, 'report.html');
  assert.equal(summary.bytes, Buffer.byteLength(page));
  assert.ok(summary.sections.includes('rlhf') && summary.sections.includes('irl-metrics'));
  assert.deepEqual(summary.missing, [{ section: 'reuse-benchmark', stages: ['reuse'] }, { section: 'reuse-curves', stages: ['reuse'] }]);
  assert.match(page, /<svg/);

  const second = await runPipeline(fixturePipeline(), config, runDir);
  assert.equal(second.stages.at(-1)?.status, 'up-to-date');
});

test('a change in reuse redraws the report', async () => {
  const runDir = join(temporaryDir(), 'fixture');
  let prompts = 20;
  const stages = fixturePipeline({ reuse: true, benchmarkPrompts: () => prompts });
  await runPipeline(stages, config, runDir);
  assert.match(readFileSync(join(runDir, 'report.html'), 'utf8'), /<p>20 held-out prompts/);
  prompts = 30;
  const rerun = await runPipeline(stages, config, runDir, { force: ['reuse'] });
  assert.equal(rerun.stages.find((s) => s.name === 'report')?.status, 'ran');
  assert.match(readFileSync(join(runDir, 'report.html'), 'utf8'), /<p>30 held-out prompts/);
  assert.deepEqual(JSON.parse(readFileSync(join(runDir, 'report', 'summary.json'), 'utf8')).missing, []);
});
