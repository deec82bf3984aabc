import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { Rng } from '../../src/nn/index.js';
import { projectRoot } from '../helpers/fixtures.js';
import { irlens, temporaryDir } from './helpers.js';

const STAGES = ['world', 'base-model', 'ground-truth', 'curate', 'base-toxicity', 'rlhf', 'demonstrations', 'irl', 'evaluate', 'reuse', 'report'];
const tsx = import.meta.resolve('tsx');

/**
 * Starts `irlens run --preset demo-tiny` and kills it with SIGKILL `ms` milliseconds after
 * `ready()` first holds (checked every 20 ms; at once by default).
 */
function runAndKill(out: string, ms: number, ready: () => boolean = () => true): Promise<void> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', tsx, join(projectRoot, 'src/cli/main.ts'), 'run', '--preset', 'demo-tiny', '--out', out], {
      cwd: projectRoot,
      stdio: 'ignore',
      env: { ...process.env, HF_HUB_OFFLINE: '1' },
    });
    let timer: NodeJS.Timeout | undefined;
    const poll = setInterval(() => {
      if (!ready()) return;
      clearInterval(poll);
      timer = setTimeout(() => child.kill('SIGKILL'), ms);
    }, 20);
    child.on('exit', () => {
      clearInterval(poll);
      clearTimeout(timer);
      resolve();
    });
  });
}

const logSize = (run: string) => (existsSync(join(run, 'run.log')) ? statSync(join(run, 'run.log')).size : 0);

/** Fields that say how a run went (wall clock, where it resumed), not what it computed: no two runs share them. */
const HISTORY_KEYS = new Set(['time', 'seconds', 'durationMs', 'startedAt', 'finishedAt', 'tokens_per_second', 'ppo/tokens_per_s', 'resumedFromStep']);

/** A JSON value without its history fields. */
function withoutHistory(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutHistory);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).filter(([key]) => !HISTORY_KEYS.has(key) && !key.startsWith('time/')).map(([key, v]) => [key, withoutHistory(v)]));
}

/** Every file of a finished run, relative path → content (JSON and JSONL without history fields, the run's own path as <run>); logs and the report, which print times, left out. */
function runOutputs(run: string): Map<string, string> {
  const out = new Map<string, string>();
  const text = (file: string) => readFileSync(file, 'utf8').replaceAll(run, '<run>');
  for (const relative of readdirSync(run, { recursive: true, encoding: 'utf8' }).sort()) {
    const file = join(run, relative);
    if (relative.startsWith('.') || !statSync(file).isFile() || /(^|\/)(run\.log|report\.html|stage\.json|config\.yaml)$/.test(relative) || relative.startsWith('report/')) continue;
    if (relative.endsWith('.jsonl')) out.set(relative, text(file).trim().split('\n').map((line) => JSON.stringify(withoutHistory(JSON.parse(line)))).join('\n'));
    else if (relative.endsWith('.json')) out.set(relative, JSON.stringify(withoutHistory(JSON.parse(text(file)))));
    else out.set(relative, createHash('sha256').update(readFileSync(file)).digest('hex'));
  }
  return out;
}

/** Files a kill may not leave broken: every JSON file parses, every finished stage's outputs have the hashes stage.json records. */
function assertNothingHalfWritten(run: string): void {
  if (!existsSync(run)) return;
  for (const relative of readdirSync(run, { recursive: true, encoding: 'utf8' })) {
    const file = join(run, relative);
    if (relative.endsWith('.json') && statSync(file).isFile()) assert.doesNotThrow(() => JSON.parse(readFileSync(file, 'utf8')), `${relative} is half-written`);
  }
  for (const stage of readdirSync(run)) {
    const marker = join(run, stage, 'stage.json');
    if (!existsSync(marker)) continue;
    for (const output of (JSON.parse(readFileSync(marker, 'utf8')) as { outputs: { path: string; sha256: string }[] }).outputs) {
      assert.equal(createHash('sha256').update(readFileSync(join(run, stage, output.path))).digest('hex'), output.sha256, `${stage}/${output.path} differs from what stage.json records`);
    }
  }
}

test('the demo killed 20 times or more, in every stage, at random moments ends with the outputs of an uninterrupted run, and no kill leaves a half-written file', { timeout: 600_000 }, async (t) => {
  const whole = join(temporaryDir(), 'whole');
  const killed = join(temporaryDir(), 'killed');
  assert.equal((await irlens(['run', '--preset', 'demo-tiny', '--out', whole], { timeoutMs: 240_000 })).code, 0);
  const rng = new Rng('demo-kill');
  const reached: string[] = [];
  const killsIn = new Map<string, number>();
  const complete = () => STAGES.filter((name) => existsSync(join(killed, name, 'stage.json')));
  // Each attempt resumes the last and is killed a random moment after it starts the first stage not
  // yet complete (up to three times per stage, then the one after it), so kills land while stages
  // train, write checkpoints and save models, and between stages, from the first to the last.
  while (reached.length < 22 && complete().length < STAGES.length) {
    const pending = STAGES.filter((name) => !complete().includes(name));
    const target = pending.find((name) => (killsIn.get(name) ?? 0) < 3) ?? pending[0]!;
    killsIn.set(target, (killsIn.get(target) ?? 0) + 1);
    const logged = logSize(killed);
    const started = () => logSize(killed) > logged && readFileSync(join(killed, 'run.log'), 'utf8').slice(logged).includes(`stage ${target}: running`);
    await runAndKill(killed, rng.int(800), started);
    assertNothingHalfWritten(killed);
    reached.push(`${target}→${complete().length}`);
  }
  assert.ok(reached.length >= 20, `only ${reached.length} kills before the run completed`);
  t.diagnostic(`${reached.length} kills (stage aimed at → stages complete after it): ${reached.join(' ')}`);
  const final = await irlens(['run', '--preset', 'demo-tiny', '--out', killed], { timeoutMs: 240_000 });
  assert.equal(final.code, 0, final.stderr);
  const [expected, actual] = [runOutputs(whole), runOutputs(killed)];
  assert.deepEqual([...actual.keys()], [...expected.keys()]);
  for (const [file, content] of expected) {
    const [want, got] = [content.split('\n'), (actual.get(file) ?? '').split('\n')];
    const line = want.findIndex((w, i) => w !== got[i]);
    assert.ok(line === -1 && want.length === got.length, `${file} differs from the uninterrupted run's at line ${line + 1} of ${want.length} (${got.length} after the kills): ${want[line]?.slice(0, 200)} vs ${got[line]?.slice(0, 200)}`);
  }
  const again = await irlens(['run', '--preset', 'demo-tiny', '--out', killed], { timeoutMs: 120_000 });
  assert.equal(again.code, 0, again.stderr);
  for (const stage of STAGES) assert.match(again.stderr, new RegExp(`stage ${stage}: up to date, not run again`));
});

/** The stage's metrics without wall-clock fields, which no two runs share. */
function rlhfMetrics(run: string): unknown[] {
  return readFileSync(join(run, 'metrics.jsonl'), 'utf8').split('\n').filter((line) => line.includes('"stage":"rlhf"')).map((line) => {
    const record = JSON.parse(line) as Record<string, unknown>;
    return Object.fromEntries(Object.entries(record).filter(([key]) => key !== 'time' && !key.startsWith('time/') && key !== 'ppo/tokens_per_s'));
  });
}

test('PPO killed with SIGKILL at random moments ends with the policy and metrics of an uninterrupted run', { timeout: 600_000 }, async (t) => {
  const whole = join(temporaryDir(), 'whole');
  const killed = join(temporaryDir(), 'killed');
  const prerequisites = ['--only', 'base-toxicity'];
  for (const out of [whole, killed]) assert.equal((await irlens(['run', '--preset', 'demo-tiny', '--out', out, ...prerequisites], { timeoutMs: 240_000 })).code, 0);
  assert.equal((await irlens(['run', '--preset', 'demo-tiny', '--out', whole], { timeoutMs: 240_000 })).code, 0);
  const rng = new Rng('rlhf-kill');
  const kills: number[] = [];
  // Each kill lands 0-80 ms (a round or two) after a newer round checkpoint appeared, whatever the
  // machine's speed: during later rounds, a checkpoint write, the held-out judging, or saving.
  const checkpoints = join(killed, '.checkpoints', 'rlhf', 'seed-0');
  const newestStep = () => Math.max(0, ...(existsSync(checkpoints) ? readdirSync(checkpoints) : []).map((name) => Number(/^step-(\d+)$/.exec(name)?.[1] ?? 0)));
  for (let attempt = 0; attempt < 5 && !existsSync(join(killed, 'rlhf', 'stage.json')); attempt++) {
    const before = newestStep();
    const ms = rng.int(80);
    kills.push(ms);
    await runAndKill(killed, ms, () => newestStep() > before);
  }
  t.diagnostic(`killed ${kills.length} times, ${kills.join(', ')} ms after a checkpoint appeared`);
  assert.equal(kills.length, 5, 'the stage finished before it was killed five times');
  const final = await irlens(['run', '--preset', 'demo-tiny', '--out', killed], { timeoutMs: 240_000 });
  assert.equal(final.code, 0, final.stderr);
  const policy = (run: string) => readFileSync(join(run, 'rlhf', 'seed-0', 'policy', 'model.safetensors'));
  assert.ok(policy(killed).equals(policy(whole)), 'the policy differs from the uninterrupted run');
  assert.deepEqual(rlhfMetrics(killed), rlhfMetrics(whole));
  // At least one kill landed after a round checkpoint, so some attempt resumed mid-training.
  assert.match(readFileSync(join(killed, 'run.log'), 'utf8'), /stage rlhf: running \(resuming an interrupted attempt\)/);
});
