/**
 * What the data-file fuzz tests share: a sample that knows its file name (whose extension sets
 * the format), and the test: each input ends in data rows or a DataError.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { after, test } from 'node:test';
import type fc from 'fast-check';
import { DataError, loadFile } from '../../src/data/index.js';
import { scratch } from '../io/helpers.js';
import { Sample, fuzz, writeInput } from './harness.js';

const folder = scratch();
after(folder.cleanup);

/** A data file to write under `name` (its extension sets the format), and how it was made. */
export class DataSample extends Sample {
  constructor(
    readonly name: string,
    bytes: Uint8Array,
    recipe: string,
  ) {
    super(bytes, `${name}: ${recipe}`);
  }
}

export const as = (name: string, gzip = false) => (sample: Sample) => new DataSample(name, gzip ? new Uint8Array(gzipSync(sample.bytes)) : sample.bytes, sample.recipe + (gzip ? ', gzipped' : ''));

export function dataFuzz(name: string, inputs: fc.Arbitrary<DataSample>, timeLimitMs?: number) {
  test(`${name} files: every input ends in data rows or a DataError`, async (t) => {
    await fuzz(t, {
      name,
      inputs,
      async parse(sample: DataSample) {
        const path = join(folder.dir, sample.name);
        writeInput(path, sample.bytes);
        return (await loadFile(path)).rows;
      },
      refusals: [DataError],
      bytes: (sample) => sample.bytes.byteLength,
      // Rows are JavaScript objects; what is bounded here is buffers (a gzip or Parquet page inflating).
      allocationFactor: 64,
      timeLimitMs,
      check(rows) {
        for (const row of rows as { text: unknown; label: unknown }[]) {
          assert.equal(typeof row.text, 'string');
          assert.ok(row.label === 0 || row.label === 1 || row.label === undefined, `label ${String(row.label)} is 0 or 1`);
        }
      },
    });
  });
}

