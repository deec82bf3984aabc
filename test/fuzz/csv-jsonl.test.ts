/**
 * Fuzzing CSV and JSON Lines files (gzipped too, and .json arrays) with the head of real data sets
 * mutated as bytes, JSONL rows edited as JSON, and CSV made up from quotes, delimiters and line
 * breaks: each input ends in data rows or a DataError.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { dataFile } from '../data/shared-data.js';
import { as, dataFuzz } from './data-samples.js';
import { Sample, jsonText, mutatedBytes, mutatedJson, utf8 } from './harness.js';

/** The first `lines` lines of a real data file. */
function head(file: string, lines: number): Uint8Array {
  const buffer = new Uint8Array(64 * 1024);
  const fd = openSync(file, 'r');
  const read = readSync(fd, buffer, 0, buffer.byteLength, 0);
  closeSync(fd);
  const text = Buffer.from(buffer.subarray(0, read)).toString('utf8').split('\n').slice(0, lines).join('\n');
  return utf8(`${text}\n`);
}

// CSV: the head of a real data set, mutated; gzipped, or mutated after gzipping; and made up.
const surge = new Sample(head(dataFile('surge-toxicity', 'toxicity_en.csv'), 40), 'surge-toxicity head');
const jigsaw = new Sample(head(dataFile('jigsaw-sample', 'train.csv'), 30), 'jigsaw-sample head');
const csvPiece = fc.oneof(fc.constantFrom('"', '""', ',', '\n', '\r\n', '\r', 'text', 'label', 'is_toxic', 'Toxic', '1', '0', ' ', '\uFEFF', '\t'), fc.string({ maxLength: 6 }));
const madeUpCsv = fc.array(csvPiece, { maxLength: 60 }).map((pieces) => new Sample(utf8(`text,label\n${pieces.join('')}`), `made up ${JSON.stringify(pieces.join('')).slice(0, 300)}`));
dataFuzz('CSV', fc.oneof(
  mutatedBytes(surge).map(as('data.csv')),
  mutatedBytes(jigsaw).map(as('data.csv')),
  mutatedBytes(surge).map(as('data.csv.gz', true)),
  mutatedBytes(new Sample(new Uint8Array(gzipSync(surge.bytes)), 'surge-toxicity head gzipped')).map(as('data.csv.gz')),
  madeUpCsv.map(as('data.csv')),
));

// JSON Lines: the head of RealToxicityPrompts, mutated as bytes, one row edited as JSON, or as a .json array.
const rtpText = head(dataFile('rtp-prompts', 'toxic.jsonl'), 20);
const rtp = new Sample(rtpText, 'rtp-prompts head');
const rtpRows = Buffer.from(rtpText).toString('utf8').trim().split('\n');
const editedRow = fc.tuple(fc.nat({ max: rtpRows.length - 1 }), mutatedJson(JSON.parse(rtpRows[0]!))).map(([at, { value, recipe }]) => {
  const rows = [...rtpRows];
  rows[at] = jsonText(value);
  return new Sample(utf8(rows.join('\n')), `row ${at + 1} as row 1 with ${recipe}`);
});
const asArray = (sample: Sample) => new Sample(utf8(`[${Buffer.from(sample.bytes).toString('utf8').trim().split('\n').join(',')}]`), `${sample.recipe}, as a JSON array`);
dataFuzz('JSONL', fc.oneof(
  mutatedBytes(rtp).map(as('data.jsonl')),
  mutatedBytes(rtp).map(as('data.jsonl.gz', true)),
  editedRow.map(as('data.jsonl')),
  editedRow.map(asArray).map(as('data.json')),
));
