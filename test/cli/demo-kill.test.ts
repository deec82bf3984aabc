import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { Rng } from '../../src/nn/index.js';
import { projectRoot } from '../helpers/fixtures.js';
import { irlens, temporaryDir } from './helpers.js';

const STAGES = ['world', 'base-model', 'ground-truth', 'curate', 'base-toxicity', 'rlhf'];
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

test('the demo killed with SIGKILL at random moments finishes on rerun without redoing completed stages', { timeout: 300_000 }, async (t) => {
  const out = join(temporaryDir(), 'demo');
  const rng = new Rng('demo-kill');
  // Each attempt resumes the last, so kills land while the process starts, while stages train,
  // and between stages.
  for (let attempt = 0; attempt < 4; attempt++) await runAndKill(out, 1200 + rng.int(2500));

  const completedBefore = STAGES.filter((stage) => existsSync(join(out, stage, 'stage.json')));
  t.diagnostic(`complete after the kills: ${completedBefore.join(', ') || 'none'}`);
  const final = await irlens(['run', '--preset', 'demo-tiny', '--out', out], { timeoutMs: 240_000 });
  assert.equal(final.code, 0, final.stderr);
  for (const stage of STAGES) assert.ok(existsSync(join(out, stage, 'stage.json')), `${stage} finished`);
  for (const stage of completedBefore) {
    assert.match(final.stderr, new RegExp(`stage ${stage}: up to date, not run again`), `${stage} was complete before the last run`);
  }
  const again = await irlens(['run', '--preset', 'demo-tiny', '--out', out], { timeoutMs: 120_000 });
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
