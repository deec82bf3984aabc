import { indexAtCumulativeWeight, sizeOf, tensor, type Tensor } from '../tensor/index.js';
import { NnError } from './errors.js';

/** Everything needed to continue a stream exactly: plain numbers, so it survives JSON. */
export interface RngState {
  /** The four 32-bit words of xoshiro128** (as unsigned integers). */
  words: [number, number, number, number];
  /** The second normal of the last Box–Muller pair, not yet handed out. */
  spareNormal: number | null;
}

const MASK64 = (1n << 64n) - 1n;

/** One step of splitmix64: turns any 64-bit seed into well-mixed, never-all-zero state words. */
function splitmix64(state: bigint): { state: bigint; value: bigint } {
  const next = (state + 0x9e3779b97f4a7c15n) & MASK64;
  let z = next;
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK64;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK64;
  return { state: next, value: z ^ (z >> 31n) };
}

/** 64-bit FNV-1a over the UTF-8 bytes of text, after the given 32-bit words. */
function fnv1a64(words: readonly number[], text: string): bigint {
  let h = 0xcbf29ce484222325n;
  const eat = (byte: number) => {
    h = ((h ^ BigInt(byte)) * 0x100000001b3n) & MASK64;
  };
  for (const w of words) for (let shift = 0; shift < 32; shift += 8) eat((w >>> shift) & 0xff);
  for (const byte of new TextEncoder().encode(text)) eat(byte);
  return h;
}

/** Integer seeds are used as they are; strings and other numbers are hashed. */
function seedTo64(seed: number | string): bigint {
  if (typeof seed === 'number' && Number.isSafeInteger(seed)) return BigInt.asUintN(64, BigInt(seed));
  if (typeof seed === 'number' && !Number.isFinite(seed)) throw new NnError(`Rng: the seed must be a finite number or a string, got ${seed}`);
  return fnv1a64([], String(seed));
}

function stateFrom64(seed: bigint): [number, number, number, number] {
  const a = splitmix64(seed);
  const b = splitmix64(a.state);
  const words = [a.value, a.value >> 32n, b.value, b.value >> 32n].map((w) => Number(w & 0xffffffffn));
  return words as [number, number, number, number];
}

const TWO_POW_32 = 2 ** 32;
const TWO_POW_53 = 2 ** 53;

/**
 * A seeded pseudo-random number generator: xoshiro128** (Blackman & Vigna), seeded through
 * splitmix64. Fast in plain JavaScript (32-bit integer arithmetic only), passes BigCrush, and its
 * whole state fits in getState() so a resumed run continues the identical stream.
 */
export class Rng {
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;
  private spareNormal: number | null = null;

  constructor(seed: number | string = 0) {
    this.setWords(stateFrom64(seedTo64(seed)));
  }

  /** The next 32 random bits as an unsigned integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform in [0, 1) with 53 random bits, like Math.random() at its best. */
  uniform(): number {
    const high = this.nextUint32() >>> 5; // 27 bits
    const low = this.nextUint32() >>> 6; // 26 bits
    return (high * 2 ** 26 + low) / TWO_POW_53;
  }

  /** Normal(mean, std) by Box–Muller; each pair of uniforms gives two normals, the second cached. */
  normal(mean = 0, std = 1): number {
    if (this.spareNormal !== null) {
      const z = this.spareNormal;
      this.spareNormal = null;
      return mean + std * z;
    }
    const u1 = 1 - this.uniform(); // in (0, 1], so the log is finite
    const u2 = this.uniform();
    const radius = Math.sqrt(-2 * Math.log(u1));
    const angle = 2 * Math.PI * u2;
    this.spareNormal = radius * Math.sin(angle);
    return mean + std * radius * Math.cos(angle);
  }

  /** A uniform integer in [0, n). */
  int(n: number): number {
    if (!Number.isSafeInteger(n) || n <= 0) throw new NnError(`Rng.int: n must be a positive integer, got ${n}`);
    // With n ≤ 2^32 a rejection sample is exactly unbiased; beyond, 53-bit floats are close enough.
    if (n > TWO_POW_32) return Math.floor(this.uniform() * n);
    const limit = TWO_POW_32 - (TWO_POW_32 % n);
    let x = this.nextUint32();
    while (x >= limit) x = this.nextUint32();
    return x % n;
  }

  /**
   * One index drawn with probability proportional to `weights` (probabilities, not necessarily
   * normalised), or to exp(weights) with { logits: true } (−Infinity logits are never drawn).
   */
  categorical(weights: ArrayLike<number>, options: { logits?: boolean } = {}): number {
    const n = weights.length;
    const logits = options.logits ?? false;
    let maxLogit = -Infinity;
    if (logits) for (let i = 0; i < n; i++) maxLogit = Math.max(maxLogit, weights[i]!);
    const weight = logits ? (i: number) => Math.exp(weights[i]! - maxLogit) : (i: number) => weights[i]!;
    let total = 0;
    for (let i = 0; i < n; i++) {
      const w = weight(i);
      if (!(w >= 0) || w === Infinity) {
        throw new NnError(`Rng.categorical: ${logits ? 'logit' : 'probability'} ${i} is ${weights[i]}; ${logits ? 'logits must not be NaN or +Infinity' : 'probabilities must be finite and ≥ 0'}`);
      }
      total += w;
    }
    if (!(total > 0)) throw new NnError(`Rng.categorical: all ${n} ${logits ? 'logits are −Infinity' : 'probabilities are zero'}; nothing can be drawn`);
    // The search generation's token-choice kernels make with the same uniform.
    return indexAtCumulativeWeight(weight, n, this.uniform() * total);
  }

  /** Shuffles array in place (Fisher–Yates) and returns it. */
  shuffle<T>(array: T[]): T[] {
    for (let i = array.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [array[i], array[j]] = [array[j]!, array[i]!];
    }
    return array;
  }

  /**
   * An independent generator derived from this one's current state and a label. It does not
   * advance this generator, so streams forked for different purposes ('init', 'data', ...) stay
   * the same when another fork is added or removed.
   */
  fork(label: string): Rng {
    const child = new Rng();
    child.setWords(stateFrom64(fnv1a64(this.getState().words, label)));
    return child;
  }

  getState(): RngState {
    return { words: [this.s0 >>> 0, this.s1 >>> 0, this.s2 >>> 0, this.s3 >>> 0], spareNormal: this.spareNormal };
  }

  setState(state: RngState): void {
    const words = state?.words;
    if (!Array.isArray(words) || words.length !== 4 || !words.every((w) => Number.isInteger(w) && w >= 0 && w < TWO_POW_32)) {
      throw new NnError('Rng.setState: expected { words: four unsigned 32-bit integers, spareNormal }, as returned by getState()');
    }
    this.setWords(words);
    this.spareNormal = state.spareNormal ?? null;
  }

  private setWords(words: readonly number[]): void {
    // xoshiro's all-zero state is a fixed point; splitmix64 output never gives it, a hand-made state might.
    if (words.every((w) => w === 0)) throw new NnError('Rng: the all-zero state is not allowed');
    [this.s0, this.s1, this.s2, this.s3] = words.map((w) => w | 0) as [number, number, number, number];
  }
}

const rotl = (x: number, k: number): number => (x << k) | (x >>> (32 - k));

/** A float32 tensor of Normal(0, std) samples. */
export function randn(shape: readonly number[], rng: Rng, std = 1): Tensor {
  const data = new Float32Array(sizeOf(shape));
  for (let i = 0; i < data.length; i++) data[i] = rng.normal(0, std);
  return tensor(data, shape);
}

/** A float32 tensor of Uniform[low, high) samples. */
export function randUniform(shape: readonly number[], rng: Rng, low = 0, high = 1): Tensor {
  const data = new Float32Array(sizeOf(shape));
  for (let i = 0; i < data.length; i++) data[i] = low + (high - low) * rng.uniform();
  return tensor(data, shape);
}
