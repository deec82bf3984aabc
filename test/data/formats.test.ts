/** Reading small files written here: CSV with BOM and CRLF, TSV, JSONL, JSON, gzip, Parquet (snappy, gzip, structs). */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { formatFromPath, loadFile, readRecords } from '../../src/data/index.js';
import { temporaryFolder } from './shared-data.js';
import { rtpParquet } from './rtp-parquet.js';

describe('data file formats', () => {
  let folder: ReturnType<typeof temporaryFolder>;
  before(() => {
    folder = temporaryFolder();
  });
  after(() => folder.remove());
  const write = (name: string, content: string | Uint8Array | ArrayBuffer) => {
    const path = join(folder.dir, name);
    writeFileSync(path, content instanceof ArrayBuffer ? new Uint8Array(content) : content);
    return path;
  };

  it('tells the format from the extension', () => {
    assert.equal(formatFromPath('a/b.JSONL'), 'jsonl');
    assert.equal(formatFromPath('x.ndjson.gz'), 'jsonl');
    assert.equal(formatFromPath('x.csv'), 'csv');
    assert.equal(formatFromPath('x.tsv'), 'tsv');
    assert.equal(formatFromPath('train-00000-of-00001.parquet'), 'parquet');
    assert.equal(formatFromPath('x.txt'), undefined);
  });

  it('reads CSV with a byte-order mark and CRLF line ends, keeping CRLF inside quoted fields', async () => {
    const path = write('bom.csv', '\uFEFFid,text,label\r\n1,"first line\r\nsecond, line",1\r\n2,"say ""hi""",0\r\n\r\n3,plain,false\r\n');
    const { columns, records } = await readRecords(path);
    assert.deepEqual(columns, ['id', 'text', 'label']); // no BOM glued to "id"
    assert.deepEqual(records.map((r) => [r.row, r.line, r.values.text]), [
      [1, 2, 'first line\r\nsecond, line'],
      [2, 4, 'say "hi"'],
      [3, 6, 'plain'],
    ]);
    const { rows, file } = await loadFile(path);
    assert.equal(file.schema.name, 'generic');
    assert.deepEqual(rows.map((r) => [r.id, r.label]), [['1', 1], ['2', 0], ['3', 0]]);
  });

  it('reads TSV, a format given explicitly, and a custom column mapping', async () => {
    const path = write('data.txt', 'comment\tscore\nhello there\t0.9\nfine day\t0.1\n');
    const { rows, file } = await loadFile(path, { format: 'tsv', textColumn: 'comment', labelColumn: 'score', threshold: 0.5 });
    assert.equal(file.format, 'tsv');
    assert.equal(file.schema.labelRule, 'toxic = score ≥ 0.5');
    assert.deepEqual(rows.map((r) => [r.text, r.label]), [['hello there', 1], ['fine day', 0]]);
  });

  it('maps label values: words, booleans, positiveValues; skips rows with no label', async () => {
    const path = write('words.jsonl', [
      { text: 'a', label: 'Toxic' }, { text: 'b', label: 'Not Toxic' }, { text: 'c', label: true }, { text: 'd', label: null }, { text: 'e', label: 'no' },
    ].map((o) => JSON.stringify(o)).join('\n'));
    const { rows, file } = await loadFile(path);
    assert.deepEqual(rows.map((r) => [r.text, r.label]), [['a', 1], ['b', 0], ['c', 1], ['e', 0]]);
    assert.equal(file.missingLabel, 1);
    const hate = write('classes.csv', 'tweet_text,category\nx,hate\ny,none\nz,offensive\n');
    const mapped = await loadFile(hate, { textColumn: 'tweet_text', labelColumn: 'category', positiveValues: ['hate', 'offensive'] });
    assert.deepEqual(mapped.rows.map((r) => r.label), [1, 0, 1]);
  });

  it('reads jigsaw-long-2000 style prompt/original_output/toxic rows', async () => {
    const path = write('long.csv', 'prompt,original_output,toxic\n"You are such a"," wonderful person",0\nShut up,you idiot,1\n');
    const { rows, file } = await loadFile(path);
    assert.equal(file.schema.name, 'jigsaw-long');
    assert.deepEqual(rows.map((r) => [r.prompt, r.continuation, r.text, r.label]), [
      ['You are such a', ' wonderful person', 'You are such a wonderful person', 0],
      ['Shut up', 'you idiot', 'Shut up you idiot', 1],
    ]);
  });

  it('reads gzip-compressed JSONL, a JSON array, and JSONL with a BOM and CRLF', async () => {
    const lines = '{"text":"one","label":1}\n{"text":"two","label":0}\n';
    const gz = await loadFile(write('rows.jsonl.gz', gzipSync(lines)));
    assert.deepEqual(gz.rows.map((r) => r.text), ['one', 'two']);
    const array = await loadFile(write('rows.json', JSON.stringify([{ text: 'x', toxic: 0 }, { text: 'y', toxic: 1 }])));
    assert.deepEqual(array.rows.map((r) => [r.text, r.label]), [['x', 0], ['y', 1]]);
    const crlf = await loadFile(write('crlf.jsonl', '\uFEFF{"text":"a\\r\\nb","label":0}\r\n\r\n{"text":"c","label":1}\r\n'));
    assert.deepEqual(crlf.rows.map((r) => [r.text, r.row, r.line]), [['a\r\nb', 1, 1], ['c', 2, 3]]);
  });

  for (const codec of ['SNAPPY', 'GZIP', 'UNCOMPRESSED'] as const) {
    it(`reads Parquet compressed with ${codec}, several row groups, 64-bit integer labels`, async () => {
      const texts = Array.from({ length: 25 }, (_, i) => (i === 3 ? 'line one\nline two' : `comment number ${i}`));
      const buffer = parquetWriteBuffer({
        codec,
        compressors: { GZIP: (input: Uint8Array) => new Uint8Array(gzipSync(input)) },
        rowGroupSize: 10,
        columnData: [
          { name: 'text', data: texts, type: 'STRING' },
          { name: 'label', data: texts.map((_, i) => BigInt(i % 3 === 0 ? 1 : 0)), type: 'INT64' },
        ],
      });
      const { rows, file } = await loadFile(write(`rows-${codec}.parquet`, buffer));
      assert.equal(file.format, 'parquet');
      assert.deepEqual(file.columns, ['text', 'label']);
      assert.equal(rows.length, 25);
      assert.equal(rows.filter((r) => r.label === 1).length, 9);
      assert.equal(rows[3]!.text, 'line one\nline two');
      assert.deepEqual(rows.map((r) => r.row), Array.from({ length: 25 }, (_, i) => i + 1));
    });
  }

  it('reads RealToxicityPrompts from Parquet with struct columns (as on the Hugging Face hub)', async () => {
    const buffer = rtpParquet();
    const path = write('rtp.parquet', buffer);
    const { rows, file } = await loadFile(path);
    assert.equal(file.schema.name, 'rtp');
    assert.deepEqual(rows.map((r) => [r.text, r.label, r.scores]), [
      ['You are awful.', 1, { 'prompt.toxicity': 0.7, 'continuation.toxicity': 0.9 }],
      ['The weather is nice.', 0, { 'prompt.toxicity': 0.1 }],
    ]);
    // Labelled by the continuation instead, the row with no continuation score has no label.
    const byContinuation = await loadFile(path, { rtpLabelFrom: 'continuation' });
    assert.deepEqual([byContinuation.rows.length, byContinuation.file.missingLabel], [1, 1]);
  });
});

describe('data file read errors outside the syntax', () => {
  it('a truncated .gz names the file', async () => {
    const folder = temporaryFolder();
    try {
      const whole = gzipSync(Array.from({ length: 2000 }, (_, i) => JSON.stringify({ text: `row ${i} ${'x'.repeat(i % 50)}`, label: i % 2 })).join('\n'));
      const path = join(folder.dir, 'cut.jsonl.gz');
      writeFileSync(path, whole.subarray(0, Math.floor(whole.length / 2)));
      await assert.rejects(loadFile(path), /cut\.jsonl\.gz: the file could not be read/);
    } finally {
      folder.remove();
    }
  });
});
