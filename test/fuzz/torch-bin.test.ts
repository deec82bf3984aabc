/**
 * Fuzzing torch .bin reading (the zip archive, then the restricted unpickler) with mutated real
 * and hand-made archives, state dicts of made-up tensor views, and pickles generated opcode by
 * opcode: each input ends in dense tensors or a CheckpointError, and a pickle that asks for a
 * global off the allow-list always ends in an UnsafePickleError naming it.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import fc from 'fast-check';
import { strToU8, unzipSync, zipSync, type Zippable } from 'fflate';
import { CheckpointError, UnsafePickleError, elementCount, readTorchBin, type TensorMap } from '../../src/io/index.js';
import { PickleWriter, bytesOf, fixture, scratch, stateDictPickle, torchArchive } from '../io/helpers.js';
import { Sample, fuzz, fuzzCheckpointFile, mutatedBytes, writeInput } from './harness.js';

const folder = scratch();
after(folder.cleanup);
const file = join(folder.dir, 'pytorch_model.bin');

/** A small state dict with what real ones hold: two dtypes, a strided view, a shared storage, a Parameter and _metadata. */
const smallPickle = new PickleWriter().proto().global('collections', 'OrderedDict').emptyTuple().reduce().put(0).mark()
  .str('w').tensor('FloatStorage', '0', 6, 0, [2, 3], [3, 1])
  .str('w.T').tensor('FloatStorage', '0', 6, 0, [3, 2], [1, 3])
  .str('ids').tensor('LongStorage', '1', 3, 1, [2], [1])
  .str('p').global('torch._utils', '_rebuild_parameter').mark().tensor('HalfStorage', '2', 2, 0, [2], [1]).newTrue().emptyDict().tuple().reduce()
  .setItems().emptyDict().build().stop().bytesOut();
const smallStorages = { '0': bytesOf(new Float32Array([1, 2, 3, 4, 5, 6])), '1': bytesOf(new BigInt64Array([7n, 8n, 9n])), '2': Uint8Array.of(0, 0x3c, 0, 0xc0) };
const small = new Sample(torchArchive(smallPickle, smallStorages), 'small pytorch_model.bin');

const realEntries = unzipSync(readFileSync(fixture('gpt-neox-tiny-bin', 'pytorch_model.bin')));
const realPickleName = Object.keys(realEntries).find((name) => name.endsWith('/data.pkl'))!;
const realPickle = new Sample(realEntries[realPickleName]!, 'gpt-neox-tiny-bin data.pkl');

/** An archive of `entries` with data.pkl replaced, stored uncompressed as torch.save writes it. */
function rezip(entries: Record<string, Uint8Array>, pickleName: string, pickle: Sample, label: string): Sample {
  const files: Zippable = {};
  for (const [name, bytes] of Object.entries({ ...entries, [pickleName]: pickle.bytes })) files[name] = [bytes, { level: 0 }];
  return new Sample(zipSync(files), `${label}: ${pickle.recipe}`);
}

const smallEntries = unzipSync(small.bytes);
const mutatedRealPickle = mutatedBytes(realPickle).map((pickle) => rezip(realEntries, realPickleName, pickle, 'gpt-neox-tiny-bin'));
const mutatedSmallPickle = mutatedBytes(new Sample(smallPickle, 'small data.pkl')).map((pickle) => rezip(smallEntries, 'archive/data.pkl', pickle, 'small archive'));

/** The ten storage classes torch.save names, then two it does not. */
const STORAGE_TYPES = ['FloatStorage', 'HalfStorage', 'BFloat16Storage', 'DoubleStorage', 'LongStorage', 'IntStorage', 'ShortStorage', 'CharStorage', 'ByteStorage', 'BoolStorage', 'ComplexFloatStorage', 'UntypedStorage'];
const count = fc.oneof(fc.integer({ min: 0, max: 8 }), fc.constantFrom(2 ** 15, 2 ** 16, 2 ** 20, 2 ** 31 - 1, 2 ** 31, 2 ** 32));

/** A state dict of one to three made-up views (any storage type, size, offset, shape and strides, stride 0 included). */
const madeUpViews = fc
  .array(
    fc.record({
      type: fc.constantFrom(...STORAGE_TYPES),
      key: fc.constantFrom('0', '1', '../0', 'a/b'),
      numel: count,
      offset: count,
      shape: fc.array(count, { maxLength: 3 }),
      strides: fc.array(fc.oneof(fc.constant(0), count), { maxLength: 3 }),
      storageBytes: fc.integer({ min: 0, max: 64 }),
    }),
    { minLength: 1, maxLength: 3 },
  )
  .map((views) => {
    const pickle = stateDictPickle(views.map((v, i) => [`t${i}`, (w) => w.tensor(v.type, v.key, v.numel, v.offset, v.shape, v.strides)]));
    const storages = Object.fromEntries(views.map((v) => [v.key, new Uint8Array(v.storageBytes).fill(1)]));
    const recipe = views.map((v) => `${v.type}('${v.key}', numel ${v.numel}, ${v.storageBytes} bytes)[offset ${v.offset}, shape ${v.shape}, stride ${v.strides}]`).join('; ');
    return new Sample(torchArchive(pickle, storages), `state dict of ${recipe}`);
  });

/** Views that pass every check but size: stride-0 (expanded) dimensions of any size over a storage of one to four floats. */
const expandedViews = fc
  .tuple(fc.integer({ min: 1, max: 4 }), fc.array(count, { minLength: 1, maxLength: 3 }), fc.integer({ min: 1, max: 3 }))
  .map(([numel, sizes, names]) => {
    const strides = sizes.map(() => 0);
    const pickle = stateDictPickle(Array.from({ length: names }, (_, i) => [`t${i}`, (w: PickleWriter) => w.tensor('FloatStorage', '0', numel, 0, sizes, strides)]));
    return new Sample(torchArchive(pickle, { '0': new Uint8Array(4 * numel) }), `${names} names for FloatStorage(${numel}) expanded to [${sizes}]`);
  });

/** Opcodes with their arguments, in any order: what a hostile or corrupt pickle is made of. */
const opcode: fc.Arbitrary<{ bytes: number[]; name: string }> = fc.oneof(
  fc.constantFrom(
    ...Object.entries({ MARK: 0x28, STOP: 0x2e, POP: 0x30, POP_MARK: 0x31, DUP: 0x32, NONE: 0x4e, EMPTY_TUPLE: 0x29, TUPLE1: 0x85, TUPLE2: 0x86, TUPLE3: 0x87, TUPLE: 0x74, EMPTY_LIST: 0x5d, LIST: 0x6c, APPEND: 0x61, APPENDS: 0x65, EMPTY_DICT: 0x7d, DICT: 0x64, SETITEM: 0x73, SETITEMS: 0x75, REDUCE: 0x52, BUILD: 0x62, BINPERSID: 0x51, MEMOIZE: 0x94, STACK_GLOBAL: 0x93, NEWTRUE: 0x88 }).map(([name, code]) => ({ bytes: [code], name })),
  ),
  fc.tuple(fc.constantFrom(0x4b, 0x71, 0x68, 0x80, 0x8a, 0x8c, 0x43), fc.integer({ min: 0, max: 255 })).map(([code, arg]) => ({ bytes: [code, arg], name: `0x${code.toString(16)} ${arg}` })),
  fc.tuple(fc.constantFrom(0x4a, 0x58, 0x42, 0x72, 0x6a, 0x8b), fc.integer({ min: 0, max: 2 ** 32 - 1 })).map(([code, n]) => ({ bytes: [code, n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24], name: `0x${code.toString(16)} ${n}` })),
  fc.tuple(fc.constantFrom(0x8d, 0x95), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n })).map(([code, n]) => ({ bytes: [code, ...Array.from({ length: 8 }, (_, i) => Number((n >> BigInt(8 * i)) & 0xffn))], name: `0x${code.toString(16)} ${n}` })),
  fc.constantFrom(['collections', 'OrderedDict'], ['torch._utils', '_rebuild_tensor_v2'], ['torch._utils', '_rebuild_parameter'], ['torch', 'FloatStorage'], ['os', 'system'], ['builtins', 'eval'], ['subprocess', 'Popen']).map(([module, name]) => ({ bytes: [0x63, ...strToU8(`${module}\n${name}\n`)], name: `GLOBAL ${module}.${name}` })),
  fc.string({ maxLength: 12 }).map((text) => {
    const utf8 = strToU8(text);
    return { bytes: [0x8c, utf8.length, ...utf8], name: `SHORT_BINUNICODE ${JSON.stringify(text)}` };
  }),
  fc.integer({ min: 0, max: 255 }).map((code) => ({ bytes: [code], name: `byte 0x${code.toString(16)}` })),
);
const generatedPickle = fc.array(opcode, { maxLength: 40 }).map((ops) => {
  const pickle = Uint8Array.from([0x80, 2, ...ops.flatMap((op) => op.bytes), 0x2e]);
  return new Sample(torchArchive(pickle, smallStorages), `pickle of ${ops.map((op) => op.name).join(' ')}`);
});

function checkTensors(result: unknown): void {
  for (const [name, record] of result as TensorMap) {
    assert.equal(record.data.length, elementCount(record.shape), `tensor '${name}' holds as many elements as its shape says`);
  }
}

test('torch .bin: every input ends in tensors or a CheckpointError', async (t) => {
  await fuzzCheckpointFile(t, { name: 'torch .bin', inputs: fc.oneof(mutatedBytes(small), mutatedSmallPickle, mutatedRealPickle, madeUpViews, expandedViews, generatedPickle), file, read: readTorchBin, check: checkTensors, refusals: [CheckpointError] });
});

/** Globals a state dict needs; anything else must be refused. */
const ALLOWED = new Set(['collections OrderedDict', 'torch._utils _rebuild_tensor_v2', 'torch._utils _rebuild_tensor', 'torch._utils _rebuild_parameter', 'torch._utils _rebuild_parameter_with_state']);

test('torch .bin: a global off the allow-list is refused by name, whatever follows it', async (t) => {
  const global = fc.tuple(fc.oneof(fc.string({ maxLength: 16 }), fc.constantFrom('os', 'builtins', 'torch', 'torch._utils', 'collections', '__builtin__')), fc.oneof(fc.string({ maxLength: 16 }), fc.constantFrom('system', 'eval', 'exec', 'getattr', '_rebuild_tensor_v3', 'Storage', 'FloatStorage')));
  await fuzz(t, {
    name: 'torch .bin off-list globals',
    inputs: fc
      .tuple(global, fc.boolean(), fc.array(opcode, { maxLength: 8 }))
      .filter(([[module, name]]) => !ALLOWED.has(`${module} ${name}`) && !(module === 'torch' && STORAGE_TYPES.slice(0, 10).includes(name)))
      .map(([[module, name], stacked, then]) => {
        const ask = stacked ? [0x8c, ...withLength(module), 0x8c, ...withLength(name), 0x93] : [0x63, ...strToU8(`${module}\n${name}\n`)];
        const pickle = Uint8Array.from([0x80, 2, ...ask, ...then.flatMap((op) => op.bytes), 0x52, 0x2e]);
        return { global: `${module} ${name}`, sample: new Sample(torchArchive(pickle, {}), `${stacked ? 'STACK_GLOBAL' : 'GLOBAL'} ${JSON.stringify(module)} ${JSON.stringify(name)} then ${then.map((op) => op.name).join(' ')}`) };
      }),
    parse({ global, sample }) {
      writeInput(file, sample.bytes);
      try {
        readTorchBin(file);
      } catch (error) {
        // GLOBAL reads lines, so a name with a newline in it is cut there; those may fail otherwise.
        if (!global.includes('\n')) assert.ok(error instanceof UnsafePickleError && error.global === global, `expected an UnsafePickleError for ${global}, got ${String(error)}`);
        throw error;
      }
      assert.fail(`the global ${global} was accepted`);
    },
    refusals: [CheckpointError],
    bytes: ({ sample }) => sample.bytes.byteLength,
  });
});

function withLength(text: string): number[] {
  const utf8 = strToU8(text);
  return [utf8.length, ...utf8];
}
