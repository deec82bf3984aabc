import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import {
  PipelineError,
  RunLockedError,
  StageFailedError,
  acquireRunLock,
  defineStage,
  readStageMarker,
  readMetrics,
  runPipeline,
  s,
  stageOrder,
  type Stage,
} from '../../src/pipeline/index.js';
import { dummyStages, lastRunLog, temporaryDir } from './helpers.js';

function setup() {
  const dir = temporaryDir();
  const external = join(dir, 'prompts.txt');
  writeFileSync(external, 'prompts-v1');
  const runDir = join(dir, 'runs', 'test');
  return { dir, external, runDir, ...dummyStages(external) };
}

describe('runPipeline', () => {
  test('runs stages in dependency order and writes markers, config, log and metrics', async () => {
    const { runDir, stages, runs, config } = setup();
    const result = await runPipeline([...stages].reverse(), config(), runDir);
    const ran = result.stages.map((r) => r.name);
    assert.equal(ran.length, 4);
    for (const stage of stages) for (const dependency of stage.dependsOn) assert.ok(ran.indexOf(dependency) < ran.indexOf(stage.name), `${dependency} before ${stage.name}`);
    assert.deepEqual(stageOrder(stages).map((stage) => stage.name), ['curate', 'ground-truth', 'sft', 'irl'], 'the given order is kept where free');
    assert.ok(result.stages.every((r) => r.status === 'ran'));
    for (const name of ['curate', 'ground-truth', 'sft', 'irl']) {
      const marker = readStageMarker(join(runDir, name));
      assert.ok(marker, `marker of ${name}`);
      assert.equal(marker.stage, name);
      assert.match(marker.fingerprint, /^[0-9a-f]{64}$/);
      assert.equal(runs.get(name), 1);
    }
    assert.equal(readFileSync(join(runDir, 'irl', 'irl.txt'), 'utf8').startsWith('irl(sft(prompts-v1×3,0.001,'), true);
    assert.deepEqual(readStageMarker(join(runDir, 'irl'))!.summary, { margin: 1 });
    assert.deepEqual(readStageMarker(join(runDir, 'curate'))!.outputs.map((o) => o.path), ['data.txt']);
    assert.match(readFileSync(join(runDir, 'config.yaml'), 'utf8'), /learning_rate: 0\.001/);
    assert.deepEqual(readMetrics(join(runDir, 'metrics.jsonl'), { stage: 'sft' }).map((r) => [r.step, r.loss]), [
      [1, 1],
      [2, 0.5],
    ]);
    assert.ok(!existsSync(join(runDir, '.lock')), 'lock released');
    assert.deepEqual(readdirSync(runDir).filter((e) => e.startsWith('.')), [], 'no temp folders or checkpoints left');
    const log = readFileSync(join(runDir, 'run.log'), 'utf8');
    assert.match(log, /^\d{4}-\d\d-\d\dT[\d:.]+Z stage curate: running \(not run before\)$/m);
    assert.match(log, /stage irl: done in .*\{"margin":1\}/);
  });

  test('a second run does nothing and logs "up to date"', async () => {
    const { runDir, stages, runs, config } = setup();
    await runPipeline(stages, config(), runDir);
    const result = await runPipeline(stages, config(), runDir);
    assert.ok(result.stages.every((r) => r.status === 'up-to-date'));
    assert.ok([...runs.values()].every((n) => n === 1));
    const log = lastRunLog(runDir);
    for (const name of ['curate', 'ground-truth', 'sft', 'irl']) assert.ok(log.some((line) => line.endsWith(`stage ${name}: up to date, not run again`)), name);
  });

  test("changing one stage's config reruns it and its dependents only", async () => {
    const { runDir, stages, runs, config } = setup();
    await runPipeline(stages, config(), runDir);
    const before = readFileSync(join(runDir, 'ground-truth', 'reward.txt'), 'utf8');
    const result = await runPipeline(stages, config(['sft.learning_rate=0.01']), runDir);
    assert.deepEqual(Object.fromEntries(result.stages.map((r) => [r.name, r.status])), {
      curate: 'up-to-date',
      'ground-truth': 'up-to-date',
      sft: 'ran',
      irl: 'ran',
    });
    assert.deepEqual(Object.fromEntries(runs), { curate: 1, 'ground-truth': 1, sft: 2, irl: 2 });
    assert.match(readFileSync(join(runDir, 'irl', 'irl.txt'), 'utf8'), /,0\.01,/);
    assert.equal(readFileSync(join(runDir, 'ground-truth', 'reward.txt'), 'utf8'), before);
    const log = lastRunLog(runDir).join('\n');
    assert.match(log, /stage sft: running \(its config changed\)/);
    assert.match(log, /stage irl: running \(sft ran again\)/);
  });

  test('changing an input file reruns the stage that reads it and everything downstream', async () => {
    const { runDir, external, stages, runs, config } = setup();
    await runPipeline(stages, config(), runDir);
    await runPipeline(stages, config(), runDir);
    writeFileSync(external, 'prompts-v2');
    await runPipeline(stages, config(), runDir);
    assert.deepEqual(Object.fromEntries(runs), { curate: 2, 'ground-truth': 2, sft: 2, irl: 2 });
    assert.match(readFileSync(join(runDir, 'irl', 'irl.txt'), 'utf8'), /prompts-v2/);
    assert.match(lastRunLog(runDir).join('\n'), /stage curate: running \(input .*prompts\.txt changed\)/);
  });

  test('a run folder copied to another checkout, with the same npm package inputs at other paths, is up to date there', async () => {
    const dir = temporaryDir();
    const packageFile = (checkout: string) => {
      const file = join(dir, checkout, 'node_modules', 'corpus', 'package.json');
      mkdirSync(join(file, '..'), { recursive: true });
      writeFileSync(file, '{"version": "1.0.0"}');
      return file;
    };
    const first = dummyStages(packageFile('a'));
    await runPipeline(first.stages, first.config(), join(dir, 'a', 'runs', 'x'));
    cpSync(join(dir, 'a', 'runs'), join(dir, 'b', 'runs'), { recursive: true });
    const copied = dummyStages(packageFile('b'));
    await runPipeline(copied.stages, copied.config(), join(dir, 'b', 'runs', 'x'));
    assert.equal(copied.runs.size, 0, `stages ran again: ${[...copied.runs.keys()].join(', ')}`);
  });

  test('a stage whose output was deleted runs again', async () => {
    const { runDir, stages, runs, config } = setup();
    await runPipeline(stages, config(), runDir);
    rmSync(join(runDir, 'ground-truth', 'reward.txt'));
    await runPipeline(stages, config(), runDir);
    // The redone output is identical, so irl (whose fingerprint covers it) stays up to date.
    assert.deepEqual(Object.fromEntries(runs), { curate: 1, 'ground-truth': 2, sft: 1, irl: 1 });
    assert.match(lastRunLog(runDir).join('\n'), /stage ground-truth: running \(its output reward\.txt is missing or changed\)/);
  });

  test('a stage that throws leaves no marker and no final folder; the next run redoes it', async () => {
    const { dir, external, runDir } = setup();
    const failIn = new Set(['ground-truth']);
    const { stages, runs, config } = dummyStages(external, { failIn });
    await assert.rejects(runPipeline(stages, config(), runDir), (error: unknown) => {
      assert.ok(error instanceof StageFailedError);
      assert.equal(error.stage, 'ground-truth');
      assert.match(error.message, /ground truth broke/);
      return true;
    });
    assert.ok(existsSync(join(runDir, 'curate', 'stage.json')));
    assert.ok(!existsSync(join(runDir, 'ground-truth')));
    assert.deepEqual(readdirSync(runDir).filter((e) => e.startsWith('.ground-truth.')), []);
    assert.ok(!existsSync(join(runDir, 'irl')));
    assert.ok(!existsSync(join(runDir, '.lock')));
    assert.match(readFileSync(join(runDir, 'run.log'), 'utf8'), /ERROR stage ground-truth: failed after .*ground truth broke/);
    failIn.clear();
    await runPipeline(stages, config(), runDir);
    assert.deepEqual(Object.fromEntries(runs), { curate: 1, 'ground-truth': 2, sft: 1, irl: 1 });
    assert.ok(readStageMarker(join(runDir, 'irl')));
    void dir;
  });

  test('stale temp folders are removed; targets and force select stages', async () => {
    const { runDir, stages, runs, config } = setup();
    mkdirSync(join(runDir, '.sft.tmp-4242-beef'), { recursive: true });
    writeFileSync(join(runDir, '.sft.tmp-4242-beef', 'half.txt'), 'half');
    await runPipeline(stages, config(), runDir, { targets: ['ground-truth'] });
    assert.ok(!existsSync(join(runDir, '.sft.tmp-4242-beef')));
    assert.match(readFileSync(join(runDir, 'run.log'), 'utf8'), /removed \.sft\.tmp-4242-beef, left by an interrupted run for sft/);
    assert.deepEqual(Object.fromEntries(runs), { curate: 1, 'ground-truth': 1 });
    await runPipeline(stages, config(), runDir, { force: ['curate'] });
    // curate's output is the same, so only the stages not run before run downstream of it.
    assert.deepEqual(Object.fromEntries(runs), { curate: 2, 'ground-truth': 1, sft: 1, irl: 1 });
  });

  test('a stage folder a kill caught between its two renames is put back and stays up to date', async () => {
    const { runDir, stages, runs, config } = setup();
    await runPipeline(stages, config(), runDir);
    renameSync(join(runDir, 'curate'), join(runDir, '.curate.old-4242-beef'));
    await runPipeline(stages, config(), runDir);
    assert.deepEqual(Object.fromEntries(runs), { curate: 1, 'ground-truth': 1, sft: 1, irl: 1 }, 'nothing ran again');
    assert.ok(readStageMarker(join(runDir, 'curate')));
    assert.match(readFileSync(join(runDir, 'run.log'), 'utf8'), /restored \.curate\.old-4242-beef, left by an interrupted run for curate/);
  });

  test('ctx gives a forked rng, the config section, a checkpoint dir that survives failures, and an abort signal', async () => {
    const dir = temporaryDir();
    const runDir = join(dir, 'run');
    const seen: { resumed: boolean[]; draws: number[] } = { resumed: [], draws: [] };
    let failNext = true;
    const train = defineStage({
      name: 'train',
      dependsOn: [],
      configKey: 'train',
      configSchema: s.object({ steps: s.integer({ default: 4 }) }),
      run(ctx) {
        seen.resumed.push(ctx.resumed);
        seen.draws.push(ctx.rng.uniform());
        const progress = join(ctx.checkpointDir, 'step');
        let step = existsSync(progress) ? Number(readFileSync(progress, 'utf8')) : 0;
        if (ctx.resumed) ctx.metrics.discardAfter(step);
        for (; step < ctx.config.steps; step++) {
          ctx.metrics.write({ loss: step }, step + 1);
          writeFileSync(progress, String(step + 1));
          if (step === 1 && failNext) {
            failNext = false;
            throw new Error('interrupted');
          }
        }
        writeFileSync(join(ctx.dir, 'done.txt'), String(step));
      },
    });
    const config = { name: 'r', seed: 7, out: dir, train: {} };
    await assert.rejects(runPipeline([train], config, runDir), StageFailedError);
    assert.ok(existsSync(join(runDir, '.checkpoints', 'train', 'step')));
    await runPipeline([train], config, runDir);
    assert.deepEqual(seen.resumed, [false, true]);
    assert.equal(seen.draws[0], seen.draws[1], 'the same seed gives the same stream');
    assert.equal(readFileSync(join(runDir, 'train', 'done.txt'), 'utf8'), '4');
    assert.deepEqual(readMetrics(join(runDir, 'metrics.jsonl')).map((r) => r.step), [1, 2, 3, 4]);
    assert.ok(!existsSync(join(runDir, '.checkpoints', 'train')), 'checkpoints are removed once the stage completes');

    const controller = new AbortController();
    const waits = defineStage({
      name: 'waits',
      dependsOn: [],
      configKey: 'waits',
      configSchema: s.object({}),
      async run(ctx) {
        controller.abort();
        ctx.signal.throwIfAborted();
      },
    });
    await assert.rejects(runPipeline([waits], { ...config, waits: {} }, join(dir, 'aborted'), { signal: controller.signal }), StageFailedError);
    assert.match(readFileSync(join(dir, 'aborted', 'run.log'), 'utf8'), /stage waits: stopped after/);
  });

  test('declared inputs must come from a dependency; bad stage graphs are refused', async () => {
    const dir = temporaryDir();
    const a: Stage = { name: 'a', dependsOn: [], configKey: 'a', run: (ctx) => writeFileSync(join(ctx.dir, 'x'), 'x') };
    const b: Stage = { name: 'b', dependsOn: [], configKey: 'b', inputs: (ctx) => [join(ctx.stageDir('a'), 'x')], run: () => {} };
    await assert.rejects(runPipeline([a, b], { name: 'r', seed: 0, out: dir }, join(dir, 'r')), /reads a\/x, which is not in the folder of a stage it depends on/);
    assert.throws(() => stageOrder([{ ...a, dependsOn: ['b'] }, { ...b, dependsOn: ['a'] }]), /cycle: a → b → a/);
    assert.throws(() => stageOrder([{ ...a, dependsOn: ['nope'] }]), PipelineError);
    assert.throws(() => stageOrder([a, a]), /two stages are named 'a'/);
    assert.throws(() => stageOrder([{ ...a, name: '.hidden' }]), /not allowed/);
  });
});

describe('run lock', () => {
  test('a second irlens on the same run folder is refused; a stale lock is taken over', async () => {
    const { runDir, stages, config } = setup();
    const lock = acquireRunLock(runDir);
    assert.throws(() => acquireRunLock(runDir), (error: unknown) => error instanceof RunLockedError && /another irlens \(pid \d+/.test(error.message));
    await assert.rejects(runPipeline(stages, config(), runDir), RunLockedError);
    lock.release();

    // A lock left by a process that has exited.
    const deadPid = deadProcessId();
    writeFileSync(join(runDir, '.lock'), JSON.stringify({ pid: deadPid, host: (await import('node:os')).hostname(), token: 'old', startedAt: 'then' }));
    const result = await runPipeline(stages, config(), runDir);
    assert.equal(result.stages.length, 4);
    assert.ok(!existsSync(join(runDir, '.lock')));

    // A lock from a live process (this test's parent) is refused.
    writeFileSync(join(runDir, '.lock'), JSON.stringify({ pid: process.ppid, host: (await import('node:os')).hostname(), token: 'live', startedAt: 'now' }));
    assert.throws(() => acquireRunLock(runDir), RunLockedError);
    rmSync(join(runDir, '.lock'));
  });
});

/** A pid no process has now. */
function deadProcessId(): number {
  for (let pid = 4_000_000; ; pid--) {
    try {
      process.kill(pid, 0);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ESRCH') return pid;
    }
  }
}
