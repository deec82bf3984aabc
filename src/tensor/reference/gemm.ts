import type { GemmArgs } from '../backend.js';
import type { Storage } from './storage.js';

/**
 * out[b] (=|+=) op(a[b]) @ op(b[b]) for each batch item, with each dot product summed in
 * float64. op(a)[i, p] is a[i·k + p], or a[p·m + i] when transA; likewise for b.
 */
export function gemm(a: Storage, b: Storage, out: Storage, args: GemmArgs): void {
  const { batch, m, n, k, transA, transB, strideA, strideB, accumulate } = args;
  for (let batchIndex = 0; batchIndex < batch; batchIndex++) {
    const aBase = batchIndex * strideA;
    const bBase = batchIndex * strideB;
    const outBase = batchIndex * m * n;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let sum = 0;
        for (let p = 0; p < k; p++) {
          const aValue = transA ? a[aBase + p * m + i]! : a[aBase + i * k + p]!;
          const bValue = transB ? b[bBase + j * k + p]! : b[bBase + p * n + j]!;
          sum += aValue * bValue;
        }
        const o = outBase + i * n + j;
        out[o] = accumulate ? out[o]! + sum : sum;
      }
    }
  }
}
