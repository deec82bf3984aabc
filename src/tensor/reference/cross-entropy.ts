import type { IdStorage, Storage } from './storage.js';
import { TensorError } from '../errors.js';

/**
 * Mean over counted rows (target ≠ ignoreIndex) of logsumexp(logits) − logits[target].
 * dLogits = (softmax − onehot(target)) · gradScale / count on counted rows, 0 on ignored ones.
 * With no counted row the mean is 0/0: the loss is NaN and every gradient is 0.
 */
export function crossEntropy(logits: Storage, targets: IdStorage, rows: number, classes: number,
  ignoreIndex: number, dLogits: Storage | null, gradScale: number): { loss: number; count: number } {
  let count = 0;
  for (let r = 0; r < rows; r++) {
    const target = targets[r]!;
    if (target === ignoreIndex) continue;
    if (target < 0 || target >= classes) {
      throw new TensorError(
        `crossEntropy: target ${target} in row ${r} is out of range for ${classes} classes ` +
          `(and is not the ignore index ${ignoreIndex})`);
    }
    count++;
  }
  if (dLogits) dLogits.fill(0);
  let total = 0;
  for (let r = 0; r < rows; r++) {
    const target = targets[r]!;
    if (target === ignoreIndex) continue;
    const base = r * classes;
    let max = -Infinity;
    for (let c = 0; c < classes; c++) max = Math.max(max, logits[base + c]!);
    let sum = 0;
    for (let c = 0; c < classes; c++) sum += Math.exp(logits[base + c]! - max);
    const logSum = max + Math.log(sum);
    total += logSum - logits[base + target]!;
    if (dLogits) {
      const rowScale = gradScale / count;
      for (let c = 0; c < classes; c++) {
        const probability = Math.exp(logits[base + c]! - logSum);
        dLogits[base + c] = (probability - (c === target ? 1 : 0)) * rowScale;
      }
    }
  }
  return { loss: count > 0 ? total / count : NaN, count };
}
