import type { AdamArgs, AttentionArgs, BinaryOp, ExtremumOp, TokenChoice, UnaryOp } from '../backend.js';
import type { HostArrayBackend, IdStorage, Storage } from '../reference/storage.js';
import { TensorError } from '../errors.js';
import type { NativeAddon } from './backend.js';

/** Op codes shared with native/src/elementwise.cc (enums UnaryCode and BinaryCode). */
const unaryCode: Record<UnaryOp, number> = {
  neg: 0, exp: 1, log: 2, sqrt: 3, tanh: 4, sigmoid: 5, relu: 6, gelu: 7, silu: 8,
};
const binaryCode: Record<BinaryOp, number> = { add: 0, sub: 1, mul: 2, div: 3, minimum: 4, maximum: 5 };
const reduceCode = { sum: 0, max: 1 } as const;

/**
 * The addon's exports for these kernels (native/src/*.cc). Every function works in place on the
 * typed arrays it is given (byteOffset respected, nothing copied or kept) and throws an Error
 * naming the kernel when an argument is wrong or a buffer too short. Shapes and strides are
 * plain arrays of integers; null stands for an absent optional buffer.
 */
interface KernelExports {
  unary(op: number, x: Storage, out: Storage): void;
  unaryBackward(op: number, x: Storage, y: Storage, dy: Storage, dx: Storage): void;
  clamp(x: Storage, min: number, max: number, out: Storage): void;
  clampBackward(x: Storage, min: number, max: number, dy: Storage, dx: Storage): void;
  binary(op: number, a: Storage, aStrides: number[], b: Storage, bStrides: number[], out: Storage,
    outShape: number[]): void;
  extremumBackward(op: number, a: Storage, aStrides: number[], b: Storage, bStrides: number[], dy: Storage,
    da: Storage | null, db: Storage | null, outShape: number[]): void;
  where(cond: Storage, condStrides: number[], a: Storage, aStrides: number[], b: Storage,
    bStrides: number[], out: Storage, outShape: number[]): void;
  reduce(op: number, x: Storage, outer: number, size: number, inner: number, out: Storage,
    argmax: IdStorage | null): void;
  maxBackward(dy: Storage, argmax: IdStorage, outer: number, size: number, inner: number, dx: Storage): void;
  idsToFloats(ids: IdStorage, out: Storage): void;
  dropoutMask(key0: number, key1: number, p: number, scale: number, out: Storage): void;
  stridedCopy(x: Storage, offset: number, strides: number[], shape: number[], out: Storage): void;
  stridedAccumulate(dy: Storage, dx: Storage, offset: number, strides: number[], shape: number[]): void;
  softmax(x: Storage, rows: number, cols: number, out: Storage, log: boolean): void;
  softmaxBackward(y: Storage, dy: Storage, rows: number, cols: number, dx: Storage, log: boolean): void;
  layerNorm(x: Storage, weight: Storage | null, bias: Storage | null, rows: number, cols: number,
    eps: number, out: Storage, mean: Storage, rstd: Storage): void;
  layerNormBackward(x: Storage, weight: Storage | null, mean: Storage, rstd: Storage, dy: Storage,
    rows: number, cols: number, dx: Storage, dWeight: Storage | null, dBias: Storage | null): void;
  rmsNorm(x: Storage, weight: Storage | null, rows: number, cols: number, eps: number, out: Storage,
    rstd: Storage): void;
  rmsNormBackward(x: Storage, weight: Storage | null, rstd: Storage, dy: Storage, rows: number,
    cols: number, dx: Storage, dWeight: Storage | null): void;
  embedding(weight: Storage, ids: IdStorage, vocab: number, dim: number, out: Storage): void;
  embeddingBackward(dy: Storage, ids: IdStorage, vocab: number, dim: number, dWeight: Storage): void;
  rope(x: Storage, positions: IdStorage, batch: number, heads: number, t: number, headDim: number,
    rotaryDims: number, base: number, out: Storage, inverse: boolean): void;
  attention(q: Storage, k: Storage, v: Storage, keyMask: Storage | null, batch: number, heads: number,
    kvHeads: number, tq: number, tk: number, headDim: number, scale: number, causal: boolean,
    out: Storage, probs: Storage): void;
  attentionBackward(q: Storage, k: Storage, v: Storage, probs: Storage, dOut: Storage, batch: number,
    heads: number, kvHeads: number, tq: number, tk: number, headDim: number, scale: number,
    causal: boolean, dq: Storage, dk: Storage, dv: Storage): void;
  crossEntropy(logits: Storage, targets: IdStorage, rows: number, classes: number, ignoreIndex: number,
    dLogits: Storage | null, gradScale: number): { loss: number; count: number };
  tokenLogProbs(logits: Storage, ids: IdStorage, rows: number, classes: number, out: Storage, logSumExp: Storage): void;
  tokenLogProbsBackward(logits: Storage, ids: IdStorage, logSumExp: Storage, dy: Storage, rows: number,
    classes: number, dLogits: Storage): void;
  entropy(logits: Storage, rows: number, classes: number, out: Storage, logSumExp: Storage): void;
  entropyBackward(logits: Storage, logSumExp: Storage, entropy: Storage, dy: Storage, rows: number, classes: number,
    dLogits: Storage): void;
  chooseTokens(logits: Storage, rows: number, vocab: number, sample: boolean, temperature: number, topK: number,
    topP: number, suppressed: readonly number[], uniforms: readonly number[] | null, ids: IdStorage, logProbs: Storage): void;
  adamw(param: Storage, grad: Storage, m: Storage, v: Storage, lr: number, beta1: number, beta2: number,
    eps: number, weightDecay: number, step: number): void;
  sumSquares(x: Storage): number;
  scaleInPlace(x: Storage, s: number): void;
  addInto(out: Storage, b: Storage): void;
}

/**
 * The addon's kernels other than GEMM (native/src/*.cc): multithreaded C++ whose results do not
 * depend on the thread count, tested against the reference backend in
 * test/tensor/native-kernels.test.ts. A kernel the addon does not export is left out (the
 * native backend then falls back to the reference for it).
 */
export function nativeKernels(addon: NativeAddon): Partial<HostArrayBackend> {
  const n = guarded(addon as unknown as Partial<KernelExports>);
  const kernels: Partial<HostArrayBackend> = {};
  const has = (name: keyof KernelExports): boolean => typeof n[name] === 'function';

  if (has('unary')) {
    const f = n.unary!;
    kernels.unary = (op: UnaryOp, x: Storage, out: Storage) => f(code(unaryCode, op), x, out);
  }
  if (has('unaryBackward')) {
    const f = n.unaryBackward!;
    kernels.unaryBackward = (op: UnaryOp, x: Storage, y: Storage, dy: Storage, dx: Storage) =>
      f(code(unaryCode, op), x, y, dy, dx);
  }
  if (has('binary')) {
    const f = n.binary!;
    kernels.binary = (op: BinaryOp, a: Storage, aStrides: number[], b: Storage, bStrides: number[],
      out: Storage, outShape: number[]) => f(code(binaryCode, op), a, aStrides, b, bStrides, out, outShape);
  }
  if (has('clamp')) kernels.clamp = n.clamp!;
  if (has('clampBackward')) kernels.clampBackward = n.clampBackward!;
  if (has('extremumBackward')) {
    const f = n.extremumBackward!;
    kernels.extremumBackward = (op: ExtremumOp, a: Storage, aStrides: number[], b: Storage, bStrides: number[],
      dy: Storage, da: Storage | null, db: Storage | null, outShape: number[]) =>
      f(code(binaryCode, op), a, aStrides, b, bStrides, dy, da, db, outShape);
  }
  if (has('where')) kernels.where = n.where!;
  if (has('reduce')) {
    const f = n.reduce!;
    kernels.reduce = (op: 'sum' | 'max', x: Storage, outer: number, size: number, inner: number,
      out: Storage, argmax?: IdStorage) => f(code(reduceCode, op), x, outer, size, inner, out, argmax ?? null);
  }
  if (has('maxBackward')) kernels.maxBackward = n.maxBackward!;
  if (has('idsToFloats')) kernels.idsToFloats = n.idsToFloats!;
  if (has('dropoutMask')) {
    const f = n.dropoutMask!;
    kernels.dropoutMask = (key: readonly [number, number], p: number, scale: number, out: Storage) => f(key[0], key[1], p, scale, out);
  }
  if (has('stridedCopy')) kernels.stridedCopy = n.stridedCopy!;
  if (has('stridedAccumulate')) kernels.stridedAccumulate = n.stridedAccumulate!;
  if (has('softmax')) kernels.softmax = n.softmax!;
  if (has('softmaxBackward')) kernels.softmaxBackward = n.softmaxBackward!;
  if (has('layerNorm')) kernels.layerNorm = n.layerNorm!;
  if (has('layerNormBackward')) kernels.layerNormBackward = n.layerNormBackward!;
  if (has('rmsNorm')) kernels.rmsNorm = n.rmsNorm!;
  if (has('rmsNormBackward')) kernels.rmsNormBackward = n.rmsNormBackward!;
  if (has('embedding')) kernels.embedding = n.embedding!;
  if (has('embeddingBackward')) kernels.embeddingBackward = n.embeddingBackward!;
  if (has('rope')) kernels.rope = n.rope!;
  if (has('attention')) {
    const f = n.attention!;
    kernels.attention = (q: Storage, k: Storage, v: Storage, keyMask: Storage | null, args: AttentionArgs,
      out: Storage, probs: Storage) =>
      f(q, k, v, keyMask, args.batch, args.heads, args.kvHeads, args.tq, args.tk, args.headDim, args.scale,
        args.causal, out, probs);
  }
  if (has('attentionBackward')) {
    const f = n.attentionBackward!;
    kernels.attentionBackward = (q: Storage, k: Storage, v: Storage, probs: Storage, dOut: Storage,
      args: AttentionArgs, dq: Storage, dk: Storage, dv: Storage) =>
      f(q, k, v, probs, dOut, args.batch, args.heads, args.kvHeads, args.tq, args.tk, args.headDim,
        args.scale, args.causal, dq, dk, dv);
  }
  if (has('crossEntropy')) {
    const f = n.crossEntropy!;
    kernels.crossEntropy = (logits: Storage, targets: IdStorage, rows: number, classes: number, ignoreIndex: number,
      dLogits: Storage | null, gradScale: number, loss: Storage) => {
      loss[0] = f(logits, targets, rows, classes, ignoreIndex, dLogits, gradScale).loss;
    };
  }
  if (has('tokenLogProbs')) kernels.tokenLogProbs = n.tokenLogProbs!;
  if (has('tokenLogProbsBackward')) kernels.tokenLogProbsBackward = n.tokenLogProbsBackward!;
  if (has('entropy')) kernels.entropy = n.entropy!;
  if (has('entropyBackward')) kernels.entropyBackward = n.entropyBackward!;
  if (has('chooseTokens')) {
    const f = n.chooseTokens!;
    kernels.chooseTokens = (logits: Storage, rows: number, vocab: number, choice: TokenChoice,
      uniforms: readonly number[] | null, ids: IdStorage, logProbs: Storage) =>
      f(logits, rows, vocab, choice.sample, choice.temperature, choice.topK, choice.topP, choice.suppressed, uniforms,
        ids, logProbs);
  }
  if (has('adamw')) {
    const f = n.adamw!;
    kernels.adamw = (param: Storage, grad: Storage, m: Storage, v: Storage, args: AdamArgs) =>
      f(param, grad, m, v, args.lr, args.beta1, args.beta2, args.eps, args.weightDecay, args.step);
  }
  if (has('sumSquares')) {
    const f = n.sumSquares!;
    kernels.sumSquares = (xs: readonly Storage[]) => xs.reduce((total, x) => total + f(x), 0);
  }
  if (has('scaleInPlace')) kernels.scaleInPlace = n.scaleInPlace!;
  if (has('addInto')) {
    const f = n.addInto!;
    kernels.addInto = (out: Storage, b: Storage) => {
      if (out.length !== b.length) {
        throw new TensorError(`addInto: lengths differ (${out.length} and ${b.length})`);
      }
      f(out, b);
    };
  }
  return kernels;
}

function code<K extends string>(table: Record<K, number>, op: K): number {
  const c = table[op];
  if (c === undefined) throw new TensorError(`native kernels: unknown op '${op}'`);
  return c;
}

/** Wraps each exported kernel so that the addon's Errors surface as TensorError. */
function guarded(exports: Partial<KernelExports>): Partial<KernelExports> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(exports)) {
    if (typeof value !== 'function') continue;
    const f = value as (...args: unknown[]) => unknown;
    out[name] = (...args: unknown[]) => {
      try {
        return f(...args);
      } catch (e) {
        if (e instanceof Error && !(e instanceof TensorError)) throw new TensorError(e.message);
        throw e;
      }
    };
  }
  return out as Partial<KernelExports>;
}
