import type { AttentionArgs } from '../backend.js';
import { asFloat32 } from '../create.js';
import { backendOf } from '../dispatch.js';
import { ShapeError, formatShape } from '../errors.js';
import { record } from '../record.js';
import { Tensor, outputTensor } from '../tensor.js';

export interface AttentionOptions {
  /** [batch, tk]: 1 where a key may be attended to, 0 for padding. */
  keyMask?: Tensor | null;
  /** Each query sees only keys at or before its own position. */
  causal: boolean;
  /** Score scale; 1/√headDim by default. */
  scale?: number;
}

/**
 * Fused scaled-dot-product attention: softmax(scale · q·kᵀ + mask) · v in one op, with its
 * backward. q is [batch, heads, tq, headDim]; k and v are [batch, kvHeads, tk, headDim], where
 * kvHeads divides heads (grouped-query attention). Queries are the last tq of the tk positions,
 * which is what a KV cache needs.
 */
export function attention(q: Tensor, k: Tensor, v: Tensor, options: AttentionOptions): Tensor {
  if (q.rank !== 4 || k.rank !== 4 || v.rank !== 4) {
    throw new ShapeError('attention', `q, k, v must be [batch, heads, t, headDim], got ${formatShape(q.shape)}, ${formatShape(k.shape)}, ${formatShape(v.shape)}`);
  }
  const [batch, heads, tq, headDim] = q.shape as [number, number, number, number];
  const [kb, kvHeads, tk, kd] = k.shape as [number, number, number, number];
  if (kb !== batch || kd !== headDim || v.shape.join() !== k.shape.join() || heads % kvHeads !== 0 || tq > tk) {
    throw new ShapeError('attention', `incompatible q ${formatShape(q.shape)}, k ${formatShape(k.shape)}, v ${formatShape(v.shape)}: k and v must match, share batch and headDim with q, have a number of heads dividing q's, and at least as many positions`);
  }
  const mask = options.keyMask ?? null;
  if (mask && mask.shape.join() !== [batch, tk].join()) {
    throw new ShapeError('attention', `keyMask must be [${batch}, ${tk}], got ${formatShape(mask.shape)}`);
  }
  // Only the forward reads the mask, so its buffer is passed as it is (models convert an int32
  // mask once per forward, before their layers).
  const backend = backendOf('attention', q, k, v, mask);
  const floatMask = mask && asFloat32(mask);
  const args: AttentionArgs = { batch, heads, kvHeads, tq, tk, headDim, scale: options.scale ?? 1 / Math.sqrt(headDim), causal: options.causal };
  const out = outputTensor(backend, q.shape);
  const probs = backend.allocateUninitialized(batch * heads * tq * tk);
  backend.attention(q.buffer, k.buffer, v.buffer, floatMask?.buffer ?? null, args, out.buffer, probs);
  if (floatMask !== mask) floatMask?.dispose();
  return record('attention', [q, k, v], out, (g) => {
    const dq = outputTensor(backend, q.shape);
    const dk = outputTensor(backend, k.shape);
    const dv = outputTensor(backend, v.shape);
    backend.attentionBackward(q.buffer, k.buffer, v.buffer, probs, g.buffer, args, dq.buffer, dk.buffer, dv.buffer);
    return [dq, dk, dv];
  }, [probs]);
}
