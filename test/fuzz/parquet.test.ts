/**
 * Fuzzing Parquet files: small ones as hyparquet-writer writes them (flat, and with the struct
 * columns of RealToxicityPrompts), mutated as bytes, header and footer alike. Each input ends in
 * data rows or a DataError.
 */
import fc from 'fast-check';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { as, dataFuzz } from './data-samples.js';
import { rtpParquet } from '../data/rtp-parquet.js';
import { Sample, mutatedBytes } from './harness.js';

const flatParquet = new Sample(new Uint8Array(parquetWriteBuffer({
  rowGroupSize: 4,
  columnData: [
    { name: 'text', data: Array.from({ length: 10 }, (_, i) => `comment ${i}`), type: 'STRING' },
    { name: 'label', data: Array.from({ length: 10 }, (_, i) => BigInt(i % 2)), type: 'INT64' },
  ],
})), 'flat parquet');
const rtpParquetSample = new Sample(new Uint8Array(rtpParquet()), 'RealToxicityPrompts-shaped parquet');
// A decode that hangs is stopped after a second (src/data/parquet-decode.ts); the next input then waits for a fresh worker.
dataFuzz('Parquet', fc.oneof(mutatedBytes(flatParquet).map(as('data.parquet')), mutatedBytes(rtpParquetSample).map(as('data.parquet'))), 3000);
