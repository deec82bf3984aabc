/** `irlens report RUN_DIR`: the page from a run folder, and a user error for a folder that is no run. */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { describeError } from '../../src/cli/errors.js';
import { readRun } from '../../src/report/index.js';
import { describeRun, irlens, temporaryDir } from '../cli/helpers.js';
import { writeFixtureRun } from './fixture.js';

test('irlens report draws the page where --out says, and --json tells what it holds', async () => {
  const dir = temporaryDir();
  const runDir = writeFixtureRun(dir);
  const out = join(dir, 'page.html');
  const drawn = await irlens(['report', runDir, '--out', out, '--json']);
  assert.equal(drawn.code, 0, describeRun(drawn));
  const result = JSON.parse(drawn.stdout);
  assert.equal(result.path, out);
  assert.equal(result.bytes, readFileSync(out).length);
  assert.ok(result.sections.includes('summary'));
  assert.deepEqual(result.missing.map((m: { section: string }) => m.section), ['reuse-benchmark', 'reuse-curves']);
});

test('a folder that is no run is a user error: exit 1 and one line saying why, no stack trace', () => {
  const dir = join(temporaryDir(), 'not-a-run');
  mkdirSync(dir);
  let error: unknown;
  try {
    readRun(dir);
  } catch (caught) {
    error = caught;
  }
  const { code, text } = describeError(error);
  assert.equal(code, 1);
  assert.match(text, /^irlens: .*not-a-run is not an irlens run folder: it has no config\.yaml and no completed stage.*\n$/);
});
