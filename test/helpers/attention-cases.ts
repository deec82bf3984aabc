/**
 * Attention shapes for the kernel tests (native-kernels and the aarch64 cases): causal or not,
 * padding masks with holes, a query row with no visible key, grouped-query attention, tq < tk,
 * head sizes of 1, 7, 12, 16, 17 and 64.
 */
import type { AttentionArgs } from '../../src/tensor/backend.js';
import { randomFloats as random } from './random-buffers.js';

export interface AttentionCase extends AttentionArgs { mask: 'none' | 'padding' | 'empty-row' }
export const attentionCases: AttentionCase[] = [
  { batch: 2, heads: 4, kvHeads: 2, tq: 5, tk: 9, headDim: 12, scale: 0.3, causal: true, mask: 'padding' },
  { batch: 2, heads: 4, kvHeads: 2, tq: 5, tk: 9, headDim: 12, scale: 0.3, causal: false, mask: 'padding' },
  { batch: 1, heads: 3, kvHeads: 1, tq: 1, tk: 20, headDim: 7, scale: 0.5, causal: true, mask: 'none' },
  { batch: 2, heads: 2, kvHeads: 2, tq: 17, tk: 17, headDim: 17, scale: 1 / Math.sqrt(17), causal: true, mask: 'empty-row' },
  { batch: 3, heads: 2, kvHeads: 1, tq: 33, tk: 33, headDim: 1, scale: 1, causal: false, mask: 'padding' },
  { batch: 2, heads: 8, kvHeads: 8, tq: 64, tk: 64, headDim: 64, scale: 0.125, causal: true, mask: 'padding' },
  { batch: 1, heads: 4, kvHeads: 2, tq: 3, tk: 40, headDim: 16, scale: 0.25, causal: true, mask: 'padding' },
];

export function attentionInputs(c: AttentionCase, seed: number) {
  const q = random(c.batch * c.heads * c.tq * c.headDim, seed, -1.5, 1.5);
  const k = random(c.batch * c.kvHeads * c.tk * c.headDim, seed + 1, -1.5, 1.5);
  const v = random(c.batch * c.kvHeads * c.tk * c.headDim, seed + 2);
  const dOut = random(c.batch * c.heads * c.tq * c.headDim, seed + 3);
  let mask: Float32Array | null = null;
  if (c.mask !== 'none') {
    mask = new Float32Array(c.batch * c.tk).fill(1);
    for (let b = 0; b < c.batch; b++) for (let j = 0; j < b * 2 && j < c.tk; j++) mask[b * c.tk + j] = 0;  // left padding
    if (c.tk > 3) mask[c.tk - 2] = 0;  // a hole in batch 0
    if (c.mask === 'empty-row') for (let j = 0; j < c.tk; j++) mask[(c.batch - 1) * c.tk + j] = 0;
  }
  return { q, k, v, dOut, mask };
}
