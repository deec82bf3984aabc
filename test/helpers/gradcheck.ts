import assert from 'node:assert/strict';
import { type Tensor, noGrad, tensor } from '../../src/tensor/index.js';

/**
 * Checks autograd against central finite differences on float32 tensors.
 *
 * The objective is L = Σ wᵢ·outᵢ with fixed pseudo-random weights w, summed in float64 so the
 * only float32 error is in the op itself. With float32 (ε ≈ 6e-8) outputs of magnitude ≲ 10 and
 * step h = 3e-3, rounding contributes about 1e-6/(2h) ≈ 2e-4 to a difference quotient and the
 * truncation error is O(h²) ≈ 1e-5, so |numeric − analytic| ≤ 2e-3 + 2e-2·|analytic| has ample
 * margin while still catching any wrong term of a backward.
 */
export function gradcheck(name: string, fn: (...inputs: Tensor[]) => Tensor, inputs: Tensor[], h = 3e-3): void {
  const out = fn(...inputs);
  const weights = Float64Array.from({ length: out.size }, (_, i) => Math.sin(i * 1.7 + 0.3) + 0.5);
  const objective = (t: Tensor) => t.data.reduce((s, v, i) => s + v * weights[i]!, 0);
  out.backward(tensor(Float32Array.from(weights), out.shape));

  for (const [index, input] of inputs.entries()) {
    if (!input.requiresGrad) continue;
    assert.ok(input.grad, `${name}: input ${index} got no gradient`);
    const analytic = input.grad.data;
    const data = input.data;
    for (let i = 0; i < data.length; i++) {
      const original = data[i]!;
      data[i] = original + h;
      const plus = noGrad(() => objective(fn(...inputs)));
      data[i] = original - h;
      const minus = noGrad(() => objective(fn(...inputs)));
      data[i] = original;
      const numeric = (plus - minus) / (2 * h);
      const a = analytic[i]!;
      assert.ok(
        Math.abs(numeric - a) <= 2e-3 + 2e-2 * Math.abs(a),
        `${name}: d/d input${index}[${i}] analytic ${a} vs numeric ${numeric}`,
      );
    }
  }
}

/** Deterministic test values in [-scale, scale) without an RNG dependency. */
export function values(n: number, seed = 1, scale = 1): Float32Array {
  let s = seed >>> 0 || 1;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return ((s / 2 ** 32) * 2 - 1) * scale;
  });
}

export const param = (shape: number[], seed = 1, scale = 1): Tensor => {
  const n = shape.reduce((a, b) => a * b, 1);
  return tensor(values(n, seed, scale), shape, true);
};
