/**
 * Per-row statistics of the categorical distribution softmax(logits[r, :]): the log-probability
 * of one class and the entropy, with their gradients. Float64 within a row; max-shifted so that
 * exp never overflows.
 */
import type { IdStorage, Storage } from './storage.js';
import { TensorError } from '../errors.js';

function rowMax(logits: Storage, base: number, classes: number): number {
  let max = -Infinity;
  for (let c = 0; c < classes; c++) max = Math.max(max, logits[base + c]!);
  return max;
}

function checkIds(kernel: string, ids: IdStorage, rows: number, classes: number): void {
  for (let r = 0; r < rows; r++) {
    if (ids[r]! < 0 || ids[r]! >= classes) {
      throw new TensorError(`${kernel}: id ${ids[r]} of row ${r} is outside [0, ${classes})`);
    }
  }
}

export function tokenLogProbs(logits: Storage, ids: IdStorage, rows: number, classes: number, out: Storage,
  logSumExp: Storage): void {
  checkIds('tokenLogProbs', ids, rows, classes);
  for (let r = 0; r < rows; r++) {
    const base = r * classes;
    const max = rowMax(logits, base, classes);
    let sum = 0;
    for (let c = 0; c < classes; c++) sum += Math.exp(logits[base + c]! - max);
    const logSum = max + Math.log(sum);
    out[r] = logits[base + ids[r]!]! - logSum;
    logSumExp[r] = logSum;
  }
}

export function tokenLogProbsBackward(logits: Storage, ids: IdStorage, logSumExp: Storage, dy: Storage,
  rows: number, classes: number, dLogits: Storage): void {
  checkIds('tokenLogProbsBackward', ids, rows, classes);
  for (let r = 0; r < rows; r++) {
    const base = r * classes;
    for (let c = 0; c < classes; c++) {
      const probability = Math.exp(logits[base + c]! - logSumExp[r]!);
      dLogits[base + c] = dy[r]! * ((c === ids[r] ? 1 : 0) - probability);
    }
  }
}

/** H = log s − Σ e·(x − max) / s with e = exp(x − max) and s = Σ e: the entropy without forming p. */
export function entropy(logits: Storage, rows: number, classes: number, out: Storage, logSumExp: Storage): void {
  if (classes === 0 && rows > 0) throw new TensorError('entropy: a distribution over 0 classes has no entropy');
  for (let r = 0; r < rows; r++) {
    const base = r * classes;
    const max = rowMax(logits, base, classes);
    let sum = 0;
    let weighted = 0;
    for (let c = 0; c < classes; c++) {
      const shifted = logits[base + c]! - max;
      const e = Math.exp(shifted);
      sum += e;
      if (e > 0) weighted += e * shifted;  // 0·log 0 = 0, also for −∞ logits
    }
    out[r] = Math.log(sum) - weighted / sum;
    logSumExp[r] = max + Math.log(sum);
  }
}

export function entropyBackward(logits: Storage, logSumExp: Storage, rowEntropy: Storage, dy: Storage, rows: number,
  classes: number, dLogits: Storage): void {
  for (let r = 0; r < rows; r++) {
    const base = r * classes;
    for (let c = 0; c < classes; c++) {
      const logProbability = logits[base + c]! - logSumExp[r]!;
      const probability = Math.exp(logProbability);
      dLogits[base + c] = probability > 0 ? -dy[r]! * probability * (logProbability + rowEntropy[r]!) : 0;
    }
  }
}
