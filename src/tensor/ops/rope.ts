import { backendOf } from '../dispatch.js';
import { ShapeError, formatShape } from '../errors.js';
import { record } from '../record.js';
import { Tensor, outputTensor } from '../tensor.js';

export interface RopeOptions {
  /** Dimensions of each head that rotate (GPT-NeoX: rotary_pct · headDim); the rest pass through. */
  rotaryDims: number;
  /** Frequency base (rotary_emb_base / rope_theta). */
  base: number;
}

/**
 * Rotary position embedding in the rotate-half form of GPT-NeoX and Llama.
 * x is [batch, heads, t, headDim]; positions is an int32 [batch, t] tensor.
 */
export function rope(x: Tensor, positions: Tensor, options: RopeOptions): Tensor {
  if (x.rank !== 4) throw new ShapeError('rope', `input must be [batch, heads, t, headDim], got ${formatShape(x.shape)}`);
  const [batch, heads, t, headDim] = x.shape as [number, number, number, number];
  if (positions.dtype !== 'int32' || positions.shape.join() !== [batch, t].join()) {
    throw new ShapeError('rope', `positions must be int32 of shape [${batch}, ${t}], got ${positions.dtype} ${formatShape(positions.shape)}`);
  }
  const { rotaryDims, base } = options;
  if (rotaryDims % 2 !== 0 || rotaryDims > headDim || rotaryDims < 0) {
    throw new ShapeError('rope', `rotaryDims ${rotaryDims} must be even and at most the head size ${headDim}`);
  }
  const backend = backendOf('rope', x, positions);
  const positionIds = positions.idBuffer; // the buffer, not the tensor: a scope may dispose the tensor
  const apply = (input: Tensor, inverse: boolean) => {
    const out = outputTensor(backend, x.shape);
    backend.rope(input.buffer, positionIds, batch, heads, t, headDim, rotaryDims, base, out.buffer, inverse);
    return out;
  };
  return record('rope', [x], apply(x, false), (g) => [apply(g, true)]);
}
