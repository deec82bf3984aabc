import { add, dropout, embedding, layerNorm, matmul, rmsNorm, zeros, ones, type Tensor } from '../tensor/index.js';
import { NnError } from './errors.js';
import { DEFAULT_INIT_STD, fillNormal, fillOnes, fillZeros, type Initialisable } from './init.js';
import { Module } from './module.js';
import type { Rng } from './rng.js';

/**
 * Layers whose weights are drawn at random start at zero unless given an rng: a model that will
 * load a checkpoint need not draw millions of normals first. Call initWeights() on the model (or
 * pass rng) when training from scratch.
 */
export interface RandomInitOptions {
  /** Draw the weight from Normal(0, std) now. */
  rng?: Rng;
  /** Standard deviation of the initial weight (transformers' initializer_range). */
  std?: number;
}

/** y = x·Wᵀ + b with W of shape [outFeatures, inFeatures], as torch.nn.Linear. */
export class Linear extends Module implements Initialisable {
  readonly weight: Tensor;
  readonly bias: Tensor | null;

  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    options: RandomInitOptions & { bias?: boolean } = {},
  ) {
    super();
    this.weight = this.addParameter('weight', zeros([outFeatures, inFeatures]));
    this.bias = (options.bias ?? true) ? this.addParameter('bias', zeros([outFeatures])) : null;
    if (options.rng) this.resetParameters(options.rng, options.std ?? DEFAULT_INIT_STD);
  }

  resetParameters(rng: Rng, std: number): void {
    fillNormal(this.weight, rng, std);
    if (this.bias) fillZeros(this.bias);
  }

  forward(x: Tensor): Tensor {
    const y = matmul(x, this.weight, { transB: true });
    return this.bias ? add(y, this.bias) : y;
  }
}

/** A lookup table of [numEmbeddings, embeddingDim] vectors indexed by int32 ids. */
export class Embedding extends Module implements Initialisable {
  readonly weight: Tensor;

  constructor(
    readonly numEmbeddings: number,
    readonly embeddingDim: number,
    options: RandomInitOptions = {},
  ) {
    super();
    this.weight = this.addParameter('weight', zeros([numEmbeddings, embeddingDim]));
    if (options.rng) this.resetParameters(options.rng, options.std ?? DEFAULT_INIT_STD);
  }

  resetParameters(rng: Rng, std: number): void {
    fillNormal(this.weight, rng, std);
  }

  forward(ids: Tensor): Tensor {
    return embedding(this.weight, ids);
  }
}

/** Layer normalisation over the last dimension (GPT-NeoX, RoBERTa). */
export class LayerNorm extends Module implements Initialisable {
  readonly weight: Tensor | null;
  readonly bias: Tensor | null;
  readonly eps: number;

  constructor(
    readonly dim: number,
    options: { eps?: number; elementwiseAffine?: boolean } = {},
  ) {
    super();
    this.eps = options.eps ?? 1e-5;
    const affine = options.elementwiseAffine ?? true;
    this.weight = affine ? this.addParameter('weight', ones([dim])) : null;
    this.bias = affine ? this.addParameter('bias', zeros([dim])) : null;
  }

  resetParameters(): void {
    if (this.weight) fillOnes(this.weight);
    if (this.bias) fillZeros(this.bias);
  }

  forward(x: Tensor): Tensor {
    return layerNorm(x, this.weight, this.bias, this.eps);
  }
}

/** Root-mean-square normalisation over the last dimension (Llama). */
export class RMSNorm extends Module implements Initialisable {
  readonly weight: Tensor;
  readonly eps: number;

  constructor(
    readonly dim: number,
    options: { eps?: number } = {},
  ) {
    super();
    this.eps = options.eps ?? 1e-6;
    this.weight = this.addParameter('weight', ones([dim]));
  }

  resetParameters(): void {
    fillOnes(this.weight);
  }

  forward(x: Tensor): Tensor {
    return rmsNorm(x, this.weight, this.eps);
  }
}

/** Inverted dropout, active only while the module is training. */
export class Dropout extends Module {
  constructor(
    readonly p: number,
    private readonly rng: Rng,
  ) {
    super();
    if (!(p >= 0 && p < 1)) throw new NnError(`Dropout: p must be in [0, 1), got ${p}`);
  }

  forward(x: Tensor): Tensor {
    return dropout(x, this.p, this.rng, this.training);
  }
}
