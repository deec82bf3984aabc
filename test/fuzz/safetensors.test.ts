/**
 * Fuzzing the safetensors reader with mutated real files, headers edited as JSON (framed
 * honestly or with a lying length) and generated headers: each input ends in tensors whose data
 * match their shapes, or in a CheckpointError.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import fc from 'fast-check';
import { CheckpointError, elementCount, readSafetensors, type TensorMap } from '../../src/io/index.js';
import { fixture, rawSafetensors, scratch } from '../io/helpers.js';
import { Sample, fuzzCheckpointFile, jsonText, mutatedBytes, mutatedJson, nastyJsonValue, writeInput } from './harness.js';

const folder = scratch();
after(folder.cleanup);
const file = join(folder.dir, 'model.safetensors');

/** A safetensors file from a header object (written out by jsonText, so it may nest deeply). */
const safetensors = (header: unknown, data: Uint8Array, length?: bigint) => rawSafetensors(jsonText(header), data, length);

/** One tensor of each dtype family, with metadata: the small valid file most inputs start from. */
const smallHeader = {
  __metadata__: { format: 'pt' },
  f32: { dtype: 'F32', shape: [2, 3], data_offsets: [0, 24] },
  i64: { dtype: 'I64', shape: [2], data_offsets: [24, 40] },
  f16: { dtype: 'F16', shape: [3], data_offsets: [40, 46] },
  bf16: { dtype: 'BF16', shape: [1, 1], data_offsets: [46, 48] },
  mask: { dtype: 'BOOL', shape: [4], data_offsets: [48, 52] },
  f64: { dtype: 'F64', shape: [1], data_offsets: [56, 64] },
  empty: { dtype: 'F32', shape: [0, 5], data_offsets: [64, 64] },
};
const smallData = Uint8Array.from({ length: 64 }, (_, i) => (i * 37) % 7);
const small = new Sample(safetensors(smallHeader, smallData), 'small.safetensors');
const real = new Sample(readFileSync(fixture('gpt-neox-tiny-fp16', 'model.safetensors')), 'gpt-neox-tiny-fp16/model.safetensors');

const dtype = fc.oneof(fc.constantFrom('F32', 'F16', 'BF16', 'F64', 'I64', 'I32', 'I16', 'U16', 'I8', 'U8', 'BOOL'), fc.string({ maxLength: 6 }));
const dimension = fc.oneof(fc.integer({ min: 0, max: 8 }), fc.constantFrom(-1, 2 ** 31, 2 ** 40, 2 ** 53, 1e20, 1.5));
const offset = fc.oneof(fc.integer({ min: 0, max: 300 }), fc.constantFrom(-8, 2 ** 32, 2 ** 40, 2 ** 53, 2 ** 64));

/** Headers made up from scratch: a few tensors with any dtype, shape and offsets, over up to 256 bytes of data. */
const generated = fc
  .tuple(
    fc.dictionary(fc.string({ maxLength: 8 }), fc.oneof(fc.record({ dtype, shape: fc.array(dimension, { maxLength: 4 }), data_offsets: fc.array(offset, { minLength: 2, maxLength: 2 }) }), nastyJsonValue), { maxKeys: 5 }),
    fc.uint8Array({ maxLength: 256 }),
  )
  .map(([header, data]) => new Sample(safetensors(header, data), `generated header ${jsonText(header).slice(0, 300)}`));

const editedHeader = mutatedJson(smallHeader).map(({ value, recipe }) => new Sample(safetensors(value, smallData), `small.safetensors header: ${recipe}`));
const lyingLength = fc
  .tuple(mutatedJson(smallHeader), fc.oneof(fc.bigInt({ min: 0n, max: 400n }), fc.constantFrom(2n ** 31n, 2n ** 40n, 99_999_999n, 100_000_001n, 2n ** 64n - 1n)))
  .map(([{ value, recipe }, length]) => new Sample(safetensors(value, smallData, length), `small.safetensors header: ${recipe}; length field ${length}`));

function checkTensors(result: unknown): void {
  for (const [name, record] of result as TensorMap) {
    assert.equal(record.data.length, elementCount(record.shape), `tensor '${name}' holds as many elements as its shape says`);
    assert.ok(record.dtype === 'float32' ? record.data instanceof Float32Array : record.data instanceof Int32Array, `tensor '${name}' data match its dtype`);
  }
}

test('safetensors: every input ends in tensors or a CheckpointError', async (t) => {
  await fuzzCheckpointFile(t, { name: 'safetensors', inputs: fc.oneof(mutatedBytes(small), mutatedBytes(real), editedHeader, lyingLength, generated), file, read: readSafetensors, check: checkTensors, refusals: [CheckpointError] });
});

test('safetensors: a 1 KB file whose header declares a 1 TB tensor is refused before anything is allocated', () => {
  const header = { huge: { dtype: 'F32', shape: [2 ** 18, 2 ** 20], data_offsets: [0, 2 ** 40] } };
  writeInput(file, safetensors(header, new Uint8Array(1024)));
  const before = process.memoryUsage().arrayBuffers;
  assert.throws(() => readSafetensors(file), (error: Error) => error instanceof CheckpointError && /outside the 1024 bytes of data/.test(error.message));
  assert.ok(process.memoryUsage().arrayBuffers - before < 1024 * 1024);
});
