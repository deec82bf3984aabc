/** readJsonLines: a JSONL file written whole, so unlike a log that grows a line at a time, even its last line must parse. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { UserError } from '../../src/errors.js';
import { readJsonLines } from '../../src/io/json-lines.js';

const dir = mkdtempSync(join(tmpdir(), 'irlens-json-lines-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('reads one value per line, blank lines skipped', () => {
  const file = join(dir, 'rows.jsonl');
  writeFileSync(file, '{"text": "a"}\n\n{"text": "b"}\n');
  assert.deepEqual(readJsonLines(file), [{ text: 'a' }, { text: 'b' }]);
});

test('a damaged line, the last one too, is a user error naming the file and line', () => {
  const file = join(dir, 'damaged.jsonl');
  writeFileSync(file, '{"text": "a"}\n{"text": ');
  assert.throws(() => readJsonLines(file), (error: unknown) => error instanceof UserError && error.message.startsWith(`${file}:2: not valid JSON`));
});
