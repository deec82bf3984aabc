/**
 * The kernel boundary. Ops (tensor/ops) are written once against this interface; a backend
 * supplies the loops. Two CPU backends exist: `reference` (plain TypeScript, the definition of
 * every kernel's meaning) and `native` (C++ behind N-API, tested against the reference).
 *
 * Conventions shared by every kernel:
 * - All buffers are row-major, contiguous, float32 unless named `ids`/`targets` (int32).
 * - Outputs are passed in, already allocated with the right length, and fully overwritten
 *   unless the kernel says it accumulates (`+=`).
 * - Kernels never keep a reference to a buffer after they return.
 * - Results must not depend on thread count or scheduling: every output element is computed by
 *   one fixed sequence of floating-point operations. (The one exception is the native GEMM
 *   through Accelerate on macOS; IRLENS_SIMD=neon restores the guarantee there.)
 *
 * A GPU backend will implement the same kernels on device buffers; only `Storage` changes, and
 * host values cross the boundary only through `fromHost`, `toHost` and `writeFromHost` (and
 * `idsFromHost`, `idsToHost` for ids).
 */
declare const floatStorage: unique symbol;
declare const idStorage: unique symbol;
/**
 * A backend's buffer of float32 values, opaque everywhere but in that backend: other code can
 * pass it to kernels and ask its length, never index it, since on a device backend it is not
 * host memory. (The CPU backends' buffers are Float32Arrays; see reference/storage.ts.)
 */
export interface Storage {
  readonly length: number;
  readonly [floatStorage]: 'float32 storage';
}
/** A backend's buffer of int32 ids (tokens, targets, positions), opaque like Storage. */
export interface IdStorage {
  readonly length: number;
  readonly [idStorage]: 'int32 storage';
}

/** Element-wise unary functions; each has a matching backward in `unaryBackward`. */
export type UnaryOp =
  | 'neg' | 'exp' | 'log' | 'sqrt' | 'tanh' | 'sigmoid' | 'relu' | 'gelu' | 'silu';

/**
 * Element-wise binary functions with broadcasting (see `binary`). minimum and maximum propagate
 * NaN (as torch.minimum and torch.maximum do).
 */
export type BinaryOp = 'add' | 'sub' | 'mul' | 'div' | ExtremumOp;
/** The binary functions whose gradient is routed to one operand (see `extremumBackward`). */
export type ExtremumOp = 'minimum' | 'maximum';

export interface GemmArgs {
  /** Number of independent matrix products. */
  batch: number;
  /** out is [batch, m, n]; op(a) is [m, k]; op(b) is [k, n]. */
  m: number; n: number; k: number;
  /** a is stored as [m, k] (false) or [k, m] (true); likewise b as [k, n] or [n, k]. */
  transA: boolean; transB: boolean;
  /** Elements between consecutive batch items of a and b; 0 broadcasts one matrix to all. */
  strideA: number; strideB: number;
  /** When true, out += op(a) @ op(b); otherwise out = op(a) @ op(b). */
  accumulate: boolean;
}

export interface AttentionArgs {
  batch: number;
  heads: number;
  /** Key/value heads; heads % kvHeads === 0 (grouped-query attention when smaller). */
  kvHeads: number;
  /** Query length and key length; queries are the LAST tq positions of the tk keys. */
  tq: number; tk: number;
  headDim: number;
  scale: number;
  causal: boolean;
}

export interface Backend {
  readonly name: 'reference' | 'native';

  /** A zero-filled buffer of n float32 values, owned by the backend. */
  allocate(n: number): Storage;
  /**
   * A buffer of n float32 values with unspecified contents, for an output its kernel writes in
   * full: zero-filling every op's output cost a quarter of a training step. Under
   * IRLENS_POISON_UNINITIALIZED=1 it is NaN-filled, so a kernel that leaves an element unwritten
   * shows in the tests.
   */
  allocateUninitialized(n: number): Storage;
  /**
   * Frees a buffer from `allocate`, `allocateIds` or `fromHost`/`idsFromHost` now rather than at
   * garbage collection; every view of it becomes empty. Buffers the backend did not allocate
   * (a CPU backend's adopted host arrays) are left alone.
   */
  release(storage: Storage | IdStorage): void;
  /**
   * Host values as a buffer of this backend: the CPU backends adopt the array itself; a device
   * backend uploads it. tensor(), scalar() and the other host-made tensors come through here.
   */
  fromHost(values: Float32Array): Storage;
  /**
   * A buffer's values on the host: the CPU backends return the buffer itself; a device backend
   * downloads it (a synchronisation). Only readHost (host.ts) calls it.
   */
  toHost(storage: Storage): Float32Array;
  /** Copies host values into a buffer from element `offset` on (an upload on a device backend). */
  writeFromHost(storage: Storage, values: Float32Array, offset: number): void;

  /** A zero-filled buffer of n int32 ids, owned by the backend. */
  allocateIds(n: number): IdStorage;
  /** Host ids as a buffer of this backend, as `fromHost` does for values. */
  idsFromHost(ids: Int32Array): IdStorage;
  /** An id buffer's values on the host, as `toHost` does for values. */
  idsToHost(storage: IdStorage): Int32Array;

  /**
   * Batched matrix product, see GemmArgs. a, b, out are [batch, ...] as described there.
   */
  gemm(a: Storage, b: Storage, out: Storage, args: GemmArgs): void;

  /** out[i] = f(x[i]). */
  unary(op: UnaryOp, x: Storage, out: Storage): void;
  /**
   * dx[i] = dy[i] * f'(x[i]) where y = f(x). Both x and y are given so that each op may use
   * whichever is cheaper (exp uses y, gelu uses x). GELU is the exact erf form.
   */
  unaryBackward(op: UnaryOp, x: Storage, y: Storage, dy: Storage, dx: Storage): void;

  /**
   * out[idx] = a[idx·aStrides] op b[idx·bStrides] for every index of outShape.
   * Strides are in elements; a stride of 0 broadcasts that dimension.
   */
  binary(op: BinaryOp, a: Storage, aStrides: number[], b: Storage, bStrides: number[],
    out: Storage, outShape: number[]): void;
  /**
   * The backward of minimum/maximum by torch's rule: with a and b read as in `binary`, the
   * operand that was not chosen gets 0, and on a tie (a = b) each gets dy/2; when either is NaN
   * both get dy. dy, da and db are contiguous of outShape (the op sums da and db back to the
   * input shapes); da and db are overwritten, and either may be null when not wanted.
   */
  extremumBackward(op: ExtremumOp, a: Storage, aStrides: number[], b: Storage, bStrides: number[],
    dy: Storage, da: Storage | null, db: Storage | null, outShape: number[]): void;

  /**
   * out[i] = min(max(x[i], min), max) with NaN propagating; when min > max every element is max
   * (as torch.clamp). min and max are float32 values (the op rounds them) and may be ±Infinity.
   */
  clamp(x: Storage, min: number, max: number, out: Storage): void;
  /** dx[i] = dy[i] where min ≤ x[i] ≤ max, else 0 (torch's rule: the bounds pass the gradient; NaN does not). */
  clampBackward(x: Storage, min: number, max: number, dy: Storage, dx: Storage): void;

  /** out[i] = cond[i] !== 0 ? a[i] : b[i], all with broadcasting strides as in `binary`. */
  where(cond: Storage, condStrides: number[], a: Storage, aStrides: number[],
    b: Storage, bStrides: number[], out: Storage, outShape: number[]): void;

  /**
   * Reduction over the middle axis of x viewed as [outer, size, inner]; out is [outer, inner].
   * 'max' also writes, if given, the index (0..size-1) of the first maximum to argmax.
   */
  reduce(op: 'sum' | 'max', x: Storage, outer: number, size: number, inner: number,
    out: Storage, argmax?: IdStorage): void;
  /**
   * The backward of reduce 'max' with x viewed as [outer, size, inner]: dx[o, argmax[o, i], i] =
   * dy[o, i] and every other element of dx is 0 (overwritten). dy and argmax are [outer, inner].
   */
  maxBackward(dy: Storage, argmax: IdStorage, outer: number, size: number, inner: number, dx: Storage): void;
  /** out[i] = ids[i] as float32 (exact for |id| ≤ 2²⁴): int32 masks and labels as values. */
  idsToFloats(ids: IdStorage, out: Storage): void;
  /**
   * An inverted-dropout mask: out[i] = 0 with probability p, else `scale` (the caller passes
   * 1/(1 − p)). Drawn from a counter-based generator, so a device computes every element on its
   * own: Philox4x32-10 (Salmon et al., 2011) under `key` (two uint32) on counter
   * (⌊i/4⌋ mod 2³², ⌊i/2³⁴⌋, 0, 0), word i mod 4 as w, u = ⌊w/2⁸⌋·2⁻²⁴ ∈ [0, 1), dropped when u < p.
   * Every backend writes the same mask for the same key.
   */
  dropoutMask(key: readonly [number, number], p: number, scale: number, out: Storage): void;

  /**
   * out[idx] = x[offset + idx·strides] for every index of shape: a strided gather that
   * implements permute, slice, broadcast-expand and making a tensor contiguous.
   */
  stridedCopy(x: Storage, offset: number, strides: number[], shape: number[], out: Storage): void;
  /** The transpose of stridedCopy: dx[offset + idx·strides] += dy[idx] (dx accumulates). */
  stridedAccumulate(dy: Storage, dx: Storage, offset: number, strides: number[], shape: number[]): void;

  /** Softmax (log=false) or log-softmax (log=true) over rows of length cols. */
  softmax(x: Storage, rows: number, cols: number, out: Storage, log: boolean): void;
  /** Backward of softmax/log-softmax given its output y and upstream dy. */
  softmaxBackward(y: Storage, dy: Storage, rows: number, cols: number, dx: Storage, log: boolean): void;

  /**
   * Layer norm over rows of length cols: out = (x - mean) * rstd * weight + bias.
   * Writes mean and rstd ([rows]) for the backward. weight/bias may be null (identity).
   */
  layerNorm(x: Storage, weight: Storage | null, bias: Storage | null, rows: number, cols: number,
    eps: number, out: Storage, mean: Storage, rstd: Storage): void;
  /** dx is overwritten; dWeight and dBias (if not null) accumulate (+=). */
  layerNormBackward(x: Storage, weight: Storage | null, mean: Storage, rstd: Storage, dy: Storage,
    rows: number, cols: number, dx: Storage, dWeight: Storage | null, dBias: Storage | null): void;

  /** RMS norm: out = x * rstd * weight, rstd = 1/sqrt(mean(x²) + eps). Writes rstd ([rows]). */
  rmsNorm(x: Storage, weight: Storage | null, rows: number, cols: number, eps: number,
    out: Storage, rstd: Storage): void;
  /** dx is overwritten; dWeight (if not null) accumulates. */
  rmsNormBackward(x: Storage, weight: Storage | null, rstd: Storage, dy: Storage,
    rows: number, cols: number, dx: Storage, dWeight: Storage | null): void;

  /** out[i, :] = weight[ids[i], :] for a [vocab, dim] weight. Throws on an id out of range. */
  embedding(weight: Storage, ids: IdStorage, vocab: number, dim: number, out: Storage): void;
  /** dWeight[ids[i], :] += dy[i, :] (in order of i, so duplicates sum deterministically). */
  embeddingBackward(dy: Storage, ids: IdStorage, vocab: number, dim: number, dWeight: Storage): void;

  /**
   * Rotary position embedding, rotate-half form (GPT-NeoX and Llama): x is [batch, heads, t, headDim];
   * the first rotaryDims (even) dims of each head are rotated, the rest pass through.
   * positions is [batch, t]. inverse=true applies the inverse rotation (the backward).
   * frequency j (0 ≤ j < rotaryDims/2) is base^(-2j/rotaryDims).
   */
  rope(x: Storage, positions: IdStorage, batch: number, heads: number, t: number, headDim: number,
    rotaryDims: number, base: number, out: Storage, inverse: boolean): void;

  /**
   * Fused scaled-dot-product attention. q is [batch, heads, tq, headDim]; k, v are
   * [batch, kvHeads, tk, headDim]; keyMask is [batch, tk] (1 = attend, 0 = padding) or null.
   * Query i sits at key position tk - tq + i; with causal it sees keys ≤ that position.
   * Writes out [batch, heads, tq, headDim] and probs [batch, heads, tq, tk] (kept for the
   * backward). A query row with no visible key outputs zeros and has all-zero probs.
   */
  attention(q: Storage, k: Storage, v: Storage, keyMask: Storage | null, args: AttentionArgs,
    out: Storage, probs: Storage): void;
  /** dq, dk, dv are overwritten. */
  attentionBackward(q: Storage, k: Storage, v: Storage, probs: Storage, dOut: Storage,
    args: AttentionArgs, dq: Storage, dk: Storage, dv: Storage): void;

  /**
   * Mean cross-entropy over rows whose target ≠ ignoreIndex; logits [rows, classes]. Writes the
   * loss to loss[0] (it stays with the backend, like every other output). If dLogits is given,
   * writes the gradient of the mean loss times gradScale (zeros on ignored rows). With zero
   * counted rows the loss is NaN and dLogits is zero.
   */
  crossEntropy(logits: Storage, targets: IdStorage, rows: number, classes: number, ignoreIndex: number,
    dLogits: Storage | null, gradScale: number, loss: Storage): void;

  /**
   * The log-probability of one class per row of logits [rows, classes]:
   * out[r] = logits[r, ids[r]] − logSumExp[r], from a max pass and an exp-sum pass over the row
   * (no [rows, classes] temporary). Also writes logSumExp[r] = log Σ_c exp(logits[r, c]), the
   * only thing the backward keeps. out and logSumExp are [rows]. Throws on an id outside
   * 0..classes−1.
   */
  tokenLogProbs(logits: Storage, ids: IdStorage, rows: number, classes: number, out: Storage,
    logSumExp: Storage): void;
  /**
   * dLogits[r, c] = dy[r] · (onehot(ids[r])[c] − exp(logits[r, c] − logSumExp[r])), overwritten;
   * logSumExp is the forward's, dy is [rows].
   */
  tokenLogProbsBackward(logits: Storage, ids: IdStorage, logSumExp: Storage, dy: Storage, rows: number,
    classes: number, dLogits: Storage): void;

  /**
   * The entropy −Σ_c p log p of p = softmax(logits[r, :]) per row of logits [rows, classes], fused
   * like tokenLogProbs (whose logSumExp it also writes). 0·log 0 counts as 0, so classes masked
   * with −Infinity are simply absent. out and logSumExp are [rows]; classes must be positive.
   */
  entropy(logits: Storage, rows: number, classes: number, out: Storage, logSumExp: Storage): void;
  /**
   * dLogits[r, c] = −dy[r] · p · (log p + entropy[r]) with log p = logits[r, c] − logSumExp[r]
   * (0 where p is 0), overwritten; entropy and logSumExp are the forward's outputs.
   */
  entropyBackward(logits: Storage, logSumExp: Storage, entropy: Storage, dy: Storage, rows: number,
    classes: number, dLogits: Storage): void;

  /**
   * One token per row of logits [rows, vocab], for generation: ids[r] is the first largest logit
   * (sample false) or a draw (sample true), and logProbs[r] its log-probability under the RAW
   * distribution, exactly the value `softmax(log=true)` writes there. Only ids and logProbs
   * ([rows] each) leave the kernel, so a decode step reads O(rows) values, not O(rows × vocab).
   *
   * In transformers' order: `suppressed` ids count as −∞; sampling then keeps the top-k
   * candidates (logits ≥ the k-th largest, ties included, in id order; all ids when topK is 0 or
   * ≥ vocab) and, with topP < 1, the nucleus: the candidates sorted by logit (descending, ties
   * by id) cut before the first i ≥ 1 whose predecessors' weights sum to ≥ topP · (all
   * candidates' weights, summed in id order). A weight is exp((logit − max) / temperature) in
   * float64, exp rounded as JavaScript's Math.exp, max the largest logit. The draw is
   * Rng.categorical's on the host's uniforms[r] ∈ [0, 1): target = uniforms[r] · Σ weights, in
   * candidate order; the first candidate of positive weight whose running sum exceeds target,
   * else the last of positive weight. So every backend picks the same token for the same seed (a
   * backend without float64 must emulate it). uniforms is host memory (an upload on a device
   * backend), null for greedy.
   *
   * A row without a choice gets an id of NoToken and a NaN log-probability: nanLogit when it
   * holds a NaN; allExcluded when every logit is −∞ after suppression, or when sampling meets a
   * +∞ logit (which has no finite weight). Greedy takes a +∞ logit, whose log-probability is NaN.
   */
  chooseTokens(logits: Storage, rows: number, vocab: number, choice: TokenChoice,
    uniforms: readonly number[] | null, ids: IdStorage, logProbs: Storage): void;

  /**
   * One AdamW step in place, exactly torch.optim.AdamW: param -= lr·wd·param (decoupled;
   * wd=0 gives Adam without L2), m = β1·m + (1-β1)·g, v = β2·v + (1-β2)·g²,
   * param -= lr · (m / (1-β1^step)) / (sqrt(v / (1-β2^step)) + eps).
   */
  adamw(param: Storage, grad: Storage, m: Storage, v: Storage, args: AdamArgs): void;

  /**
   * Σ x² over every buffer of xs, in order, accumulated in float64: the global norm of gradient
   * clipping. Returning a host number is a synchronisation, so callers make one call per step.
   */
  sumSquares(xs: readonly Storage[]): number;
  /** x[i] *= s in place. */
  scaleInPlace(x: Storage, s: number): void;
  /** out[i] += b[i] in place. Used to accumulate gradients. */
  addInto(out: Storage, b: Storage): void;
}

export interface AdamArgs {
  lr: number; beta1: number; beta2: number; eps: number; weightDecay: number;
  /** 1-based step count after this update. */
  step: number;
}

/** How chooseTokens picks a token (see there). */
export interface TokenChoice {
  /** Draw (true) or take the most likely token (false; the settings below are then ignored). */
  sample: boolean;
  /** Divides the logits when sampling; positive. */
  temperature: number;
  /** Keep the k largest logits (and those tied with the k-th); 0 keeps all. */
  topK: number;
  /** Nucleus size in (0, 1]; 1 keeps all. */
  topP: number;
  /** Ids that cannot be chosen (eos before min_new_tokens); ids outside 0..vocab−1 are ignored. */
  suppressed: readonly number[];
}

/** The ids chooseTokens writes for a row it cannot choose from. */
export const NoToken = { nanLogit: -1, allExcluded: -2 } as const;
