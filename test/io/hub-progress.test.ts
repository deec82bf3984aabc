import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { projectRoot } from '../helpers/fixtures.js';
import { formatBytes, formatDuration, plainReporter, terminalReporter } from '../../src/io/progress.js';

/** A stream that keeps what is written to it; `tty` makes it look like a terminal to cli-progress. */
function capture(tty: boolean): { stream: NodeJS.WriteStream; text: () => string } {
  const stream = new PassThrough() as unknown as NodeJS.WriteStream & PassThrough;
  let text = '';
  stream.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
  Object.assign(stream, { isTTY: tty, columns: 120, rows: 40 });
  return { stream, text: () => text };
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 5));

describe('download reporters', () => {
  it('formats sizes and durations', () => {
    assert.equal(formatBytes(512), '512 B');
    assert.equal(formatBytes(1536), '1.50 KiB');
    assert.equal(formatBytes(300 * 1024 * 1024), '300.0 MiB');
    assert.equal(formatDuration(12.4), '12s');
    assert.equal(formatDuration(185), '3m05s');
    assert.equal(formatDuration(3720), '1h02m');
    assert.equal(formatDuration(Infinity), '?');
  });

  it('writes plain lines with size, percentage, rate and ETA when not on a terminal', async () => {
    const { stream, text } = capture(false);
    const reporter = plainReporter({ stream, intervalMs: 0 });
    const file = reporter.start('model.safetensors', 4096, 1024);
    await tick();
    file.update(2048);
    file.done();
    reporter.note('a remark');
    reporter.close();
    const lines = text().trim().split('\n');
    assert.equal(lines[0], 'downloading model.safetensors (4.00 KiB), resuming at 1.00 KiB');
    assert.match(lines[1]!, /^model\.safetensors: 2\.00 KiB of 4\.00 KiB \(50%\), [\d.]+ (B|KiB|MiB)\/s, ETA \d+s$/);
    assert.equal(lines[2], 'downloaded model.safetensors (2.00 KiB)');
    assert.equal(lines[3], 'a remark');
  });

  it('throttles plain progress lines', () => {
    const { stream, text } = capture(false);
    const file = plainReporter({ stream, intervalMs: 60_000 }).start('config.json', undefined, 0);
    for (let i = 1; i <= 100; i++) file.update(i * 10);
    file.fail('connection reset');
    assert.deepEqual(text().trim().split('\n'), ['downloading config.json (unknown size)', 'config.json: stopped at 1000 B: connection reset']);
  });

  it('draws a bar with the file, sizes and rate on a terminal', async () => {
    const { stream, text } = capture(true);
    const reporter = terminalReporter(stream);
    const file = reporter.start('model.safetensors', 2 * 1024 * 1024, 0);
    await tick();
    file.update(1024 * 1024);
    file.done();
    reporter.close();
    const output = text();
    assert.match(output, /model\.safetensors/);
    assert.match(output, /2\.00 MiB/);
    assert.match(output, /100%/);
    assert.match(output, /\/s/);
  });

  it('the silent reporter says nothing', () => {
    // In a child process, so that anything it wrote to the terminal, at once or from a timer, is seen.
    const script = `
      import { silentReporter } from './src/io/progress.ts';
      const file = silentReporter.start('model.safetensors', 4096, 1024);
      await new Promise((resolve) => setTimeout(resolve, 20));
      file.update(2048);
      file.fail('connection reset');
      file.done();
      silentReporter.note('using the cached snapshot');
      silentReporter.close();
    `;
    const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: projectRoot, encoding: 'utf8' });
    assert.equal(child.status, 0, child.stderr);
    assert.equal(child.stdout, '');
    assert.equal(child.stderr, '');
  });
});
