/**
 * What every causal LM (GPT-NeoX, Llama) takes and returns, and how it numbers positions when
 * the caller does not.
 */
import * as T from '../tensor/index.js';
import type { Tensor } from '../tensor/index.js';
import { ModelInputError } from './errors.js';
import type { KVCache } from './kv-cache.js';

export interface CausalLMInputs {
  /** int32 [batch, t] */
  inputIds: Tensor;
  /** [batch, t], 1 for tokens and 0 for padding. */
  attentionMask?: Tensor;
  /** int32 [batch, t]; by default 0..t-1, or counted over the attention mask when one is given. */
  positionIds?: Tensor;
  /**
   * Keys and values of earlier positions: inputIds then holds only the new tokens, and
   * attentionMask (required with a non-empty cache) covers cached and new positions.
   */
  cache?: KVCache;
  /**
   * Which positions get logits; the vocabulary head is the largest matmul, so it runs on those
   * alone. 'last': each row's last position, [batch, 1, vocab] — all that generation needs;
   * { start, end }: positions start..end-1, [batch, end - start, vocab] — a response's, for RLHF.
   * Default 'all'.
   */
  logitsFor?: 'all' | 'last' | PositionRange;
}

/** Positions start..end-1 of a sequence. */
export interface PositionRange {
  start: number;
  end: number;
}

export interface CausalLMOutputs {
  logits: Tensor;
  /** The final norm's output, [batch, t, hidden]. */
  hidden: Tensor;
}

/** The final hidden states of the positions that get logits (see CausalLMInputs.logitsFor). */
export function headInputs(hidden: Tensor, logitsFor: CausalLMInputs['logitsFor'] = 'all'): Tensor {
  const t = hidden.shape[1]!;
  if (logitsFor === 'all') return hidden;
  const { start, end } = logitsFor === 'last' ? { start: t - 1, end: t } : logitsFor;
  if (!(Number.isSafeInteger(start) && Number.isSafeInteger(end) && start >= 0 && start < end && end <= t)) {
    throw new ModelInputError('causal LM', `logitsFor {start: ${start}, end: ${end}} must satisfy 0 ≤ start < end ≤ ${t} (the sequence length)`);
  }
  return start === 0 && end === t ? hidden : T.slice(hidden, 1, start, end);
}

/**
 * Positions of the t new tokens that follow `past` cached ones: past..past+t-1, or, with an
 * attention mask over all past + t positions, each token's index among the real tokens of its row.
 */
export function defaultPositions(inputIds: Tensor, attentionMask?: Tensor, past = 0): Tensor {
  const [batch, t] = inputIds.shape as [number, number];
  const total = past + t;
  const positions = new Int32Array(batch * t);
  const mask = attentionMask ? (attentionMask.dtype === 'int32' ? attentionMask.ids : attentionMask.data) : null;
  for (let b = 0; b < batch; b++) {
    let seen = 0;
    for (let i = 0; i < total; i++) {
      const real = mask ? mask[b * total + i] !== 0 : true;
      // transformers gives padding positions 1 (cumsum − 1, filled with 1); they are masked anyway.
      if (i >= past) positions[b * t + i - past] = real ? seen : 1;
      if (real) seen++;
    }
  }
  return T.idTensor(positions, [batch, t], inputIds.backend);
}
