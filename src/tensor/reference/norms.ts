import type { Storage } from './storage.js';

/**
 * Layer norm per row with the biased (population) variance, as torch.nn.LayerNorm.
 * Mean and variance are computed in float64 with two passes for accuracy.
 */
export function layerNorm(x: Storage, weight: Storage | null, bias: Storage | null, rows: number,
  cols: number, eps: number, out: Storage, mean: Storage, rstd: Storage): void {
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    let sum = 0;
    for (let c = 0; c < cols; c++) sum += x[base + c]!;
    const rowMean = sum / cols;
    let squares = 0;
    for (let c = 0; c < cols; c++) squares += (x[base + c]! - rowMean) ** 2;
    const rowRstd = 1 / Math.sqrt(squares / cols + eps);
    mean[r] = rowMean;
    rstd[r] = rowRstd;
    for (let c = 0; c < cols; c++) {
      const normalized = (x[base + c]! - rowMean) * rowRstd;
      out[base + c] = normalized * (weight ? weight[c]! : 1) + (bias ? bias[c]! : 0);
    }
  }
}

/**
 * With x̂ = (x − mean)·rstd and g = dy ⊙ weight:
 * dx = rstd · (g − mean(g) − x̂ · mean(g ⊙ x̂)), dWeight += Σ_rows dy ⊙ x̂, dBias += Σ_rows dy.
 */
export function layerNormBackward(x: Storage, weight: Storage | null, mean: Storage, rstd: Storage,
  dy: Storage, rows: number, cols: number, dx: Storage, dWeight: Storage | null,
  dBias: Storage | null): void {
  // Parameter gradients are summed over rows in float64, then added once.
  const weightSum = new Float64Array(cols);
  const biasSum = new Float64Array(cols);
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    let gSum = 0;
    let gxSum = 0;
    for (let c = 0; c < cols; c++) {
      const normalized = (x[base + c]! - mean[r]!) * rstd[r]!;
      const g = dy[base + c]! * (weight ? weight[c]! : 1);
      gSum += g;
      gxSum += g * normalized;
      weightSum[c]! += dy[base + c]! * normalized;
      biasSum[c]! += dy[base + c]!;
    }
    const gMean = gSum / cols;
    const gxMean = gxSum / cols;
    for (let c = 0; c < cols; c++) {
      const normalized = (x[base + c]! - mean[r]!) * rstd[r]!;
      const g = dy[base + c]! * (weight ? weight[c]! : 1);
      dx[base + c] = rstd[r]! * (g - gMean - normalized * gxMean);
    }
  }
  for (let c = 0; c < cols; c++) {
    if (dWeight) dWeight[c]! += weightSum[c]!;
    if (dBias) dBias[c]! += biasSum[c]!;
  }
}

/** RMS norm per row (Llama's RMSNorm): out = x · rstd · weight, rstd = 1/√(mean(x²) + eps). */
export function rmsNorm(x: Storage, weight: Storage | null, rows: number, cols: number, eps: number,
  out: Storage, rstd: Storage): void {
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    let squares = 0;
    for (let c = 0; c < cols; c++) squares += x[base + c]! * x[base + c]!;
    const rowRstd = 1 / Math.sqrt(squares / cols + eps);
    rstd[r] = rowRstd;
    for (let c = 0; c < cols; c++) out[base + c] = x[base + c]! * rowRstd * (weight ? weight[c]! : 1);
  }
}

/**
 * With x̂ = x·rstd and g = dy ⊙ weight: dx = rstd · (g − x̂ · mean(g ⊙ x̂)),
 * dWeight += Σ_rows dy ⊙ x̂.
 */
export function rmsNormBackward(x: Storage, weight: Storage | null, rstd: Storage, dy: Storage,
  rows: number, cols: number, dx: Storage, dWeight: Storage | null): void {
  const weightSum = new Float64Array(cols);
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    let gxSum = 0;
    for (let c = 0; c < cols; c++) {
      const normalized = x[base + c]! * rstd[r]!;
      gxSum += dy[base + c]! * (weight ? weight[c]! : 1) * normalized;
      weightSum[c]! += dy[base + c]! * normalized;
    }
    const gxMean = gxSum / cols;
    for (let c = 0; c < cols; c++) {
      const normalized = x[base + c]! * rstd[r]!;
      const g = dy[base + c]! * (weight ? weight[c]! : 1);
      dx[base + c] = rstd[r]! * (g - normalized * gxMean);
    }
  }
  if (dWeight) for (let c = 0; c < cols; c++) dWeight[c]! += weightSum[c]!;
}
