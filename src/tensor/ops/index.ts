/**
 * Every differentiable op of the engine, in one list. Each op's function computes its forward
 * with the kernels of its inputs' backend (see dispatch.ts) and records its backward beside it
 * (see record.ts); the gradient-check tests walk this list so that no op goes unchecked.
 */
import {
  add, broadcastTo, clamp, div, exp, gelu, log, maximum, minimum, mul, neg, relu, sigmoid, silu, sqrt, sub, tanh,
} from './arithmetic.js';
import { attention } from './attention.js';
import { chooseTokens, entropy, tokenLogProbs } from './categorical.js';
import { dropout } from './dropout.js';
import { embedding } from './embedding.js';
import { crossEntropy } from './loss.js';
import { matmul } from './matmul.js';
import { layerNorm, rmsNorm } from './norm.js';
import { max, mean, sum } from './reduce.js';
import { rope } from './rope.js';
import { logSoftmax, softmax } from './softmax.js';
import { concat, indexSelect, permute, reshape, slice, transpose } from './view.js';
import { maskedFill, where } from './where.js';

export const OPS = {
  // linear algebra
  matmul,
  // element-wise, broadcasting
  add, sub, mul, div, minimum, maximum, neg, exp, log, sqrt, tanh, sigmoid, relu, gelu, silu, clamp,
  // reductions
  sum, mean, max,
  // normalisation
  softmax, logSoftmax, layerNorm, rmsNorm,
  // indexing and layout
  embedding, reshape, permute, transpose, slice, concat, indexSelect, broadcastTo, where, maskedFill,
  // transformer blocks
  rope, attention,
  // losses and regularisation
  crossEntropy, dropout,
  // policy statistics (PPO): per-row log-probability of the chosen token, and entropy
  tokenLogProbs, entropy,
} as const;

export type OpName = keyof typeof OPS;

// Not differentiable, so not in OPS: generation's token choice.
export { chooseTokens };

export {
  add, attention, broadcastTo, clamp, concat, crossEntropy, div, dropout, embedding, entropy, exp, gelu, indexSelect,
  layerNorm, log, logSoftmax, matmul, max, maximum, maskedFill, mean, minimum, mul, neg, permute, relu, reshape,
  rmsNorm, rope, sigmoid, silu, slice, softmax, sqrt, sub, sum, tanh, tokenLogProbs, transpose, where,
};
export type { AttentionOptions } from './attention.js';
export type { CrossEntropyOptions } from './loss.js';
export type { MatmulOptions } from './matmul.js';
export type { RopeOptions } from './rope.js';
export type { UniformSource } from './dropout.js';
