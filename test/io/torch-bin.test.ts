import { strict as assert } from 'node:assert';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { zipSync } from 'fflate';
import { CheckpointError, UnsafePickleError } from '../../src/io/errors.js';
import { readSafetensors } from '../../src/io/safetensors.js';
import { readTorchBin } from '../../src/io/torch-bin.js';
import { PickleWriter, bytesOf, fixture, scratch, stateDictPickle, torchArchive } from './helpers.js';

/** Writes `bytes` as a .bin in a scratch folder and runs `check` on its path. */
function withBin(bytes: Uint8Array, check: (file: string) => void): void {
  const { dir, cleanup } = scratch();
  try {
    const file = join(dir, 'pytorch_model.bin');
    writeFileSync(file, bytes);
    check(file);
  } finally {
    cleanup();
  }
}

function assertRefused(fn: () => unknown, file: string, problem: RegExp, type: typeof CheckpointError = CheckpointError): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof type, `expected ${type.name}, got ${String(error)}`);
    assert.ok(error.message.includes(file), `message should name the file: ${error.message}`);
    assert.match(error.message, problem);
    return true;
  });
}

describe('torch .bin fixture', () => {
  it('gives exactly the tensors of the float32 safetensors checkpoint', () => {
    const bin = readTorchBin(fixture('gpt-neox-tiny-bin', 'pytorch_model.bin'));
    const reference = readSafetensors(fixture('gpt-neox-tiny', 'model.safetensors'));
    assert.equal(bin.size, reference.size);
    for (const [name, record] of bin) {
      // torch.save of the transformers 5 module names the output layer lm_head; save_pretrained
      // writes it under its legacy name embed_out.
      const expected = reference.get(name === 'lm_head.weight' ? 'embed_out.weight' : name);
      assert.ok(expected, `no reference tensor for ${name}`);
      assert.equal(record.dtype, 'float32');
      assert.deepEqual(record.shape, expected.shape, name);
      assert.deepEqual(bytesOf(record.data), bytesOf(expected.data), name);
    }
  });
});

describe('torch .bin views and dtypes', () => {
  const floats = Float32Array.of(0, 1, 2, 3, 4, 5);

  it('copies strided views, storage offsets and shared storages into dense tensors', () => {
    const pickle = stateDictPickle([
      ['full', (w) => w.tensor('FloatStorage', '0', 6, 0, [2, 3], [3, 1])],
      ['transposed', (w) => w.tensor('FloatStorage', '0', 6, 0, [3, 2], [1, 3])],
      ['offset', (w) => w.tensor('FloatStorage', '0', 6, 2, [2], [1])],
      ['column', (w) => w.tensor('FloatStorage', '0', 6, 1, [2, 1], [3, 1])],
      ['broadcast', (w) => w.tensor('FloatStorage', '0', 6, 4, [2, 2], [0, 1])],
      ['scalar', (w) => w.tensor('FloatStorage', '0', 6, 5, [], [])],
      ['empty', (w) => w.tensor('FloatStorage', '0', 6, 0, [0, 3], [3, 1])],
    ]);
    withBin(torchArchive(pickle, { '0': bytesOf(floats) }), (file) => {
      const t = readTorchBin(file);
      assert.deepEqual([...t.get('full')!.data], [0, 1, 2, 3, 4, 5]);
      assert.deepEqual(t.get('transposed')!.shape, [3, 2]);
      assert.deepEqual([...t.get('transposed')!.data], [0, 3, 1, 4, 2, 5]);
      assert.deepEqual([...t.get('offset')!.data], [2, 3]);
      assert.deepEqual([...t.get('column')!.data], [1, 4]);
      assert.deepEqual([...t.get('broadcast')!.data], [4, 5, 4, 5]);
      assert.deepEqual(t.get('scalar')!.shape, []);
      assert.deepEqual([...t.get('scalar')!.data], [5]);
      assert.equal(t.get('empty')!.data.length, 0);
      // Each name owns its memory even when storages are shared.
      t.get('full')!.data[0] = 99;
      assert.equal(t.get('transposed')!.data[0], 0);
    });
  });

  it('reads half, bfloat16, long and int storages', () => {
    const pickle = stateDictPickle([
      ['half', (w) => w.tensor('HalfStorage', '0', 2, 0, [2], [1])],
      ['bf16', (w) => w.tensor('BFloat16Storage', '1', 2, 0, [2], [1])],
      ['long', (w) => w.tensor('LongStorage', '2', 2, 0, [2], [1])],
      ['int', (w) => w.tensor('IntStorage', '3', 2, 1, [1], [1])],
    ]);
    const storages = {
      '0': bytesOf(Uint16Array.of(0x3c00, 0xb800)),
      '1': bytesOf(Uint16Array.of(0x4040, 0x3f80)),
      '2': bytesOf(BigInt64Array.of(-3n, 50000n)),
      '3': bytesOf(Int32Array.of(8, 9)),
    };
    withBin(torchArchive(pickle, storages, 'my_model'), (file) => {
      const t = readTorchBin(file);
      assert.deepEqual([...t.get('half')!.data], [1, -0.5]);
      assert.deepEqual([...t.get('bf16')!.data], [3, 1]);
      assert.equal(t.get('long')!.dtype, 'int32');
      assert.deepEqual([...t.get('long')!.data], [-3, 50000]);
      assert.deepEqual([...t.get('int')!.data], [9]);
    });
  });

  it('accepts nn.Parameter wrappers and an OrderedDict _metadata BUILD', () => {
    // As torch.save writes it: the OrderedDict class is memoised (BINPUT 0) and reused for _metadata.
    const w = new PickleWriter().proto().global('collections', 'OrderedDict').put(0).emptyTuple().reduce().mark();
    w.str('p').global('torch._utils', '_rebuild_parameter').mark();
    w.tensor('FloatStorage', '0', 6, 0, [6], [1]);
    w.newTrue();
    w.global('collections', 'OrderedDict').emptyTuple().reduce().tuple().reduce();
    w.setItems();
    // state = {'_metadata': OrderedDict({'': {'version': 1}})}
    w.emptyDict().str('_metadata').get(0).emptyTuple().reduce().str('').emptyDict().str('version').int(1).setItem().setItem().setItem().build().stop();
    withBin(torchArchive(w.bytesOut(), { '0': bytesOf(floats) }), (file) => {
      assert.deepEqual([...readTorchBin(file).get('p')!.data], [0, 1, 2, 3, 4, 5]);
    });
  });
});

describe('torch .bin hostile pickles', () => {
  const marker = (dir: string) => join(dir, 'pwned');

  for (const [module, name] of [['os', 'system'], ['posix', 'system'], ['builtins', 'eval'], ['subprocess', 'Popen'], ['torch', 'load']] as const) {
    it(`refuses ${module}.${name} and runs nothing`, () => {
      const { dir, cleanup } = scratch();
      try {
        const command = `touch ${marker(dir)}`;
        // The classic payload GLOBAL os system; ('touch …',); REDUCE — alone, and as a state-dict value.
        const pickle = stateDictPickle([['weight', (w) => w.global(module, name).mark().str(command).tuple().reduce()]]);
        const payload = new PickleWriter().proto().global(module, name).mark().str(command).tuple().reduce().stop().bytesOut();
        for (const bytes of [payload, pickle]) {
          const file = join(dir, 'pytorch_model.bin');
          writeFileSync(file, torchArchive(bytes, {}));
          assertRefused(() => readTorchBin(file), file, new RegExp(`global '${module} ${name}'.*refused.*nothing ran`), UnsafePickleError);
          assert.throws(() => readTorchBin(file), (e: unknown) => e instanceof UnsafePickleError && e.global === `${module} ${name}`);
        }
        assert.equal(existsSync(marker(dir)), false, 'the payload must not have run');
      } finally {
        cleanup();
      }
    });
  }

  it('refuses a storage type used as a function', () => {
    const payload = new PickleWriter().proto().global('torch', 'FloatStorage').emptyTuple().reduce().stop().bytesOut();
    withBin(torchArchive(payload, {}), (file) => assertRefused(() => readTorchBin(file), file, /REDUCE calls something that is not a whitelisted function/));
  });

  it('refuses opcodes outside the torch.save subset', () => {
    // INST ('i') imports and calls in one step; protocol 0 only.
    const payload = Uint8Array.from([0x80, 2, 0x69, ...Buffer.from('os\nsystem\n'), 0x2e]);
    withBin(torchArchive(payload, {}), (file) => assertRefused(() => readTorchBin(file), file, /unsupported pickle opcode 0x69 \('i'\)/));
  });

  it('refuses a storage key that points outside data/', () => {
    const pickle = stateDictPickle([['w', (w) => w.tensor('FloatStorage', '../data.pkl', 1, 0, [1], [1])]]);
    withBin(torchArchive(pickle, {}), (file) => assertRefused(() => readTorchBin(file), file, /storage has the key/));
  });

  it('refuses a view that reaches past its storage', () => {
    const pickle = stateDictPickle([['w', (w) => w.tensor('FloatStorage', '0', 6, 4, [3], [1])]]);
    withBin(torchArchive(pickle, { '0': bytesOf(new Float32Array(6)) }), (file) => assertRefused(() => readTorchBin(file), file, /tensor 'w' reaches element 6 of storage '0', which has only 6/));
  });

  it('refuses an expanded view too large to hold', () => {
    const pickle = stateDictPickle([['w', (w) => w.tensor('FloatStorage', '0', 1, 0, [65536, 65536], [0, 0])]]);
    withBin(torchArchive(pickle, { '0': new Uint8Array(4) }), (file) => assertRefused(() => readTorchBin(file), file, /tensor 'w' \(shape \[65536, 65536\]\).*more than 16 times its size/));
  });

  it('refuses a stride-0 view that would turn a 631-byte file into 4 GB, before allocating (found by fuzzing)', () => {
    const pickle = stateDictPickle([['w', (w) => w.tensor('FloatStorage', '0', 1, 0, [32768, 32768], [0, 0])]]);
    const before = process.memoryUsage().arrayBuffers;
    withBin(torchArchive(pickle, { '0': new Uint8Array(4) }), (file) =>
      assertRefused(() => readTorchBin(file), file, /the 631-byte file would become 4294967296 bytes of tensors, more than 16 times its size; a view expands a small storage/),
    );
    assert.ok(process.memoryUsage().arrayBuffers - before < 1024 * 1024);
  });

  it('still reads a modest stride-0 view and a tensor tied under two names', () => {
    const pickle = stateDictPickle([
      ['ids', (w) => w.tensor('LongStorage', '0', 4, 0, [1, 4], [0, 1])],
      ['row', (w) => w.tensor('FloatStorage', '1', 1, 0, [3], [0])],
    ]);
    withBin(torchArchive(pickle, { '0': bytesOf(new BigInt64Array([0n, 1n, 2n, 3n])), '1': bytesOf(new Float32Array([5])) }), (file) => {
      const tensors = readTorchBin(file);
      assert.deepEqual([...tensors.get('ids')!.data], [0, 1, 2, 3]);
      assert.deepEqual([...tensors.get('row')!.data], [5, 5, 5]);
    });
  });

  it('refuses a storage shorter than its declared size, or missing', () => {
    const pickle = stateDictPickle([['w', (w) => w.tensor('FloatStorage', '0', 6, 0, [6], [1])]]);
    withBin(torchArchive(pickle, { '0': new Uint8Array(20) }), (file) => assertRefused(() => readTorchBin(file), file, /storage '0' has 20 bytes but 6 F32 elements need 24/));
    withBin(torchArchive(pickle, {}), (file) => assertRefused(() => readTorchBin(file), file, /no entry data\/0/));
  });

  it('refuses a pickle that is cut short', () => {
    const full = stateDictPickle([['w', (w) => w.tensor('FloatStorage', '0', 6, 0, [6], [1])]]);
    withBin(torchArchive(full.subarray(0, full.length - 5), { '0': new Uint8Array(24) }), (file) => assertRefused(() => readTorchBin(file), file, /pickle/));
  });

  it('refuses files that are not torch.save zip archives', () => {
    withBin(Uint8Array.from([0x80, 2, 0x8a, 0x0a]), (file) => assertRefused(() => readTorchBin(file), file, /legacy \(pre-1.6\) torch.save format/));
    withBin(Buffer.from('hello, not a zip'), (file) => assertRefused(() => readTorchBin(file), file, /not a zip archive/));
    const real = readFileSync(fixture('gpt-neox-tiny-bin', 'pytorch_model.bin'));
    withBin(real.subarray(0, real.length - 300), (file) => assertRefused(() => readTorchBin(file), file, /zip archive cannot be read/));
    withBin(zipSync({ 'x/other.txt': Buffer.from('hi') }), (file) => assertRefused(() => readTorchBin(file), file, /0 '<folder>\/data.pkl' entries/));
  });

  it('refuses a pickle that is not a state dict of tensors', () => {
    const notDict = new PickleWriter().proto().int(5).stop().bytesOut();
    withBin(torchArchive(notDict, {}), (file) => assertRefused(() => readTorchBin(file), file, /holds the number 5, not a state dict/));
    const nonTensor = stateDictPickle([['step', (w) => w.int(3)]]);
    withBin(torchArchive(nonTensor, {}), (file) => assertRefused(() => readTorchBin(file), file, /entry 'step' is the number 3, not a tensor/));
  });
});
