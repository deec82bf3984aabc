import type { AttentionArgs } from '../backend.js';
import type { Storage } from './storage.js';
import { TensorError } from '../errors.js';

/**
 * Index helpers for attention's layouts: q/out/dq are [batch, heads, tq, headDim],
 * k/v/dk/dv are [batch, kvHeads, tk, headDim], probs is [batch, heads, tq, tk].
 */
function layout(args: AttentionArgs) {
  const { batch, heads, kvHeads, tq, tk, headDim } = args;
  if (kvHeads <= 0 || heads % kvHeads !== 0) {
    throw new TensorError(`attention: heads (${heads}) must be a multiple of kvHeads (${kvHeads})`);
  }
  const headsPerKv = heads / kvHeads;
  return {
    batch, heads, tq, tk, headDim,
    /** Grouped-query attention: query head h reads kv head floor(h / (heads / kvHeads)). */
    kvHeadOf: (h: number) => Math.floor(h / headsPerKv),
    qRow: (b: number, h: number, i: number) => ((b * heads + h) * tq + i) * headDim,
    kvRow: (b: number, kvh: number, j: number) => ((b * kvHeads + kvh) * tk + j) * headDim,
    probsRow: (b: number, h: number, i: number) => ((b * heads + h) * tq + i) * tk,
  };
}

/**
 * probs[i, j] = softmax over visible keys j of scale·q_i·k_j (exactly 0 for hidden keys);
 * out_i = Σ_j probs[i, j]·v_j. Query i sits at key position tk − tq + i; key j is visible when
 * keyMask[b, j] ≠ 0 and, if causal, j ≤ that position. Rows with no visible key are all zeros.
 */
export function attention(q: Storage, k: Storage, v: Storage, keyMask: Storage | null,
  args: AttentionArgs, out: Storage, probs: Storage): void {
  const L = layout(args);
  const { scale, causal } = args;
  const scores = new Float64Array(L.tk);
  const visible = new Uint8Array(L.tk);
  for (let b = 0; b < L.batch; b++) {
    for (let h = 0; h < L.heads; h++) {
      const kvh = L.kvHeadOf(h);
      for (let i = 0; i < L.tq; i++) {
        const qBase = L.qRow(b, h, i);
        const pBase = L.probsRow(b, h, i);
        const position = L.tk - L.tq + i;
        let max = -Infinity;
        for (let j = 0; j < L.tk; j++) {
          visible[j] = (keyMask === null || keyMask[b * L.tk + j] !== 0) && (!causal || j <= position) ? 1 : 0;
          if (!visible[j]) continue;
          const kBase = L.kvRow(b, kvh, j);
          let dot = 0;
          for (let d = 0; d < L.headDim; d++) dot += q[qBase + d]! * k[kBase + d]!;
          scores[j] = scale * dot;
          max = Math.max(max, scores[j]!);
        }
        let sum = 0;
        for (let j = 0; j < L.tk; j++) {
          scores[j] = visible[j] ? Math.exp(scores[j]! - max) : 0;
          sum += scores[j]!;
        }
        // sum is 0 only when no key is visible: the row stays all zeros.
        for (let j = 0; j < L.tk; j++) {
          scores[j] = sum > 0 ? scores[j]! / sum : 0;
          probs[pBase + j] = scores[j]!;
        }
        for (let d = 0; d < L.headDim; d++) {
          let acc = 0;
          for (let j = 0; j < L.tk; j++) {
            if (visible[j]) acc += scores[j]! * v[L.kvRow(b, kvh, j) + d]!;
          }
          out[qBase + d] = acc;
        }
      }
    }
  }
}

/**
 * With P = probs: dV = Pᵀ·dOut, dP = dOut·Vᵀ, dS = P ⊙ (dP − rowsum(dP ⊙ P)),
 * dQ = scale·dS·K, dK = scale·dSᵀ·Q; dK and dV sum over the query heads sharing a kv head.
 * Hidden keys have P = 0, hence dS = 0, so they receive no gradient.
 */
export function attentionBackward(q: Storage, k: Storage, v: Storage, probs: Storage, dOut: Storage,
  args: AttentionArgs, dq: Storage, dk: Storage, dv: Storage): void {
  const L = layout(args);
  const { scale } = args;
  // dk and dv collect contributions from many queries and heads; sum them in float64.
  const dkSum = new Float64Array(dk.length);
  const dvSum = new Float64Array(dv.length);
  const dScores = new Float64Array(L.tk);
  for (let b = 0; b < L.batch; b++) {
    for (let h = 0; h < L.heads; h++) {
      const kvh = L.kvHeadOf(h);
      for (let i = 0; i < L.tq; i++) {
        const qBase = L.qRow(b, h, i);
        const pBase = L.probsRow(b, h, i);
        let rowDot = 0;
        for (let j = 0; j < L.tk; j++) {
          const vBase = L.kvRow(b, kvh, j);
          let dp = 0;
          for (let d = 0; d < L.headDim; d++) dp += dOut[qBase + d]! * v[vBase + d]!;
          dScores[j] = dp;
          rowDot += dp * probs[pBase + j]!;
        }
        for (let j = 0; j < L.tk; j++) dScores[j] = probs[pBase + j]! * (dScores[j]! - rowDot);
        for (let d = 0; d < L.headDim; d++) {
          let acc = 0;
          for (let j = 0; j < L.tk; j++) acc += dScores[j]! * k[L.kvRow(b, kvh, j) + d]!;
          dq[qBase + d] = scale * acc;
        }
        for (let j = 0; j < L.tk; j++) {
          const kvBase = L.kvRow(b, kvh, j);
          const p = probs[pBase + j]!;
          for (let d = 0; d < L.headDim; d++) {
            dkSum[kvBase + d]! += scale * dScores[j]! * q[qBase + d]!;
            dvSum[kvBase + d]! += p * dOut[qBase + d]!;
          }
        }
      }
    }
  }
  dk.set(dkSum);
  dv.set(dvSum);
}
