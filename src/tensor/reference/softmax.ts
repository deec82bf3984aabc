import type { Storage } from './storage.js';

/**
 * The shift of one row's softmax: its max and sum = Σ exp(x − max), so that log-softmax is
 * (x − max) − log(sum). chooseTokens uses it too, to report log-softmax's value bit for bit.
 */
export function softmaxShift(x: Storage, base: number, cols: number): { max: number; sum: number } {
  let max = -Infinity;
  for (let c = 0; c < cols; c++) max = Math.max(max, x[base + c]!);
  let sum = 0;
  for (let c = 0; c < cols; c++) sum += Math.exp(x[base + c]! - max);
  return { max, sum };
}

/** Softmax or log-softmax of each row, shifted by the row max so exp never overflows. */
export function softmax(x: Storage, rows: number, cols: number, out: Storage, log: boolean): void {
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    const { max, sum } = softmaxShift(x, base, cols);
    const logSum = Math.log(sum);
    for (let c = 0; c < cols; c++) {
      const shifted = x[base + c]! - max;
      out[base + c] = log ? shifted - logSum : Math.exp(shifted) / sum;
    }
  }
}

/**
 * Softmax: dx = y ⊙ (dy − Σ dy⊙y). Log-softmax: dx = dy − softmax ⊙ Σ dy, with softmax = e^y.
 */
export function softmaxBackward(y: Storage, dy: Storage, rows: number, cols: number, dx: Storage,
  log: boolean): void {
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    let dot = 0;
    for (let c = 0; c < cols; c++) dot += log ? dy[base + c]! : dy[base + c]! * y[base + c]!;
    for (let c = 0; c < cols; c++) {
      const i = base + c;
      dx[i] = log ? dy[i]! - Math.exp(y[i]!) * dot : y[i]! * (dy[i]! - dot);
    }
  }
}
