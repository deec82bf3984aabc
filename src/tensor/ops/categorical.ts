/**
 * What a policy-gradient step needs from each row's distribution softmax(logits): the
 * log-probability of the token taken and the entropy. Both are fused row passes that keep only a
 * log-sum-exp per row for the backward, never a [rows, vocab] log-softmax (vocab is 50,304 for Pythia).
 * And what generation needs: the next token of each row, chosen where the logits are.
 */
import type { TokenChoice } from '../backend.js';
import { backendOf } from '../dispatch.js';
import { ShapeError, TensorError, formatShape } from '../errors.js';
import { record } from '../record.js';
import { sameShape } from '../shape.js';
import { Tensor, allocateTensor, outputTensor } from '../tensor.js';

/** Views logits [..., classes] as [rows, classes], refusing shapes without a class to choose. */
function asRows(op: string, logits: Tensor): { rows: number; classes: number } {
  const classes = logits.shape[logits.rank - 1];
  if (!classes) throw new ShapeError(op, `logits need a non-empty last (class) axis, got shape ${formatShape(logits.shape)}`);
  return { rows: logits.size / classes, classes };
}

/**
 * log softmax(logits)[id] along the last axis: logits [..., V] float32 and ids int32 [...] give
 * [...]. The gradient is g·(onehot(id) − softmax(logits)).
 */
export function tokenLogProbs(logits: Tensor, ids: Tensor): Tensor {
  const { rows, classes } = asRows('tokenLogProbs', logits);
  const rowShape = logits.shape.slice(0, -1);
  if (ids.dtype !== 'int32' || !sameShape(ids.shape, rowShape)) {
    throw new ShapeError('tokenLogProbs', `ids must be int32 of shape ${formatShape(rowShape)} for logits ${formatShape(logits.shape)}, got ${ids.dtype} ${formatShape(ids.shape)}`);
  }
  const backend = backendOf('tokenLogProbs', logits, ids);
  const out = outputTensor(backend, rowShape);
  const logSumExp = backend.allocateUninitialized(rows);
  // The kernel refuses an id outside 0..classes−1, so the ids never need reading on the host.
  backend.tokenLogProbs(logits.buffer, ids.idBuffer, rows, classes, out.buffer, logSumExp);
  // The ids are an input (one that takes no gradient) so that the graph keeps them for the backward.
  return record('tokenLogProbs', [logits, ids], out, (g) => {
    const dLogits = outputTensor(backend, logits.shape);
    backend.tokenLogProbsBackward(logits.buffer, ids.idBuffer, logSumExp, g.buffer, rows, classes, dLogits.buffer);
    return [dLogits, null];
  }, [logSumExp]);
}

/**
 * The entropy −Σ p log p of p = softmax(logits) along the last axis: [..., V] → [...]. Classes
 * masked with −Infinity contribute nothing. The gradient is −g·p·(log p + H).
 */
export function entropy(logits: Tensor): Tensor {
  const { rows, classes } = asRows('entropy', logits);
  const backend = logits.backend;
  const out = outputTensor(backend, logits.shape.slice(0, -1));
  const logSumExp = backend.allocateUninitialized(rows);
  backend.entropy(logits.buffer, rows, classes, out.buffer, logSumExp);
  return record('entropy', [logits], out, (g) => {
    const dLogits = outputTensor(backend, logits.shape);
    backend.entropyBackward(logits.buffer, logSumExp, out.buffer, g.buffer, rows, classes, dLogits.buffer);
    return [dLogits];
  }, [logSumExp]);
}

/**
 * One token per row of logits [..., V], chosen on the backend (see Backend.chooseTokens): int32
 * ids [...] and their log-probabilities [...] under log softmax(logits), so a decode step reads
 * two values per row on the host, not V. Sampling takes one uniform in [0, 1) per row, drawn by
 * the caller from its seeded streams. A row without a choice gets an id of NoToken. Not
 * differentiable.
 */
export function chooseTokens(logits: Tensor, choice: TokenChoice, uniforms: readonly number[] | null = null): { ids: Tensor; logProbs: Tensor } {
  const { rows, classes } = asRows('chooseTokens', logits);
  const problem = choice.sample ? samplingProblem(choice, uniforms, rows) : null;
  if (problem) throw new TensorError(`chooseTokens: ${problem}`);
  const rowShape = logits.shape.slice(0, -1);
  const backend = logits.backend;
  const ids = new Tensor(backend.allocateIds(rows), rowShape, backend, { dtype: 'int32' });
  const logProbs = allocateTensor(backend, rowShape);
  backend.chooseTokens(logits.buffer, rows, classes, choice, uniforms, ids.idBuffer, logProbs.buffer);
  return { ids, logProbs };
}

function samplingProblem({ temperature, topK, topP }: TokenChoice, uniforms: readonly number[] | null, rows: number): string | null {
  if (!(temperature > 0 && temperature < Infinity)) return `temperature must be positive and finite, got ${temperature}`;
  if (!(Number.isSafeInteger(topK) && topK >= 0)) return `topK must be a non-negative integer, got ${topK}`;
  if (!(topP > 0 && topP <= 1)) return `topP must be in (0, 1], got ${topP}`;
  if (uniforms?.length !== rows) return `sampling needs one uniform per row (${rows}), got ${uniforms?.length ?? 'none'}`;
  return null;
}
