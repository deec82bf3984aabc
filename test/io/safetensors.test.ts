import { strict as assert } from 'node:assert';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { CheckpointError, WriteFailedError } from '../../src/io/errors.js';
import type { TensorMap, TensorRecord } from '../../src/io/record.js';
import { MAX_HEADER_BYTES, readSafetensors, readSafetensorsHeader, writeSafetensors } from '../../src/io/safetensors.js';
import { bytesOf, fixture, rawSafetensors, scratch } from './helpers.js';

/** Asserts that `fn` throws a CheckpointError naming `file` and matching `problem`. */
function assertCheckpointError(fn: () => unknown, file: string, problem: RegExp): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof CheckpointError, `expected a CheckpointError, got ${String(error)}`);
    assert.equal(error.file, file);
    assert.ok(error.message.includes(file), `message should name the file: ${error.message}`);
    assert.match(error.message, problem);
    return true;
  });
}

describe('safetensors fixtures', () => {
  it('reads the float32 gpt-neox-tiny weights with the shapes the header lists', () => {
    const tensors = readSafetensors(fixture('gpt-neox-tiny', 'model.safetensors'));
    assert.equal(tensors.size, 28);
    const embed = tensors.get('gpt_neox.embed_in.weight')!;
    assert.equal(embed.dtype, 'float32');
    assert.deepEqual(embed.shape, [576, 64]);
    assert.ok(embed.data instanceof Float32Array && embed.data.length === 576 * 64);
    assert.deepEqual(tensors.get('gpt_neox.layers.0.attention.query_key_value.weight')!.shape, [192, 64]);
    assert.ok(embed.data.every(Number.isFinite));
  });

  it('reads float16 weights as float32, equal to the float32 weights up to float16 rounding', () => {
    const full = readSafetensors(fixture('gpt-neox-tiny', 'model.safetensors'));
    const half = readSafetensors(fixture('gpt-neox-tiny-fp16', 'model.safetensors'));
    assert.deepEqual([...half.keys()].sort(), [...full.keys()].sort());
    for (const [name, record] of half) {
      const reference = full.get(name)!;
      assert.equal(record.dtype, 'float32');
      assert.deepEqual(record.shape, reference.shape);
      for (let i = 0; i < record.data.length; i++) {
        const want = reference.data[i]!;
        // Round-to-nearest float16 is within half an ulp: 2^-11 relative, 2^-25 absolute for subnormals.
        const tolerance = Math.max(Math.abs(want) * 2 ** -11, 2 ** -25);
        assert.ok(Math.abs(record.data[i]! - want) <= tolerance, `${name}[${i}]: ${record.data[i]} vs ${want}`);
      }
    }
  });

  it('reads the other fixtures and their golden files (I64 ids become int32)', () => {
    assert.equal(readSafetensors(fixture('llama-tiny', 'model.safetensors')).size, 20);
    assert.equal(readSafetensors(fixture('roberta-tiny-classifier', 'model.safetensors')).size, 41);
    const golden = readSafetensors(fixture('gpt-neox-tiny', 'golden.safetensors'));
    const ids = golden.get('input_ids')!;
    assert.equal(ids.dtype, 'int32');
    assert.deepEqual(ids.shape, [3, 17]);
    assert.ok(ids.data.every((id) => id >= 0 && id < 576));
  });

  it('reads the header alone, with its metadata', () => {
    const header = readSafetensorsHeader(fixture('gpt-neox-tiny', 'model.safetensors'));
    assert.deepEqual(header.metadata, { format: 'pt' });
    assert.equal(header.entries.length, 28);
    assert.equal(header.dataStart % 8, 0);
  });

  it('reads only the requested names, and refuses a name the file lacks', () => {
    const file = fixture('gpt-neox-tiny', 'model.safetensors');
    const some = readSafetensors(file, { names: ['embed_out.weight'] });
    assert.deepEqual([...some.keys()], ['embed_out.weight']);
    assertCheckpointError(() => readSafetensors(file, { names: ['nope'] }), file, /no tensor named 'nope'/);
  });
});

describe('safetensors dtype conversion', () => {
  it('converts F16, BF16, F64, I64, I32, BOOL', () => {
    const { dir, cleanup } = scratch();
    try {
      const f16 = Uint16Array.of(0x3c00, 0xc000, 0x7c00, 0x0001, 0x8000, 0x7bff);
      const bf16 = Uint16Array.of(0x3f80, 0xc0a0);
      const f64 = Float64Array.of(0.1, -1e300);
      const i64 = BigInt64Array.of(-5n, 2147483647n, -2147483648n);
      const i32 = Int32Array.of(7, -7);
      const bool = Uint8Array.of(1, 0, 1);
      const parts = [bytesOf(f16), bytesOf(bf16), bytesOf(f64), bytesOf(i64), bytesOf(i32), bool];
      const dtypes = ['F16', 'BF16', 'F64', 'I64', 'I32', 'BOOL'];
      const names = ['f16', 'bf16', 'f64', 'i64', 'i32', 'bool'];
      const header: Record<string, unknown> = {};
      let offset = 0;
      parts.forEach((bytes, i) => {
        header[names[i]!] = { dtype: dtypes[i], shape: [bytes.length / [2, 2, 8, 8, 4, 1][i]!], data_offsets: [offset, offset + bytes.length] };
        offset += bytes.length;
      });
      const data = new Uint8Array(offset);
      offset = 0;
      for (const bytes of parts) {
        data.set(bytes, offset);
        offset += bytes.length;
      }
      const file = join(dir, 'dtypes.safetensors');
      writeFileSync(file, rawSafetensors(JSON.stringify(header), data));
      const t = readSafetensors(file);
      assert.deepEqual([...t.get('f16')!.data], [1, -2, Infinity, 2 ** -24, -0, 65504]);
      assert.deepEqual([...t.get('bf16')!.data], [1, -5]);
      assert.deepEqual([...t.get('f64')!.data], [Math.fround(0.1), -Infinity]);
      assert.equal(t.get('i64')!.dtype, 'int32');
      assert.deepEqual([...t.get('i64')!.data], [-5, 2147483647, -2147483648]);
      assert.deepEqual([...t.get('i32')!.data], [7, -7]);
      assert.deepEqual([...t.get('bool')!.data], [1, 0, 1]);
    } finally {
      cleanup();
    }
  });

  it('refuses an I64 value outside the int32 range, naming the tensor and the value', () => {
    const { dir, cleanup } = scratch();
    try {
      const file = join(dir, 'big.safetensors');
      const values = BigInt64Array.of(1n, 2n ** 40n);
      writeFileSync(file, rawSafetensors(JSON.stringify({ ids: { dtype: 'I64', shape: [2], data_offsets: [0, 16] } }), bytesOf(values)));
      assertCheckpointError(() => readSafetensors(file), file, /'ids'.*1099511627776.*int32/);
    } finally {
      cleanup();
    }
  });
});

describe('safetensors writing', () => {
  const sample = (): TensorMap =>
    new Map<string, TensorRecord>([
      ['weight', { dtype: 'float32', shape: [2, 3], data: Float32Array.of(1, -2, 3.5, 1e-30, -0, 7) }],
      ['scalar', { dtype: 'float32', shape: [], data: Float32Array.of(42) }],
      ['empty', { dtype: 'float32', shape: [0, 4], data: new Float32Array(0) }],
      ['ids', { dtype: 'int32', shape: [3], data: Int32Array.of(5, -1, 2147483647) }],
    ]);

  it('round-trips float32 and int32 (stored as I64 by default) with metadata', () => {
    const { dir, cleanup } = scratch();
    try {
      const file = join(dir, 'model.safetensors');
      writeSafetensors(file, sample());
      const back = readSafetensors(file);
      for (const [name, record] of sample()) {
        const got = back.get(name)!;
        assert.equal(got.dtype, record.dtype, name);
        assert.deepEqual(got.shape, record.shape, name);
        assert.deepEqual([...got.data], [...record.data], name);
      }
      const header = readSafetensorsHeader(file);
      assert.deepEqual(header.metadata, { format: 'pt' });
      assert.equal(header.entries.find((e) => e.name === 'ids')!.dtype, 'I64');
      // The data starts on an 8-byte boundary; the header is padded with spaces to get there.
      const bytes = readFileSync(file);
      const headerLength = Number(bytes.readBigUInt64LE(0));
      assert.equal((8 + headerLength) % 8, 0);
      const text = bytes.subarray(8, 8 + headerLength).toString('utf8');
      assert.match(text, /^\{.*\} *$/);
      assert.equal(JSON.parse(text).__metadata__.format, 'pt');
      assert.deepEqual(readdirSync(dir), ['model.safetensors'], 'no temporary file is left behind');
    } finally {
      cleanup();
    }
  });

  it('writes I32 when asked, and custom metadata', () => {
    const { dir, cleanup } = scratch();
    try {
      const file = join(dir, 'ids.safetensors');
      writeSafetensors(file, [['ids', { dtype: 'int32', shape: [2], data: Int32Array.of(1, 2) }]], { integerDtype: 'I32', metadata: { format: 'pt', source: 'irlens' } });
      const header = readSafetensorsHeader(file);
      assert.equal(header.entries[0]!.dtype, 'I32');
      assert.deepEqual(header.metadata, { format: 'pt', source: 'irlens' });
      assert.deepEqual([...readSafetensors(file).get('ids')!.data], [1, 2]);
    } finally {
      cleanup();
    }
  });

  it('round-trips a whole fixture checkpoint bit for bit', () => {
    const { dir, cleanup } = scratch();
    try {
      const original = readSafetensors(fixture('llama-tiny', 'model.safetensors'));
      const file = join(dir, 'copy.safetensors');
      writeSafetensors(file, original);
      const copy = readSafetensors(file);
      for (const [name, record] of original) assert.deepEqual(bytesOf(copy.get(name)!.data), bytesOf(record.data), name);
    } finally {
      cleanup();
    }
  });

  it('refuses an inconsistent record and leaves the existing file untouched', () => {
    const { dir, cleanup } = scratch();
    try {
      const file = join(dir, 'model.safetensors');
      writeSafetensors(file, sample());
      const before = readFileSync(file);
      const bad = new Map<string, TensorRecord>([['w', { dtype: 'float32', shape: [2, 2], data: new Float32Array(3) }]]);
      assertCheckpointError(() => writeSafetensors(file, bad), file, /'w'.*4 elements but data has 3/);
      assert.deepEqual(readFileSync(file), before);
      assert.deepEqual(readdirSync(dir), ['model.safetensors']);
    } finally {
      cleanup();
    }
  });

  it('reports a folder that does not exist as a WriteFailedError naming the file, as every write does', () => {
    const { dir, cleanup } = scratch();
    try {
      const file = join(dir, 'missing', 'model.safetensors');
      assert.throws(() => writeSafetensors(file, sample()), (error: unknown) =>
        error instanceof WriteFailedError && error.path === file && error.code === 'ENOENT' && error.message.startsWith(`cannot write ${file} (ENOENT`));
    } finally {
      cleanup();
    }
  });
});

describe('safetensors hostile and corrupt files', () => {
  const tensorHeader = (entries: Record<string, unknown>) => JSON.stringify(entries);
  const withFile = (bytes: Uint8Array, check: (file: string) => void) => {
    const { dir, cleanup } = scratch();
    try {
      const file = join(dir, 'bad.safetensors');
      writeFileSync(file, bytes);
      check(file);
    } finally {
      cleanup();
    }
  };

  it('refuses a file shorter than the length field', () => {
    withFile(Uint8Array.of(1, 2, 3), (file) => assertCheckpointError(() => readSafetensors(file), file, /3 bytes.*truncated/));
  });

  it('refuses a truncated file (tensor data cut off)', () => {
    const { dir, cleanup } = scratch();
    try {
      const file = join(dir, 'model.safetensors');
      writeSafetensors(file, new Map([['w', { dtype: 'float32', shape: [64], data: new Float32Array(64) } as TensorRecord]]));
      const bytes = readFileSync(file);
      writeFileSync(file, bytes.subarray(0, bytes.length - 10));
      assertCheckpointError(() => readSafetensors(file), file, /tensor 'w'.*outside the 246 bytes of data.*truncated/);
    } finally {
      cleanup();
    }
  });

  it('refuses a header length larger than the file', () => {
    withFile(rawSafetensors('{}', new Uint8Array(0), 5000n), (file) =>
      assertCheckpointError(() => readSafetensors(file), file, /header claims 5000 bytes but only 2 follow/),
    );
  });

  it('refuses an absurd header size before allocating it', () => {
    const before = process.memoryUsage().arrayBuffers;
    withFile(rawSafetensors('{}', new Uint8Array(0), 2n ** 62n), (file) =>
      assertCheckpointError(() => readSafetensors(file), file, new RegExp(`header claims ${2n ** 62n} bytes, more than the ${MAX_HEADER_BYTES}-byte limit`)),
    );
    withFile(rawSafetensors('{}', new Uint8Array(0), BigInt(MAX_HEADER_BYTES + 1)), (file) =>
      assertCheckpointError(() => readSafetensors(file), file, /more than the 100000000-byte limit/),
    );
    assert.ok(process.memoryUsage().arrayBuffers - before < 50_000_000, 'no large buffer was allocated');
  });

  it('refuses a header that is not JSON', () => {
    withFile(rawSafetensors('{"w": {"dtype": "F32", '), (file) => assertCheckpointError(() => readSafetensors(file), file, /header is not valid UTF-8 JSON/));
    withFile(rawSafetensors('[1, 2]'), (file) => assertCheckpointError(() => readSafetensors(file), file, /not an object of tensors/));
    const invalidUtf8 = rawSafetensors('{"a": "?"}');
    invalidUtf8[8 + 7] = 0xff;
    withFile(invalidUtf8, (file) => assertCheckpointError(() => readSafetensors(file), file, /not valid UTF-8 JSON/));
  });

  it('refuses data_offsets outside the data', () => {
    const header = tensorHeader({ w: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } });
    withFile(rawSafetensors(header, new Uint8Array(8)), (file) =>
      assertCheckpointError(() => readSafetensors(file), file, /'w'.*data_offsets \[0, 16\] outside the 8 bytes/),
    );
  });

  it('refuses overlapping tensors', () => {
    const header = tensorHeader({
      a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
      b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] },
    });
    withFile(rawSafetensors(header, new Uint8Array(12)), (file) => assertCheckpointError(() => readSafetensors(file), file, /'a'.*'b'.*overlap/));
  });

  it('refuses a byte length that does not match dtype × shape', () => {
    const header = tensorHeader({ w: { dtype: 'F16', shape: [3, 2], data_offsets: [0, 8] } });
    withFile(rawSafetensors(header, new Uint8Array(8)), (file) =>
      assertCheckpointError(() => readSafetensors(file), file, /'w'.*spans 8 bytes but F16 × shape \[3, 2\] needs 12/),
    );
  });

  it('refuses an unknown dtype, saying what it reads', () => {
    const header = tensorHeader({ w: { dtype: 'F8_E4M3', shape: [4], data_offsets: [0, 4] } });
    withFile(rawSafetensors(header, new Uint8Array(4)), (file) => assertCheckpointError(() => readSafetensors(file), file, /'w' has dtype 'F8_E4M3'.*reads F64, F32, F16, BF16/));
  });

  it('refuses malformed shapes, offsets and metadata', () => {
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ w: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, /shape \[-1\]/],
      [{ w: { dtype: 'F32', shape: [1], data_offsets: [4, 0] } }, /run backwards/],
      [{ w: { dtype: 'F32', shape: [1] } }, /data_offsets undefined/],
      [{ w: 'F32' }, /'w'.*not an object/],
      [{ __metadata__: { format: 1 } }, /__metadata__.*not a map of strings/],
      [{ w: { dtype: 'F32', shape: [2 ** 40, 2 ** 40], data_offsets: [0, 4] } }, /needs/],
    ];
    for (const [header, problem] of cases) {
      withFile(rawSafetensors(JSON.stringify(header), new Uint8Array(4)), (file) => assertCheckpointError(() => readSafetensors(file), file, problem));
    }
  });

  it('refuses a shape nested 100,000 deep with a short message (found by fuzzing: it overflowed the stack)', () => {
    const deep = '['.repeat(100_000) + ']'.repeat(100_000);
    const header = `{"w": {"dtype": "F32", "shape": ${deep}, "data_offsets": [0, 4]}}`;
    withFile(rawSafetensors(header, new Uint8Array(4)), (file) =>
      assertCheckpointError(() => readSafetensors(file), file, /'w' in the header has shape \[{80}…, which is not a list/),
    );
  });

  it('refuses a folder with a CheckpointError (found by fuzzing: a raw EISDIR)', () => {
    const folder = fixture('gpt-neox-tiny');
    assertCheckpointError(() => readSafetensors(folder), folder, /is not a regular file/);
    assertCheckpointError(() => readSafetensorsHeader(folder), folder, /is not a regular file/);
  });

  it('refuses a file that does not exist', () => {
    const file = fixture('gpt-neox-tiny', 'no-such.safetensors');
    assertCheckpointError(() => readSafetensors(file), file, /cannot open the file \(ENOENT\)/);
  });
});
