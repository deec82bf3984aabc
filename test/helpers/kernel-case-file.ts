/**
 * Records kernel calls exactly as the native addon receives them (through the same wrappers the
 * native backend uses, src/tensor/native) together with the reference backend's results, and
 * writes them to the case file native/test/kernel_check.cc replays. That program runs the C++
 * kernels without Node, so the file carries the tests to machines the addon cannot be loaded on
 * here: aarch64 under qemu-user.
 *
 * File layout (little-endian): "IRLK" as u32, call count u32; per call: label, kernel (u32 length
 * + UTF-8), rtol f64, atol f64, argument count u32, the arguments (a u8 tag, then: number/bool
 * f64; Float32Array/Int32Array u32 length, values before, values the reference left; number
 * list u32 length + f64 each; alias u32 index of the same buffer earlier in the call), then the
 * expected return value as u32 count of (key, f64) pairs (key "" for a plain number).
 */
import { writeFileSync } from 'node:fs';
import type { HostArrayBackend } from '../../src/tensor/reference/storage.js';
import { referenceKernels } from '../../src/tensor/reference/index.js';
import { nativeKernels } from '../../src/tensor/native/kernels.js';
import { nativeGemmKernels } from '../../src/tensor/native/gemm.js';
import type { NativeAddon } from '../../src/tensor/native/backend.js';

export type KernelName = Exclude<keyof HostArrayBackend, 'name' | 'allocate' | 'release'>;

/** A call passes when every element satisfies |native − reference| ≤ rtol·|reference| + atol·max|reference|. */
export interface Tolerance { rtol: number; atol: number }

type AddonArg = number | boolean | null | undefined | Float32Array | Int32Array | number[];

interface RecordedCall {
  label: string;
  kernel: string;
  tolerance: Tolerance;
  live: AddonArg[];
  before: AddonArg[];
  after: AddonArg[];
  returned: unknown;
}

const enum Tag { Undefined = 0, Null, Number, Bool, Floats, Ints, NumberList, Alias }

const kernelNames = Object.keys(referenceKernels).filter((k) => !['name', 'allocate', 'release'].includes(k));

const copy = (arg: AddonArg): AddonArg =>
  arg instanceof Float32Array || arg instanceof Int32Array ? arg.slice() : Array.isArray(arg) ? [...arg] : arg;

export class KernelCaseFile {
  private readonly calls: RecordedCall[] = [];
  private addonCall: { kernel: string; live: AddonArg[]; before: AddonArg[] } | null = null;
  private readonly native: Partial<HostArrayBackend>;

  constructor() {
    const recorder: NativeAddon = Object.fromEntries(kernelNames.map((kernel) => [kernel, (...live: AddonArg[]) => {
      this.addonCall = { kernel, live, before: live.map(copy) };
      return {}; // what a wrapper reads of the addon's answer (crossEntropy's .loss) is not recorded here
    }]));
    this.native = { ...nativeKernels(recorder), ...nativeGemmKernels(recorder) };
  }

  get size(): number { return this.calls.length; }

  /**
   * Records backend[kernel](...args): the addon-level arguments the native backend would pass,
   * and what the reference backend leaves in every buffer and returns. The reference runs on
   * the given buffers, so a case may feed one call's outputs to the next.
   */
  add<K extends KernelName>(label: string, tolerance: Tolerance, kernel: K, ...args: Parameters<HostArrayBackend[K]>): void {
    this.addonCall = null;
    (this.native[kernel] as (...a: unknown[]) => unknown)(...args);
    const call = this.addonCall as { kernel: string; live: AddonArg[]; before: AddonArg[] } | null;
    if (call === null) throw new Error(`${kernel}: the native backend made no addon call`);
    let returned = (referenceKernels[kernel] as (...a: unknown[]) => unknown)(...args);
    // The addon returns crossEntropy's loss, which the backend writes into its last argument.
    if (kernel === 'crossEntropy') returned = { loss: (args.at(-1) as Float32Array)[0]! };
    this.calls.push({ label, tolerance, ...call, after: call.live.map(copy), returned });
  }

  write(path: string): void {
    const w = new ByteWriter();
    w.u32(0x4b4c5249);
    w.u32(this.calls.length);
    for (const c of this.calls) {
      w.string(c.label);
      w.string(c.kernel);
      w.f64(c.tolerance.rtol);
      w.f64(c.tolerance.atol);
      w.u32(c.before.length);
      c.before.forEach((arg, i) => writeArg(w, arg, c.after[i], i, c.live.indexOf(c.live[i])));
      const returned = typeof c.returned === 'number' ? { '': c.returned } : (c.returned ?? {}) as Record<string, number>;
      const entries = Object.entries(returned);
      w.u32(entries.length);
      for (const [key, value] of entries) {
        w.string(key);
        w.f64(value);
      }
    }
    writeFileSync(path, w.bytes());
  }
}

/** Argument `index` of a call; `first` is the index of its first occurrence (an alias when earlier). */
function writeArg(w: ByteWriter, arg: AddonArg, after: AddonArg, index: number, first: number): void {
  const isBuffer = arg instanceof Float32Array || arg instanceof Int32Array;
  if (isBuffer && first !== index) {
    w.u8(Tag.Alias);
    w.u32(first);
  } else if (arg instanceof Float32Array || arg instanceof Int32Array) {
    w.u8(arg instanceof Float32Array ? Tag.Floats : Tag.Ints);
    w.u32(arg.length);
    w.view(arg);
    w.view(after as Float32Array | Int32Array);
  } else if (Array.isArray(arg)) {
    w.u8(Tag.NumberList);
    w.u32(arg.length);
    w.view(Float64Array.from(arg));
  } else if (typeof arg === 'number' || typeof arg === 'boolean') {
    w.u8(typeof arg === 'number' ? Tag.Number : Tag.Bool);
    w.f64(Number(arg));
  } else {
    w.u8(arg === null ? Tag.Null : Tag.Undefined);
  }
}

class ByteWriter {
  private readonly parts: Uint8Array[] = [];

  u8(v: number): void { this.parts.push(Uint8Array.of(v)); }
  u32(v: number): void { this.view(Uint32Array.of(v)); }
  f64(v: number): void { this.view(Float64Array.of(v)); }
  string(s: string): void {
    const bytes = Buffer.from(s, 'utf8');
    this.u32(bytes.length);
    this.parts.push(bytes);
  }
  view(v: ArrayBufferView): void { this.parts.push(new Uint8Array(v.buffer.slice(v.byteOffset, v.byteOffset + v.byteLength))); }
  bytes(): Buffer { return Buffer.concat(this.parts); }
}
