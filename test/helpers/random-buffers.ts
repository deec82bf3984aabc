/** Deterministic pseudo-random buffers for kernel tests (a 32-bit LCG, the same on every machine). */

/** Uniform values in [lo, hi). */
export function randomFloats(length: number, seed: number, lo = -1, hi = 1): Float32Array {
  const out = new Float32Array(length);
  let s = (seed * 2654435761 + 12345) >>> 0;
  for (let i = 0; i < length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = lo + (hi - lo) * (s / 4294967296);
  }
  return out;
}

/** Uniform integers in [lo, hi). */
export function randomInts(length: number, seed: number, lo: number, hi: number): Int32Array {
  const u = randomFloats(length, seed, 0, 1);
  return Int32Array.from(u, (v) => lo + Math.min(hi - lo - 1, Math.floor(v * (hi - lo))));
}
