import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { Rng } from '../../src/nn/index.js';
import { projectRoot } from '../helpers/fixtures.js';
import { irlens, temporaryDir } from './helpers.js';

const STAGES = ['world', 'base-model', 'ground-truth', 'curate', 'base-toxicity'];
const tsx = import.meta.resolve('tsx');

/** Starts `irlens run --preset demo-tiny` and kills it with SIGKILL after `ms` milliseconds. */
function runAndKill(out: string, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', tsx, join(projectRoot, 'src/cli/main.ts'), 'run', '--preset', 'demo-tiny', '--out', out], {
      cwd: projectRoot,
      stdio: 'ignore',
      env: { ...process.env, HF_HUB_OFFLINE: '1' },
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), ms);
    child.on('exit', () => {
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
