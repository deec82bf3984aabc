// The counter-based generator behind dropout masks (src/tensor/reference/random.ts): Philox4x32-10
// gives the known answers of its authors' Random123 library, and the mask it draws drops a share
// p of elements, each element's value independent of how many there are.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dropoutMask, philox4x32 } from '../../src/tensor/reference/random.js';

const hex = (words: readonly number[]) => words.map((w) => w.toString(16).padStart(8, '0')).join(' ');

test('Philox4x32-10 gives the known answers of Random123 (kat_vectors)', () => {
  assert.equal(hex(philox4x32([0, 0, 0, 0], [0, 0])), '6627e8d5 e169c58d bc57ac4c 9b00dbd8');
  assert.equal(hex(philox4x32([0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff], [0xffffffff, 0xffffffff])),
    '408f276d 41c83b0e a20bc7c6 6d5451fd');
  assert.equal(hex(philox4x32([0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344], [0xa4093822, 0x299f31d0])),
    'd16cfe09 94fdcceb 5001e420 24126ea1');
});

test('a dropout mask drops a share p (within 4 standard errors), keeps the rest at the scale, and depends on the key', () => {
  const n = 100_000;
  for (const p of [0.01, 0.1, 0.5, 0.9]) {
    const mask = new Float32Array(n);
    dropoutMask([17, 29], p, 1 / (1 - p), mask);
    const dropped = mask.filter((v) => v === 0).length;
    assert.ok(mask.every((v) => v === 0 || v === Math.fround(1 / (1 - p))), `values other than 0 and the scale at p ${p}`);
    assert.ok(Math.abs(dropped / n - p) <= 4 * Math.sqrt((p * (1 - p)) / n), `dropped ${dropped} of ${n} at p ${p}`);
  }
  const [a, b] = [new Float32Array(1000), new Float32Array(1000)];
  dropoutMask([1, 2], 0.5, 2, a);
  dropoutMask([1, 3], 0.5, 2, b);
  assert.ok(a.some((v, i) => v !== b[i]), 'another key, another mask');
  dropoutMask([1, 2], 0, 2, b);
  assert.ok(b.every((v) => v === 2), 'p = 0 drops nothing');
});

test("an element's draw depends only on the key and its index, not on the mask's length", () => {
  const long = new Float32Array(4099);
  const short = new Float32Array(7);
  dropoutMask([5, 6], 0.3, 10, long);
  dropoutMask([5, 6], 0.3, 10, short);
  assert.deepEqual(Array.from(short), Array.from(long.subarray(0, 7)));
});
