/** Problems a user can cause give typed errors that name the file, the row or line, and a fix. */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parquetWriteBuffer } from 'hyparquet-writer';
import {
  CsvSyntaxError, DataError, DataOptionError, EmptyDatasetError, JsonSyntaxError, LabelValueError, MissingFileError, ParquetReadError,
  UnknownColumnError, curate, curateCommand, loadFile, readRecords,
} from '../../src/data/index.js';
import { dataFile, temporaryFolder } from './shared-data.js';

describe('data errors', () => {
  let folder: ReturnType<typeof temporaryFolder>;
  before(() => {
    folder = temporaryFolder();
  });
  after(() => folder.remove());
  const write = (name: string, content: string | Uint8Array) => {
    const path = join(folder.dir, name);
    writeFileSync(path, content);
    return path;
  };

  it('a missing file', async () => {
    const path = join(folder.dir, 'nope.csv');
    await assert.rejects(loadFile(path), (error: unknown) => {
      assert.ok(error instanceof MissingFileError && error instanceof DataError);
      assert.equal(error.file, path);
      assert.match(error.message, /does not exist; check the path/);
      return true;
    });
    await assert.rejects(curateCommand({ input: path, outDir: join(folder.dir, 'out') }), MissingFileError);
    await assert.rejects(loadFile(folder.dir), /not a file/);
  });

  it('an unknown column lists the columns and suggests the closest', async () => {
    await assert.rejects(loadFile(dataFile('jigsaw-sample', 'train.csv'), { schema: 'jigsaw', textColumn: 'coment_text' }), (error: unknown) => {
      assert.ok(error instanceof UnknownColumnError);
      assert.equal(error.column, 'coment_text');
      assert.equal(error.suggestion, 'comment_text');
      assert.deepEqual(error.columns, ['id', 'comment_text', 'toxic', 'severe_toxic', 'obscene', 'threat', 'insult', 'identity_hate']);
      assert.match(error.message, /"coment_text" is not in the file; its columns are "id", "comment_text", .*did you mean "comment_text"\?/);
      return true;
    });
    // Nested paths are listed for JSONL objects.
    await assert.rejects(loadFile(dataFile('rtp-prompts', 'toxic.jsonl'), { schema: 'rtp', labelColumn: 'prompt.toxcity' }), (error: unknown) => {
      assert.ok(error instanceof UnknownColumnError);
      assert.equal(error.suggestion, 'prompt.toxicity');
      assert.ok(error.columns.includes('continuation.severe_toxicity'));
      return true;
    });
    await assert.rejects(loadFile(write('x.csv', 'body,stars\nhi,5\n')), /schema cannot be told from the columns \("body", "stars"\)/);
  });

  it('nothing left after filtering says which filter removed how many', async () => {
    await assert.rejects(
      curateCommand({ input: dataFile('jigsaw-sample', 'train.csv'), outDir: join(folder.dir, 'empty'), promptLength: 5, minTextLength: 3000 }),
      (error: unknown) => {
        assert.ok(error instanceof EmptyDatasetError);
        assert.deepEqual(error.dropped, { 'too-short-to-split (promptLength 5 words)': 11, 'text-too-short (minTextLength 3000 words)': 271 });
        assert.match(error.message, /nothing is left after filtering: 282 rows read; too-short-to-split \(promptLength 5 words\) removed 11, text-too-short \(minTextLength 3000 words\) removed 271; loosen/);
        return true;
      },
    );
    const oneLabel = [{ id: 'a', text: 'x', label: 1 as const, file: 'f', row: 1 }];
    assert.throws(() => curate(oneLabel, { balance: true }), /balance removed 1/);
  });

  it('a CSV with a broken quote names the line where the record starts', async () => {
    const unclosed = write('unclosed.csv', 'text,label\r\nfine,0\r\n"also\r\nfine",1\r\n"never closed,1\r\nmore,0\r\nrows,1\r\n');
    await assert.rejects(readRecords(unclosed), (error: unknown) => {
      assert.ok(error instanceof CsvSyntaxError);
      assert.equal(error.line, 5);
      assert.match(error.message, /unclosed\.csv \(line 5\): a quoted field in the record that starts on line 5 is never closed/);
      return true;
    });
    const stray = write('stray.csv', 'text,label\nfine,0\n"bad"quote,1\n');
    await assert.rejects(readRecords(stray), (error: unknown) => error instanceof CsvSyntaxError && error.line === 3 && /Invalid Closing Quote/.test(error.message));
    const ragged = write('ragged.csv', 'text,label\nfine,0\n\nsplit, here,1\n');
    await assert.rejects(readRecords(ragged), (error: unknown) => error instanceof CsvSyntaxError && error.line === 4 && /as many fields as the header/.test(error.message));
    await assert.rejects(readRecords(write('blank.csv', '')), /file is empty/);
  });

  it('an unreadable Parquet file', async () => {
    await assert.rejects(loadFile(write('garbage.parquet', 'this is not parquet at all')), (error: unknown) => {
      assert.ok(error instanceof ParquetReadError);
      assert.match(error.message, /garbage\.parquet: this is not a readable Parquet file/);
      return true;
    });
    const good = new Uint8Array(parquetWriteBuffer({ columnData: [{ name: 'text', data: ['a', 'b'] }, { name: 'label', data: [0, 1], type: 'INT32' }] }));
    const truncated = write('truncated.parquet', good.slice(0, good.length - 20));
    await assert.rejects(loadFile(truncated), ParquetReadError);
    const corrupt = good.slice();
    corrupt.fill(0xff, 4, 40); // the first column chunk's pages
    await assert.rejects(loadFile(write('corrupt.parquet', corrupt)), ParquetReadError);
    // Found by fuzzing: a footer whose root claims more columns than it lists failed with a raw TypeError.
    const oneColumn = Buffer.from(parquetWriteBuffer({ columnData: [{ name: 'text', data: ['a'], type: 'STRING' }] })).toString('hex');
    const twoClaimed = Buffer.from(oneColumn.replace('04726f6f74150200', '04726f6f74150400'), 'hex'); // "root", num_children 1 → 2
    await assert.rejects(loadFile(write('children.parquet', twoClaimed)), /children\.parquet: this is not a readable Parquet file/);
  });

  it('a Parquet page or footer that sends the reader into an endless loop is stopped (found by fuzzing: it hung)', async () => {
    // One row of one column, whose V2 page header lacks repetition_levels_byte_length (its field
    // id is moved to 7) and whose levels start with a 0 byte: hyparquet then reads offset NaN for ever.
    const hanging = Buffer.from(
      '504152311506150e15125c15021500150215001504250000000001051001000000611504192c4804726f6f74150200150c25021804746578742500001602191c191c' +
        '26081c150c19150019180474657874150216021638163c26083c360028016118016100191c15061500150200000016381602363c002809687970617271756574191c1c0000006600000050415231',
      'hex',
    );
    const started = Date.now();
    await assert.rejects(loadFile(write('hanging.parquet', hanging)), (error: unknown) => {
      assert.ok(error instanceof ParquetReadError);
      assert.match(error.message, /hanging\.parquet: rows 1–1 could not be read \(reading did not finish within 1\.0 s and was stopped/);
      return true;
    });
    assert.ok(Date.now() - started < 10_000);
    // A footer whose struct column claims -1 children sends hyparquet round one schema element for ever.
    const struct = Buffer.from(parquetWriteBuffer({
      columnData: [{ name: 'prompt', data: [{ text: 'You are', toxicity: 0.7 }] }],
      schema: [
        { name: 'root', num_children: 1 },
        { name: 'prompt', repetition_type: 'OPTIONAL', num_children: 2 },
        { name: 'text', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' },
        { name: 'toxicity', type: 'DOUBLE', repetition_type: 'OPTIONAL' },
      ],
    })).toString('hex');
    const minusOne = Buffer.from(struct.replace('0670726f6d70741504', '0670726f6d70741501'), 'hex'); // "prompt", num_children 2 → -1
    await assert.rejects(loadFile(write('minus-one.parquet', minusOne)), /minus-one\.parquet: this is not a readable Parquet file \(reading did not finish within 1\.0 s/);
    // The next file gets a fresh decoder.
    const good = new Uint8Array(parquetWriteBuffer({ columnData: [{ name: 'text', data: ['a', 'b'] }, { name: 'label', data: [0, 1], type: 'INT32' }] }));
    assert.equal((await loadFile(write('after.parquet', good))).rows.length, 2);
  });

  it('a label or an id nested 5,000 deep is refused, not a stack overflow (found by fuzzing)', async () => {
    const deep = '['.repeat(5000) + ']'.repeat(5000);
    await assert.rejects(loadFile(write('deep-label.jsonl', `{"text": "a", "label": ${deep}}\n`)), (error: unknown) => {
      assert.ok(error instanceof LabelValueError);
      assert.match(error.message, /the label column "label" holds \[{80}…, which is not 0\/1/);
      return true;
    });
    await assert.rejects(loadFile(write('deep-label.jsonl', `{"text": "a", "label": ${deep}}\n`), { positiveValues: ['1'] }), LabelValueError);
    const rtp = (filename: string) => `{"filename": ${filename}, "prompt": {"text": "a", "toxicity": 0.9}, "continuation": {"text": "b", "toxicity": 0.1}}\n`;
    await assert.rejects(loadFile(write('deep-id.jsonl', rtp(deep))), (error: unknown) => {
      assert.ok(error instanceof DataError);
      assert.match(error.message, /the id column "filename" holds a list, \[{80}…, not an id/);
      return true;
    });
    assert.equal((await loadFile(write('id.jsonl', rtp('"a.txt"')))).rows[0]!.id, 'a.txt#-');
  });

  it('a label that cannot be read, bad JSON, and bad options', async () => {
    const labels = write('labels.csv', 'text,label\na,1\nb,maybe\n');
    await assert.rejects(loadFile(labels), (error: unknown) => {
      assert.ok(error instanceof LabelValueError);
      assert.deepEqual([error.row, error.line], [2, 3]);
      assert.match(error.message, /"maybe", which is not 0\/1.*pass positiveValues/);
      return true;
    });
    await assert.rejects(loadFile(write('score.jsonl', '{"text":"a","label":0.7}\n')), /pass threshold/);
    await assert.rejects(loadFile(write('bad.jsonl', '{"text":"a","label":1}\n{"text": oops}\n')), (error: unknown) => error instanceof JsonSyntaxError && error.line === 2);
    await assert.rejects(loadFile(write('array.jsonl', '[1,2]\n')), /expected a JSON object/);
    await assert.rejects(loadFile(write('data.xyz', 'text,label\n')), /format cannot be told/);
    assert.throws(() => curate([], { testFraction: 1.5 }), DataOptionError);
    assert.throws(() => curate([], { promptLength: 3, promptFraction: 0.5 }), /both given/);
    assert.throws(() => curate([{ id: 'a', text: 'x y', label: 0, file: 'f', row: 1 }], { minPromptLength: 1 }), /need prompts/);
  });
});
