import { attention, attentionBackward } from './attention.js';
import { entropy, entropyBackward, tokenLogProbs, tokenLogProbsBackward } from './categorical.js';
import { crossEntropy } from './cross-entropy.js';
import {
  addInto, binary, clamp, clampBackward, extremumBackward, idsToFloats, maxBackward, reduce, scaleInPlace,
  stridedAccumulate, stridedCopy, sumSquares, unary, unaryBackward, where,
} from './elementwise.js';
import { embedding, embeddingBackward } from './embedding.js';
import { gemm } from './gemm.js';
import { layerNorm, layerNormBackward, rmsNorm, rmsNormBackward } from './norms.js';
import { adamw } from './optimizer.js';
import { dropoutMask } from './random.js';
import { rope } from './rope.js';
import { softmax, softmaxBackward } from './softmax.js';
import { chooseTokens } from './token-choice.js';
import { type HostArrayBackend, opaqueStorage, poisoned } from './storage.js';

/**
 * The pure TypeScript backend's kernels on typed arrays: the definition of every kernel's meaning
 * (see backend.ts). Plain loops, float64 accumulation, no threads. A plain object so that the
 * native backend can spread it and override the kernels it implements.
 */
export const referenceKernels: HostArrayBackend = {
  name: 'reference',
  // Plain typed arrays: the garbage collector frees them.
  allocate: (n) => new Float32Array(n),
  allocateUninitialized: (n) => poisoned(new Float32Array(n)),
  release: () => {},
  // Storage is host memory: values cross the boundary as they are.
  fromHost: (values) => values,
  toHost: (storage) => storage,
  writeFromHost: (storage, values, offset) => storage.set(values, offset),
  allocateIds: (n) => new Int32Array(n),
  idsFromHost: (ids) => ids,
  idsToHost: (storage) => storage,
  gemm,
  unary,
  unaryBackward,
  binary,
  extremumBackward,
  clamp,
  clampBackward,
  where,
  reduce,
  maxBackward,
  idsToFloats,
  dropoutMask,
  stridedCopy,
  stridedAccumulate,
  softmax,
  softmaxBackward,
  layerNorm,
  layerNormBackward,
  rmsNorm,
  rmsNormBackward,
  embedding,
  embeddingBackward,
  rope,
  attention,
  attentionBackward,
  crossEntropy: (logits, targets, rows, classes, ignoreIndex, dLogits, gradScale, loss) => {
    loss[0] = crossEntropy(logits, targets, rows, classes, ignoreIndex, dLogits, gradScale).loss;
  },
  tokenLogProbs,
  tokenLogProbsBackward,
  entropy,
  entropyBackward,
  chooseTokens,
  adamw,
  sumSquares: (xs) => xs.reduce((total, x) => total + sumSquares(x), 0),
  scaleInPlace,
  addInto,
};

/** The reference backend, its typed arrays opaque to everyone else. */
export const referenceBackend = opaqueStorage(referenceKernels);

export {
  addInto, adamw, attention, attentionBackward, binary, chooseTokens, clamp, clampBackward, crossEntropy,
  dropoutMask, embedding, embeddingBackward, entropy, entropyBackward, extremumBackward, gemm, idsToFloats,
  layerNorm, layerNormBackward, maxBackward, reduce, rmsNorm, rmsNormBackward, rope, scaleInPlace, softmax,
  softmaxBackward, stridedAccumulate, stridedCopy, sumSquares, tokenLogProbs, tokenLogProbsBackward, unary,
  unaryBackward, where,
};
export { forEachStrided, sigmoid } from './elementwise.js';
export { erf, erfc, normalCdf, normalPdf } from './erf.js';
