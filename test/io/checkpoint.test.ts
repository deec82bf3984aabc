import { strict as assert } from 'node:assert';
import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadCheckpoint } from '../../src/io/checkpoint.js';
import { CheckpointError } from '../../src/io/errors.js';
import { writeSafetensors } from '../../src/io/safetensors.js';
import { bytesOf, fixture, scratch, stateDictPickle, torchArchive } from './helpers.js';

function assertRefused(fn: () => unknown, file: string, problem: RegExp): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof CheckpointError, `expected a CheckpointError, got ${String(error)}`);
    assert.ok(error.message.includes(file), `message should name ${file}: ${error.message}`);
    assert.match(error.message, problem);
    return true;
  });
}

describe('loadCheckpoint', () => {
  it('finds the weights of every fixture folder', () => {
    const expected: Array<[string, string, number]> = [
      ['gpt-neox-tiny', 'safetensors', 28],
      ['gpt-neox-tiny-fp16', 'safetensors', 28],
      ['gpt-neox-tiny-sharded', 'safetensors-sharded', 28],
      ['gpt-neox-tiny-bin', 'torch-bin', 28],
      ['llama-tiny', 'safetensors', 20],
      ['roberta-tiny-classifier', 'safetensors', 41],
    ];
    for (const [folder, format, count] of expected) {
      const checkpoint = loadCheckpoint(fixture(folder));
      assert.equal(checkpoint.format, format, folder);
      assert.equal(checkpoint.tensors.size, count, folder);
    }
  });

  it('reads sharded safetensors (each shard once) into exactly the single-file tensors', () => {
    const sharded = loadCheckpoint(fixture('gpt-neox-tiny-sharded'));
    assert.equal(sharded.files.length, 4);
    assert.equal(new Set(sharded.files).size, 4);
    const single = loadCheckpoint(fixture('gpt-neox-tiny')).tensors;
    assert.deepEqual([...sharded.tensors.keys()].sort(), [...single.keys()].sort());
    for (const [name, record] of sharded.tensors) {
      assert.deepEqual(record.shape, single.get(name)!.shape, name);
      assert.deepEqual(bytesOf(record.data), bytesOf(single.get(name)!.data), name);
    }
  });

  it('reads sharded torch .bin checkpoints', () => {
    const { dir, cleanup } = scratch();
    try {
      const shard = (name: string, value: number) =>
        torchArchive(stateDictPickle([[name, (w) => w.tensor('FloatStorage', '0', 2, 0, [2], [1])]]), { '0': bytesOf(Float32Array.of(value, value + 1)) });
      writeFileSync(join(dir, 'pytorch_model-00001-of-00002.bin'), shard('a', 1));
      writeFileSync(join(dir, 'pytorch_model-00002-of-00002.bin'), shard('b', 10));
      writeFileSync(join(dir, 'pytorch_model.bin.index.json'), JSON.stringify({ metadata: {}, weight_map: { a: 'pytorch_model-00001-of-00002.bin', b: 'pytorch_model-00002-of-00002.bin' } }));
      const checkpoint = loadCheckpoint(dir);
      assert.equal(checkpoint.format, 'torch-bin-sharded');
      assert.deepEqual([...checkpoint.tensors.get('a')!.data], [1, 2]);
      assert.deepEqual([...checkpoint.tensors.get('b')!.data], [10, 11]);
    } finally {
      cleanup();
    }
  });

  it('prefers model.safetensors over pytorch_model.bin', () => {
    const { dir, cleanup } = scratch();
    try {
      copyFileSync(fixture('gpt-neox-tiny', 'model.safetensors'), join(dir, 'model.safetensors'));
      copyFileSync(fixture('gpt-neox-tiny-bin', 'pytorch_model.bin'), join(dir, 'pytorch_model.bin'));
      assert.equal(loadCheckpoint(dir).format, 'safetensors');
    } finally {
      cleanup();
    }
  });

  it('refuses shard indexes that are broken, inconsistent or point outside the folder', () => {
    const { dir, cleanup } = scratch();
    try {
      const index = join(dir, 'model.safetensors.index.json');
      const shard = (file: string, names: string[]) =>
        writeSafetensors(join(dir, file), names.map((name) => [name, { dtype: 'float32', shape: [1], data: Float32Array.of(1) }] as const));
      shard('one.safetensors', ['w']);
      shard('two.safetensors', ['w', 'y']);
      writeFileSync(index, '{"weight_map": ');
      assertRefused(() => loadCheckpoint(dir), index, /cannot read the shard index/);
      writeFileSync(index, '{"metadata": {}}');
      assertRefused(() => loadCheckpoint(dir), index, /no "weight_map" object/);
      writeFileSync(index, JSON.stringify({ weight_map: { w: '../../etc/passwd' } }));
      assertRefused(() => loadCheckpoint(dir), index, /weight_map entry 'w' leads to "\.\.\/\.\.\/etc\/passwd", outside the model folder/);
      writeFileSync(index, JSON.stringify({ weight_map: { w: 7 } }));
      assertRefused(() => loadCheckpoint(dir), index, /weight_map sends 'w' to 7, which is not a file name/);
      writeFileSync(index, JSON.stringify({ weight_map: { w: 'one.safetensors', v: 'one.safetensors' } }));
      assertRefused(() => loadCheckpoint(dir), index, /puts 'v' in one.safetensors, which has no such tensor/);
      writeFileSync(index, JSON.stringify({ weight_map: { w: 'one.safetensors', y: 'two.safetensors' } }));
      assertRefused(() => loadCheckpoint(dir), join(dir, 'two.safetensors'), /tensor 'w' is also in another shard/);
      writeFileSync(index, JSON.stringify({ weight_map: { w: 'missing.safetensors' } }));
      assertRefused(() => loadCheckpoint(dir), join(dir, 'missing.safetensors'), /cannot open the file \(ENOENT\)/);
    } finally {
      cleanup();
    }
  });

  it('says what it expected when a folder has no weights, or is not a folder', () => {
    const { dir, cleanup } = scratch();
    try {
      writeFileSync(join(dir, 'config.json'), '{}');
      assertRefused(() => loadCheckpoint(dir), dir, /expected one of model.safetensors, .*pytorch_model.bin.* but found config.json/);
      const missing = join(dir, 'nope');
      assertRefused(() => loadCheckpoint(missing), missing, /is not a folder/);
    } finally {
      cleanup();
    }
  });
});
