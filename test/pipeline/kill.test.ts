import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Rng } from '../../src/nn/rng.js';
import { readMetrics, readStageMarker } from '../../src/pipeline/index.js';
import { expectedOutputs } from './fixtures/slow-pipeline.js';
import { lastRunLog, temporaryDir } from './helpers.js';

const fixture = fileURLToPath(new URL('./fixtures/slow-pipeline.ts', import.meta.url));
const STAGES = ['produce', 'train', 'report'];

/** Runs the slow pipeline in a child; kills it with SIGKILL `killAfterMs` after it is ready. */
function runChild(runDir: string, killAfterMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', fixture, runDir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.stdout.on('data', (chunk: Buffer) => {
      if (killAfterMs !== undefined && chunk.toString().includes('ready')) setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve({ code, signal, stderr }));
  });
}

/** Every stage folder that looks finished is finished: marker present, outputs complete and right. */
function checkNothingHalfDone(runDir: string): string[] {
  const complete: string[] = [];
  for (const entry of readdirSync(runDir)) {
    if (!STAGES.includes(entry)) continue;
    const marker = readStageMarker(join(runDir, entry));
    assert.ok(marker, `${entry}/ exists but has no valid stage.json`);
    for (const [file, content] of Object.entries(expectedOutputs[entry]!)) {
      assert.equal(readFileSync(join(runDir, entry, file), 'utf8'), content, `${entry}/${file}`);
    }
    complete.push(entry);
  }
  return complete;
}

test('a pipeline killed with SIGKILL at random moments always finishes correctly on rerun, without redoing completed stages', async () => {
  const dir = temporaryDir();
  const rng = new Rng(2024);
  {
    const runDir = join(dir, 'run');
    let completeBeforeFinal: string[] = [];
    // Four kills land early and late: while stages run, between them, or after the run finished.
    for (const window of [150, 300, 450, 600]) {
      const result = await runChild(runDir, rng.int(window));
      if (result.signal !== 'SIGKILL') assert.equal(result.code, 0, result.stderr);
      if (existsSync(runDir)) completeBeforeFinal = checkNothingHalfDone(runDir);
    }
    const final = await runChild(runDir);
    assert.equal(final.code, 0, final.stderr);
    assert.deepEqual(checkNothingHalfDone(runDir).sort(), [...STAGES].sort());

    // The final run did not redo what was complete before it.
    const log = lastRunLog(runDir);
    for (const stage of completeBeforeFinal) {
      assert.ok(log.some((line) => line.endsWith(`stage ${stage}: up to date, not run again`)), `${stage} up to date in:\n${log.join('\n')}`);
    }
    // Across all attempts, no stage ran again after it had completed.
    const all = readFileSync(join(runDir, 'run.log'), 'utf8').split('\n');
    for (const stage of STAGES) {
      const done = all.findIndex((line) => line.includes(`stage ${stage}: done`));
      const laterRun = all.findIndex((line, i) => i > done && done >= 0 && line.includes(`stage ${stage}: running`));
      assert.equal(laterRun, -1, `${stage} ran again after completing:\n${all.join('\n')}`);
    }
    // Resumed training recorded each step once.
    assert.deepEqual(readMetrics(join(runDir, 'metrics.jsonl'), { stage: 'train' }).map((r) => r.step), [1, 2, 3, 4, 5, 6, 7, 8]);
    assert.ok(!existsSync(join(runDir, '.lock')));
    assert.deepEqual(readdirSync(runDir).filter((e) => e.startsWith('.')), []);
  }
});
