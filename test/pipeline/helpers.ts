import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { configSchemaFor, defineStage, resolveConfig, s, type RunConfig, type Stage } from '../../src/pipeline/index.js';

/** A fresh temporary folder, removed after the test file. */
export function temporaryDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'irlens-pipeline-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * Dummy stages that write files derived from their config and inputs:
 *   curate → ground-truth, curate → sft, (sft, ground-truth) → irl
 * `runs` counts how often each stage's run function was called; `external` is read by curate.
 */
export function dummyStages(external: string, options: { failIn?: Set<string> } = {}) {
  const runs = new Map<string, number>();
  const count = (name: string) => runs.set(name, (runs.get(name) ?? 0) + 1);
  const curate = defineStage({
    name: 'curate',
    dependsOn: [],
    configKey: 'curate',
    configSchema: s.object({ size: s.integer({ min: 1, default: 3 }) }),
    inputs: () => [external],
    run(ctx) {
      count('curate');
      if (options.failIn?.has('curate')) throw new Error('curate broke');
      const text = readFileSync(ctx.inputs[0]!, 'utf8');
      writeFileSync(join(ctx.dir, 'data.txt'), `${text}×${ctx.config.size}`);
      ctx.metrics.write({ rows: ctx.config.size });
      return { rows: ctx.config.size };
    },
  });
  const groundTruth = defineStage({
    name: 'ground-truth',
    dependsOn: ['curate'],
    configKey: 'ground_truth',
    configSchema: s.object({ scale: s.number({ default: 1 }) }),
    inputs: (ctx) => [join(ctx.stageDir('curate'), 'data.txt')],
    run(ctx) {
      count('ground-truth');
      if (options.failIn?.has('ground-truth')) throw new Error('ground truth broke');
      writeFileSync(join(ctx.dir, 'reward.txt'), `gt(${readFileSync(ctx.inputs[0]!, 'utf8')},${ctx.config.scale})`);
    },
  });
  const sft = defineStage({
    name: 'sft',
    dependsOn: ['curate'],
    configKey: 'sft',
    configSchema: s.object({ learning_rate: s.number({ min: 0, default: 0.001 }), steps: s.integer({ min: 1, default: 2 }) }),
    run(ctx) {
      count('sft');
      const data = readFileSync(join(ctx.stageDir('curate'), 'data.txt'), 'utf8');
      for (let step = 1; step <= ctx.config.steps; step++) ctx.metrics.write({ loss: 1 / step }, step);
      writeFileSync(join(ctx.dir, 'model.txt'), `sft(${data},${ctx.config.learning_rate},${ctx.rng.int(1000)})`);
    },
  });
  const irl = defineStage({
    name: 'irl',
    dependsOn: ['sft', 'ground-truth'],
    configKey: 'irl',
    configSchema: s.object({ margin: s.number({ default: 1 }) }),
    run(ctx) {
      count('irl');
      const model = readFileSync(join(ctx.stageDir('sft'), 'model.txt'), 'utf8');
      const reward = readFileSync(join(ctx.stageDir('ground-truth'), 'reward.txt'), 'utf8');
      writeFileSync(join(ctx.dir, 'irl.txt'), `irl(${model},${reward},${ctx.config.margin})`);
      return { margin: ctx.config.margin };
    },
  });
  const stages: Stage[] = [curate, groundTruth, sft, irl];
  const schema = configSchemaFor(stages);
  const config = (overrides: string[] = []): RunConfig => resolveConfig({ schema, overrides: ['name=test', ...overrides] });
  return { stages, runs, schema, config };
}

/** The lines of run.log written by the last run (after its 'run started' line). */
export function lastRunLog(runDir: string): string[] {
  const lines = readFileSync(join(runDir, 'run.log'), 'utf8').trimEnd().split('\n');
  const start = lines.findLastIndex((line) => line.includes('run started'));
  return lines.slice(start);
}
