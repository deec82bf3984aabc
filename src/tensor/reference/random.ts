import type { Storage } from './storage.js';

/**
 * Philox4x32-10 (Salmon, Moraes, Dror and Shaw, "Parallel random numbers: as easy as 1, 2, 3",
 * SC 2011): a counter-based generator, so element i's random bits depend only on the key and i
 * and every element can be drawn on its own (on a GPU, by its own thread). The constants are the
 * paper's; native/src/random.cc computes the same words.
 */
const M0 = 0xd2511f53;
const M1 = 0xcd9e8d57;
const W0 = 0x9e3779b9;
const W1 = 0xbb67ae85;

/** The high 32 bits of a·b for uint32 a, b, exactly (the low half is Math.imul's). */
function mulHi(a: number, b: number): number {
  const low = a * (b & 0xffff);
  const high = a * (b >>> 16);
  return Math.floor((high + Math.floor(low / 65536)) / 65536) >>> 0;
}

/** The four uint32 words of Philox4x32-10 for a counter and a key of two uint32. */
export function philox4x32(counter: readonly [number, number, number, number], key: readonly [number, number]): [number, number, number, number] {
  let [c0, c1, c2, c3] = counter;
  let [k0, k1] = key;
  for (let round = 0; round < 10; round++) {
    const hi0 = mulHi(M0, c0);
    const lo0 = Math.imul(M0, c0) >>> 0;
    const hi1 = mulHi(M1, c2);
    const lo1 = Math.imul(M1, c2) >>> 0;
    [c0, c1, c2, c3] = [(hi1 ^ c1 ^ k0) >>> 0, lo1, (hi0 ^ c3 ^ k1) >>> 0, lo0];
    k0 = (k0 + W0) >>> 0;
    k1 = (k1 + W1) >>> 0;
  }
  return [c0, c1, c2, c3];
}

/** See Backend.dropoutMask. */
export function dropoutMask(key: readonly [number, number], p: number, scale: number, out: Storage): void {
  for (let block = 0; block * 4 < out.length; block++) {
    const words = philox4x32([block >>> 0, Math.floor(block / 4294967296), 0, 0], key);
    for (let j = 0; j < 4 && block * 4 + j < out.length; j++) {
      out[block * 4 + j] = (words[j]! >>> 8) * 2 ** -24 < p ? 0 : scale;
    }
  }
}
