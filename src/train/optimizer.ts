/**
 * AdamW over a model's trainable parameters in two groups, as GPT-style training does: weight
 * matrices and embeddings (rank ≥ 2) decay, biases and norm gains (rank 1) do not. Both groups
 * share one learning rate, so a single LrScheduler drives them. Its state is keyed by parameter
 * name, so a checkpoint says which moments belong to which weight. Beside it, the gradient
 * clipping every training loop shares, which stops a run whose gradients are NaN.
 */
import { AdamW, NonFiniteGradientError, clipGradNorm, type AdamParamState, type AdamStateDict, type Module } from '../nn/index.js';
import type { Tensor } from '../tensor/index.js';
import { TrainOptionsError } from './errors.js';

export interface AdamWSettings {
  learningRate: number;
  weightDecay: number;
  betas: [number, number];
  eps: number;
  /** Decay biases and norm gains too, as torch's AdamW over model.parameters() does (trlx). Default false. */
  decayEveryParameter?: boolean;
}

/** The optimizer's state by parameter name (null: not updated yet), plus the current lr. */
export interface NamedOptimizerState {
  lr: number;
  params: Map<string, AdamParamState | null>;
}

interface Group {
  optimizer: AdamW;
  names: string[];
}

export class GroupedAdamW {
  private readonly groups: Group[];
  /** Trainable parameters by name, in the model's order. */
  readonly parameters: ReadonlyMap<string, Tensor>;

  constructor(model: Module, settings: AdamWSettings) {
    const trainable = model.namedParameters().filter(([, p]) => p.requiresGrad);
    if (trainable.length === 0) {
      throw new TrainOptionsError('the model has no trainable parameters (all are frozen); unfreeze the ones to train with model.unfreeze()');
    }
    this.parameters = new Map(trainable);
    const decays = ([, p]: [string, Tensor]) => settings.decayEveryParameter === true || p.rank >= 2;
    const decayed = trainable.filter(decays);
    const plain = trainable.filter((entry) => !decays(entry));
    const common = { lr: settings.learningRate, betas: settings.betas, eps: settings.eps };
    this.groups = [
      { names: decayed.map(([n]) => n), optimizer: new AdamW(decayed.map(([, p]) => p), { ...common, weightDecay: settings.weightDecay }) },
      { names: plain.map(([n]) => n), optimizer: new AdamW(plain.map(([, p]) => p), { ...common, weightDecay: 0 }) },
    ].filter((g) => g.names.length > 0);
  }

  get lr(): number {
    return this.groups[0]!.optimizer.lr;
  }

  set lr(value: number) {
    for (const g of this.groups) g.optimizer.lr = value;
  }

  step(): void {
    for (const g of this.groups) g.optimizer.step();
  }

  zeroGrad(): void {
    for (const g of this.groups) g.optimizer.zeroGrad();
  }

  stateDict(): NamedOptimizerState {
    const params = new Map<string, AdamParamState | null>();
    for (const g of this.groups) {
      g.optimizer.stateDict().state.forEach((s, i) => params.set(g.names[i]!, s));
    }
    return { lr: this.lr, params };
  }

  /** Loads a state saved by stateDict(); the caller has checked that the names match. */
  loadStateDict(state: NamedOptimizerState): void {
    for (const g of this.groups) {
      const dict: AdamStateDict = { lr: state.lr, state: g.names.map((name) => state.params.get(name) ?? null) };
      g.optimizer.loadStateDict(dict);
    }
  }
}

/**
 * clipGradNorm (maxNorm null: measure only), with a NaN or infinite norm handed to `diverged` to
 * become the run's own divergence error: the norm is read on the host anyway, so checking it is free.
 */
export function clipGradNormOrDiverge(params: Iterable<Tensor>, maxNorm: number | null, diverged: (quantity: string, tensor: string, value: number) => Error): number {
  try {
    return clipGradNorm(params, maxNorm ?? Infinity);
  } catch (error) {
    if (error instanceof NonFiniteGradientError) throw diverged('the gradient norm', error.gradient, error.totalNorm);
    throw error;
  }
}
