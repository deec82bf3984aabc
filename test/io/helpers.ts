/** Shared test helpers: fixture paths, scratch folders, and hand-built pickles and archives. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { zipSync, strToU8 } from 'fflate';

/** The repository root (two folders above this file), so tests work from any cwd. */
export const projectRoot = fileURLToPath(new URL('../..', import.meta.url));
export const fixturesDir = resolve(projectRoot, process.env.IRLENS_FIXTURES ?? '../shared/fixtures');
export const fixture = (...parts: string[]) => join(fixturesDir, ...parts);

/** A fresh temporary folder, removed by the returned cleanup. */
export function scratch(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'irlens-io-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Writes pickle opcodes by hand (protocol 2, the subset torch.save uses). */
export class PickleWriter {
  private readonly bytes: number[] = [];

  private raw(...values: number[]): this {
    this.bytes.push(...values);
    return this;
  }

  private u32(n: number): number[] {
    return [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff];
  }

  proto(): this { return this.raw(0x80, 2); }
  stop(): this { return this.raw(0x2e); }
  mark(): this { return this.raw(0x28); }
  tuple(): this { return this.raw(0x74); }
  emptyTuple(): this { return this.raw(0x29); }
  emptyDict(): this { return this.raw(0x7d); }
  reduce(): this { return this.raw(0x52); }
  build(): this { return this.raw(0x62); }
  setItems(): this { return this.raw(0x75); }
  setItem(): this { return this.raw(0x73); }
  persid(): this { return this.raw(0x51); }
  newFalse(): this { return this.raw(0x89); }
  newTrue(): this { return this.raw(0x88); }
  put(index: number): this { return this.raw(0x71, index); }
  get(index: number): this { return this.raw(0x68, index); }

  global(module: string, name: string): this {
    return this.raw(0x63, ...strToU8(`${module}\n${name}\n`));
  }

  str(text: string): this {
    const utf8 = strToU8(text);
    return this.raw(0x58, ...this.u32(utf8.length), ...utf8);
  }

  int(n: number): this {
    if (n >= 0 && n < 256) return this.raw(0x4b, n);
    if (n >= 0 && n < 65536) return this.raw(0x4d, n & 0xff, n >> 8);
    return this.raw(0x4a, ...this.u32(n));
  }

  ints(values: readonly number[]): this {
    this.mark();
    for (const v of values) this.int(v);
    return this.tuple();
  }

  /** Emits a tensor the way torch.save does: _rebuild_tensor_v2((storage pid), offset, size, stride, False, OrderedDict()). */
  tensor(storageType: string, key: string, numel: number, offset: number, size: number[], stride: number[]): this {
    this.global('torch._utils', '_rebuild_tensor_v2').mark();
    this.mark().str('storage').global('torch', storageType).str(key).str('cpu').int(numel).tuple().persid();
    this.int(offset).ints(size).ints(stride).newFalse();
    this.global('collections', 'OrderedDict').emptyTuple().reduce();
    return this.tuple().reduce();
  }

  bytesOut(): Uint8Array {
    return Uint8Array.from(this.bytes);
  }
}

/** A state dict pickle: OrderedDict with the given tensors, each written by `emit`. */
export function stateDictPickle(entries: Array<[string, (w: PickleWriter) => void]>): Uint8Array {
  const w = new PickleWriter().proto().global('collections', 'OrderedDict').emptyTuple().reduce().mark();
  for (const [name, emit] of entries) {
    w.str(name);
    emit(w);
  }
  return w.setItems().stop().bytesOut();
}

/** A torch.save-style zip archive: <folder>/data.pkl, <folder>/data/<key>, <folder>/byteorder. */
export function torchArchive(pickle: Uint8Array, storages: Record<string, Uint8Array>, folder = 'archive'): Uint8Array {
  const files: Record<string, [Uint8Array, { level: 0 }]> = {
    [`${folder}/data.pkl`]: [pickle, { level: 0 }],
    [`${folder}/byteorder`]: [strToU8('little'), { level: 0 }],
    [`${folder}/version`]: [strToU8('3\n'), { level: 0 }],
  };
  for (const [key, bytes] of Object.entries(storages)) files[`${folder}/data/${key}`] = [bytes, { level: 0 }];
  return zipSync(files);
}

export const bytesOf = (array: ArrayBufferView): Uint8Array => new Uint8Array(array.buffer, array.byteOffset, array.byteLength);

/** Builds a safetensors file from a header given as text (so tests can break it) and data bytes. */
export function rawSafetensors(header: string, data: Uint8Array = new Uint8Array(0), claimedLength?: bigint): Uint8Array {
  const json = strToU8(header);
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, claimedLength ?? BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}
