/** Curation: splitting, filters, de-duplication, balancing, the seeded stratified split, and the written files. */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { curate, curateCommand, type CurationManifest, type DataRow, countWords, loadFile } from '../../src/data/index.js';
import { dataFile, projectRoot, temporaryFolder } from './shared-data.js';

const row = (text: string, label: 0 | 1, index: number, extra: Partial<DataRow> = {}): DataRow => ({ id: `r${index}`, text, label, file: 'mem', row: index + 1, ...extra });
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

describe('curate (in memory)', () => {
  const rows: DataRow[] = [
    row('one two three four five six', 1, 0),
    row('   ', 0, 1),
    row('alpha beta gamma', 0, 2),
    row('Alpha   BETA gamma', 0, 3),
    row('single', 1, 4),
    row('a b c d e f g h i j k l', 0, 5),
    row('', 1, 6),
  ];

  it('with no options keeps every row that has non-empty text, in order', () => {
    const result = curate(rows);
    assert.deepEqual(result.rows.map((r) => r.id), ['r0', 'r2', 'r3', 'r4', 'r5']);
    assert.equal(result.inputRows, 7);
    assert.equal(result.dropped['empty-text'], 2);
    assert.equal(Object.values(result.dropped).reduce((a, b) => a + b, 0), 2);
    assert.deepEqual(result.labels, { '0': 3, '1': 2 });
    assert.equal(result.splits.train.rows + result.splits.test.rows, 5);
  });

  it('splits by words into prompt + continuation that join back to the text', () => {
    const result = curate(rows, { promptLength: 3, testFraction: 0 });
    assert.equal(result.dropped['too-short-to-split'], 3); // the two three-word texts and "single" have no word left over
    for (const r of result.rows) {
      assert.equal(r.prompt! + r.continuation!, r.text);
      assert.equal(countWords(r.prompt!), 3);
    }
    assert.deepEqual(result.rows.map((r) => r.id), ['r0', 'r5']);
    assert.equal(result.rows[0]!.prompt, 'one two three');
    assert.equal(result.rows[0]!.continuation, ' four five six');
    const halves = curate(rows, { promptFraction: 0.5 });
    assert.equal(halves.dropped['too-short-to-split'], 1); // only "single"
    assert.deepEqual(halves.rows.map((r) => countWords(r.prompt!)), [3, 2, 2, 6]);
  });

  it('splits by tokens with any encode/decode tokenizer, and filters by token lengths', () => {
    const characters = { encode: (text: string) => Array.from(text, (c) => c.codePointAt(0)!), decode: (ids: number[]) => String.fromCodePoint(...ids) };
    const result = curate(rows, { promptLength: 4, splitUnit: 'tokens', tokenizer: characters, lengthUnit: 'tokens', minContinuationLength: 12 });
    assert.deepEqual(result.rows.map((r) => [r.prompt, r.continuation]), [
      ['one ', 'two three four five six'],
      ['alph', 'a beta gamma'],
      ['Alph', 'a   BETA gamma'],
      ['a b ', 'c d e f g h i j k l'],
    ]);
    assert.equal(result.dropped['continuation-too-short'], 1); // "single": 2 characters left
    assert.throws(() => curate(rows, { minTextLength: 3, lengthUnit: 'tokens' }), /need a tokenizer/);
  });

  it('filters by length and counts each reason', () => {
    const result = curate(rows, { minTextLength: 2, maxTextLength: 6 });
    assert.equal(result.dropped['text-too-short'], 1);
    assert.equal(result.dropped['text-too-long'], 1);
    assert.deepEqual(result.rows.map((r) => r.id), ['r0', 'r2', 'r3']);
    const prompts = curate(rows, { promptLength: 2, minPromptLength: 2, maxContinuationLength: 3 });
    assert.equal(prompts.dropped['continuation-too-long'], 2);
    assert.deepEqual(prompts.rows.map((r) => r.id), ['r2', 'r3']);
  });

  it('de-duplicates on normalised text (case, whitespace, NFKC), keeping the first', () => {
    const result = curate([...rows, row('ｏｎｅ two three\tfour five six', 1, 7)], { dedupe: true });
    assert.equal(result.dropped.duplicate, 2);
    assert.deepEqual(result.rows.map((r) => r.id), ['r0', 'r2', 'r4', 'r5']);
  });

  it('balances by down-sampling the majority label, seeded, and keeps file order', () => {
    const many = Array.from({ length: 40 }, (_, i) => row(`text ${i}`, i % 4 === 0 ? 1 : 0, i));
    const a = curate(many, { balance: true, seed: 3 });
    assert.deepEqual(a.labels, { '0': 10, '1': 10 });
    assert.equal(a.dropped.balance, 20);
    assert.deepEqual(a.rows.map((r) => r.row), [...a.rows.map((r) => r.row)].sort((x, y) => x - y));
    assert.deepEqual(curate(many, { balance: true, seed: 3 }).rows, a.rows);
    assert.notDeepEqual(curate(many, { balance: true, seed: 4 }).rows.map((r) => r.id), a.rows.map((r) => r.id));
    const capped = curate(many, { maxRowsPerLabel: 5 });
    assert.deepEqual([capped.labels, capped.dropped['label-cap']], [{ '0': 5, '1': 5 }, 30]);
  });

  it('splits train/test stratified by label', () => {
    const many = Array.from({ length: 103 }, (_, i) => row(`text ${i}`, i % 3 === 0 ? 1 : 0, i));
    const result = curate(many, { testFraction: 0.25, seed: 'abc' });
    // 35 toxic, 68 not: round(35/4) = 9 and round(68/4) = 17 go to test.
    assert.deepEqual(result.splits.test, { rows: 26, labels: { '0': 17, '1': 9 } });
    assert.deepEqual(result.splits.train, { rows: 77, labels: { '0': 51, '1': 26 } });
    assert.equal(curate(many, { testFraction: 0 }).splits.test.rows, 0);
  });
});

describe('curateCommand (files)', () => {
  let folder: ReturnType<typeof temporaryFolder>;
  before(() => {
    folder = temporaryFolder();
  });
  after(() => folder.remove());
  const jigsaw = dataFile('jigsaw-sample', 'train.csv');

  it('writes byte-identical files for the same seed and another split for another seed', async () => {
    const options = { input: jigsaw, promptFraction: 0.5, minPromptLength: 3, balance: true, testFraction: 0.3 };
    const first = await curateCommand({ ...options, outDir: join(folder.dir, 'a'), seed: 7 });
    const again = await curateCommand({ ...options, outDir: join(folder.dir, 'b'), seed: 7 });
    const other = await curateCommand({ ...options, outDir: join(folder.dir, 'c'), seed: 8 });
    for (const name of ['curated.jsonl', 'manifest.json']) {
      assert.ok(readFileSync(join(folder.dir, 'a', name)).equals(readFileSync(join(folder.dir, 'b', name))), `${name} differs between two runs with seed 7`);
    }
    const curatedA = readFileSync(first.curatedFile, 'utf8');
    const curatedC = readFileSync(other.curatedFile, 'utf8');
    assert.notEqual(curatedA, curatedC);
    const testIds = (text: string) => text.trim().split('\n').map((l) => JSON.parse(l) as { id: string; split: string }).filter((r) => r.split === 'test').map((r) => r.id);
    assert.notDeepEqual(testIds(curatedA), testIds(curatedC));
    assert.equal(first.keptRows, other.keptRows);
    assert.deepEqual(again.splits, first.splits);
    // Nothing else (no temporary files) is left in the folder.
    assert.deepEqual(readdirSync(join(folder.dir, 'a')).sort(), ['curated.jsonl', 'manifest.json']);
  });

  it('records hashes, counts, parameters and the version in the manifest', async () => {
    const summary = await curateCommand({ input: jigsaw, outDir: join(folder.dir, 'm'), dedupe: true, seed: 1 });
    const manifest = JSON.parse(readFileSync(summary.manifestFile, 'utf8')) as CurationManifest;
    const packageJson = JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')) as { version: string };
    assert.equal(manifest.irlens.version, packageJson.version);
    assert.equal(manifest.inputs[0]!.sha256, sha256(readFileSync(jigsaw)));
    assert.equal(manifest.inputs[0]!.rows, 282);
    assert.equal(manifest.inputs[0]!.schema.name, 'jigsaw');
    assert.equal(manifest.outputs['curated.jsonl'].sha256, sha256(readFileSync(summary.curatedFile)));
    assert.equal(manifest.parameters.seed, 1);
    assert.equal(manifest.parameters.testFraction, 0.2);
    assert.equal(manifest.parameters.dedupe, true);
    assert.equal(manifest.parameters.balance, false);
    assert.equal(manifest.parameters.minPromptLength, null);
    assert.equal(manifest.counts.inputRows, 282);
    const lines = readFileSync(summary.curatedFile, 'utf8').trim().split('\n');
    assert.equal(lines.length, manifest.counts.keptRows);
    assert.equal(manifest.counts.keptRows + Object.values(manifest.counts.dropped).reduce((a, b) => a + b, 0), 282);
    assert.equal(manifest.counts.labels['0'] + manifest.counts.labels['1'], manifest.counts.keptRows);
    assert.equal(manifest.counts.splits.train.rows + manifest.counts.splits.test.rows, manifest.counts.keptRows);
    const firstRow = JSON.parse(lines[0]!) as Record<string, unknown>;
    assert.deepEqual(Object.keys(firstRow), ['id', 'split', 'label', 'text', 'scores', 'file', 'row', 'line']);
    assert.deepEqual(summary.labels, manifest.counts.labels);
  });

  it('curates RealToxicityPrompts from two files, balanced', async () => {
    const summary = await curateCommand({
      input: [dataFile('rtp-prompts', 'toxic.jsonl'), dataFile('rtp-prompts', 'nontoxic.jsonl')],
      outDir: join(folder.dir, 'rtp'),
      balance: true,
      seed: 0,
    });
    assert.equal(summary.inputRows, 2396);
    assert.deepEqual(summary.labels, { '0': 993, '1': 993 }); // 993 toxic prompts; 203 + 1200 non-toxic, down-sampled
    assert.equal(summary.dropped.balance, 2396 - 1986);
    assert.deepEqual(summary.splits.test.labels, { '0': 199, '1': 199 });
    const first = JSON.parse(readFileSync(summary.curatedFile, 'utf8').split('\n')[0]!) as { prompt: string; continuation: string; text: string };
    assert.equal(first.text, first.prompt + first.continuation);
  });

  it('keeps the prompts of a schema that has them, and re-splits when asked', async () => {
    const { rows } = await loadFile(dataFile('rtp-prompts', 'nontoxic.jsonl'));
    const kept = curate(rows.slice(0, 20));
    assert.deepEqual(kept.rows.map((r) => r.prompt), rows.slice(0, 20).map((r) => r.prompt));
    const resplit = curate(rows.slice(0, 20), { promptLength: 2 });
    for (const r of resplit.rows) assert.equal(countWords(r.prompt!), 2);
  });
});
