import assert from 'node:assert/strict';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { MetricsWriter, PipelineError, readMetrics } from '../../src/pipeline/index.js';
import { temporaryDir } from './helpers.js';

test('metrics.jsonl: records read back; a torn last line is skipped, and cut off before the next append', () => {
  const path = join(temporaryDir(), 'metrics.jsonl');
  assert.deepEqual(readMetrics(path), []);
  const writer = new MetricsWriter(path);
  writer.write('rlhf', { reward: 0.5, kl: NaN }, 1);
  writer.forStage('rlhf').write({ reward: 0.75, note: 'ok' }, 2);
  writer.write('evaluate', { auroc: 0.9, curve: [0, 0.5, 1] });
  assert.throws(() => writer.write('x', { step: 3 }), /reserved/);
  writer.close();

  appendFileSync(path, '{"stage":"rlhf","step":3,"rew'); // a kill mid-write
  const records = readMetrics(path);
  assert.deepEqual(
    records.map(({ time, ...rest }) => (assert.match(time, /^\d{4}-\d\d-\d\dT/), rest)),
    [
      { stage: 'rlhf', step: 1, reward: 0.5, kl: null },
      { stage: 'rlhf', step: 2, reward: 0.75, note: 'ok' },
      { stage: 'evaluate', auroc: 0.9, curve: [0, 0.5, 1] },
    ],
  );
  assert.equal(readMetrics(path, { stage: 'evaluate' }).length, 1);

  const next = new MetricsWriter(path);
  next.write('rlhf', { reward: 1 }, 3);
  next.forStage('rlhf').discardAfter(2);
  next.write('rlhf', { reward: 2 }, 3);
  next.close();
  assert.ok(readFileSync(path, 'utf8').endsWith('}\n'));
  assert.deepEqual(readMetrics(path, { stage: 'rlhf' }).map((r) => [r.step, r.reward]), [
    [1, 0.5],
    [2, 0.75],
    [3, 2],
  ]);

  // A stage of two trainings (steps 1-3, then 4-6): the first, resumed at its end, keeps the second's.
  const two = new MetricsWriter(path);
  for (const step of [4, 5]) two.write('rlhf', { reward: step }, step);
  two.forStage('rlhf').discardAfter(3, 3);
  two.forStage('rlhf').discardAfter(4, 6);
  two.close();
  assert.deepEqual(readMetrics(path, { stage: 'rlhf' }).map((r) => r.step), [1, 2, 3, 4]);

  writeFileSync(path, '{"stage":"a"}\nnot json\n{"stage":"b"}\n');
  assert.throws(() => readMetrics(path), (error: unknown) => error instanceof PipelineError && /metrics\.jsonl:2: /.test(error.message));
});
