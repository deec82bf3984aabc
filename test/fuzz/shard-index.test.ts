/**
 * Fuzzing sharded checkpoints' indexes (model.safetensors.index.json and
 * pytorch_model.bin.index.json) with the real fixture's index mutated as bytes and as JSON, and
 * weight maps made up from shard names that exist, are missing, or lead out of the folder. Each
 * input ends in tensors read only from inside the folder, or in a CheckpointError.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, realpathSync, symlinkSync } from 'node:fs';
import { join, relative } from 'node:path';
import { after, test } from 'node:test';
import fc from 'fast-check';
import { CheckpointError, loadCheckpoint, writeSafetensors, type LoadedCheckpoint } from '../../src/io/index.js';
import { PickleWriter, bytesOf, fixture, scratch, stateDictPickle, torchArchive } from '../io/helpers.js';
import { Sample, fuzz, jsonText, mutatedBytes, mutatedJson, utf8, writeInput } from './harness.js';

const realIndexText = readFileSync(fixture('gpt-neox-tiny-sharded', 'model.safetensors.index.json'));
const realIndex = JSON.parse(realIndexText.toString('utf8')) as { weight_map: Record<string, string> };
const shardNames = [...new Set(Object.values(realIndex.weight_map))];
const namesIn = (shard: string) => Object.keys(realIndex.weight_map).filter((name) => realIndex.weight_map[name] === shard);

const area = scratch();
after(area.cleanup);
const outside = join(area.dir, 'elsewhere');
mkdirSync(outside);

/**
 * A model folder holding the fixture's shards with one-element tensors under the same names (in
 * either format), a sub-folder, and a link to a shard outside the folder.
 */
function modelFolder(format: 'safetensors' | 'bin'): string {
  const folder = join(area.dir, format);
  mkdirSync(join(folder, 'sub'), { recursive: true });
  const write = (file: string, names: string[]) => {
    if (format === 'safetensors') {
      writeSafetensors(file, names.map((name) => [name, { dtype: 'float32', shape: [1], data: Float32Array.of(1) }] as const));
    } else {
      const pickle = stateDictPickle(names.map((name) => [name, (w: PickleWriter) => w.tensor('FloatStorage', '0', 1, 0, [1], [1])]));
      writeInput(file, torchArchive(pickle, { '0': bytesOf(Float32Array.of(1)) }));
    }
  };
  for (const shard of shardNames) write(join(folder, format === 'safetensors' ? shard : shard.replace('.safetensors', '.bin')), namesIn(shard));
  write(join(outside, `outside.${format}`), namesIn(shardNames[0]!));
  symlinkSync(join(outside, `outside.${format}`), join(folder, `leak.${format}`));
  return folder;
}
const folders = { safetensors: modelFolder('safetensors'), bin: modelFolder('bin') };
const indexName = { safetensors: 'model.safetensors.index.json', bin: 'pytorch_model.bin.index.json' };

/** The real index in the folder's format: for .bin, the shard names end in .bin. */
const indexText = (format: 'safetensors' | 'bin', text: string) => (format === 'bin' ? text.replaceAll('.safetensors"', '.bin"') : text);

const format = fc.constantFrom('safetensors' as const, 'bin' as const);
const shardName = fc.oneof(
  fc.constantFrom(...shardNames),
  fc.constantFrom('leak.safetensors', 'leak.bin', '../elsewhere/outside.safetensors', join(outside, 'outside.bin'), '/etc/passwd', '.', '..', 'sub', 'sub/../model-00001-of-00004.safetensors', 'missing.safetensors', ''),
  fc.string({ maxLength: 12 }),
);
const tensorName = fc.oneof(fc.constantFrom(...Object.keys(realIndex.weight_map)), fc.string({ maxLength: 8 }));
const madeUp = fc
  .tuple(format, fc.dictionary(tensorName, shardName, { maxKeys: 8 }))
  .map(([f, weightMap]) => ({ format: f, sample: new Sample(utf8(indexText(f, JSON.stringify({ weight_map: weightMap }))), `weight_map ${JSON.stringify(weightMap)}`) }));
const editedJson = fc.tuple(format, mutatedJson(realIndex)).map(([f, { value, recipe }]) => ({ format: f, sample: new Sample(utf8(indexText(f, jsonText(value))), `real index: ${recipe}`) }));
const editedBytes = fc.tuple(format, mutatedBytes(new Sample(realIndexText, 'real index'))).map(([f, sample]) => ({ format: f, sample: new Sample(utf8(indexText(f, Buffer.from(sample.bytes).toString('latin1'))), sample.recipe) }));

test('shard indexes: every input ends in tensors read from inside the folder, or a CheckpointError', async (t) => {
  await fuzz(t, {
    name: 'shard index',
    inputs: fc.oneof(madeUp, editedJson, editedBytes),
    parse({ format: f, sample }) {
      writeInput(join(folders[f], indexName[f]), sample.bytes);
      return loadCheckpoint(folders[f]);
    },
    refusals: [CheckpointError],
    // The shards are read too: a few kilobytes each.
    bytes: ({ sample }) => sample.bytes.byteLength + 64 * 1024,
    check(result, { format: f }) {
      const real = realpathSync(folders[f]);
      for (const file of (result as LoadedCheckpoint).files) {
        const where = relative(real, realpathSync(file));
        assert.ok(!where.startsWith('..') && !where.startsWith('/'), `${file} was read, outside the folder`);
      }
    },
  });
});
