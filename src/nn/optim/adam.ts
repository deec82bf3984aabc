import { currentBackend, type Tensor } from '../../tensor/index.js';
import { NnError } from '../errors.js';
import { usableGrad } from './grad.js';

export interface AdamOptions {
  lr: number;
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
}

/** One parameter's optimizer state, as in torch: its own step count and both moment estimates. */
export interface AdamParamState {
  step: number;
  expAvg: Float32Array;
  expAvgSq: Float32Array;
}

export interface AdamStateDict {
  lr: number;
  /** One entry per parameter, in the order given to the constructor; null before its first update. */
  state: (AdamParamState | null)[];
}

/**
 * Adam and AdamW share everything but how weight decay enters: AdamW shrinks the parameter
 * directly (decoupled), Adam adds wd·param to the gradient (L2). The backend's adamw kernel does
 * the update for both.
 */
export abstract class AdamBase {
  readonly params: readonly Tensor[];
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  private learningRate = 0;
  private states: (AdamParamState | null)[];

  protected constructor(
    params: Iterable<Tensor>,
    options: AdamOptions,
    private readonly decoupledWeightDecay: boolean,
  ) {
    this.params = [...new Set(params)];
    this.lr = options.lr;
    [this.beta1, this.beta2] = options.betas ?? [0.9, 0.999];
    this.eps = options.eps ?? 1e-8;
    this.weightDecay = options.weightDecay ?? 0;
    const name = this.constructor.name;
    for (const [label, beta] of [['betas[0]', this.beta1], ['betas[1]', this.beta2]] as const) {
      if (!(beta >= 0 && beta < 1)) throw new NnError(`${name}: ${label} must be in [0, 1), got ${beta}`);
    }
    if (!(this.eps >= 0)) throw new NnError(`${name}: eps must be ≥ 0, got ${this.eps}`);
    if (!(this.weightDecay >= 0)) throw new NnError(`${name}: weightDecay must be ≥ 0, got ${this.weightDecay}`);
    this.states = this.params.map(() => null);
  }

  get lr(): number {
    return this.learningRate;
  }

  set lr(value: number) {
    if (!(value >= 0 && value < Infinity)) throw new NnError(`${this.constructor.name}: lr must be a finite number ≥ 0, got ${value}`);
    this.learningRate = value;
  }

  /** One update of every parameter that has a fresh gradient; the others keep their value and state. */
  step(): void {
    const backend = currentBackend();
    this.params.forEach((p, i) => {
      const grad = usableGrad(p);
      if (!grad) return;
      const state = (this.states[i] ??= { step: 0, expAvg: new Float32Array(p.size), expAvgSq: new Float32Array(p.size) });
      state.step += 1;
      const coupled = !this.decoupledWeightDecay && this.weightDecay !== 0;
      backend.adamw(p.data, coupled ? this.l2Grad(grad.data, p.data) : grad.data, state.expAvg, state.expAvgSq, {
        lr: this.lr,
        beta1: this.beta1,
        beta2: this.beta2,
        eps: this.eps,
        weightDecay: this.decoupledWeightDecay ? this.weightDecay : 0,
        step: state.step,
      });
    });
  }

  /**
   * Frees every gradient, as torch's zero_grad(set_to_none=True): the next backward hands each
   * parameter its gradient without a copy, and memory between steps holds no gradients.
   */
  zeroGrad(): void {
    for (const p of this.params) {
      p.grad?.dispose();
      p.grad = null;
    }
  }

  /** A copy of the learning rate, step counts and moments, enough to resume a run exactly. */
  stateDict(): AdamStateDict {
    return {
      lr: this.lr,
      state: this.states.map((s) => s && { step: s.step, expAvg: s.expAvg.slice(), expAvgSq: s.expAvgSq.slice() }),
    };
  }

  loadStateDict(dict: AdamStateDict): void {
    const name = this.constructor.name;
    if (dict.state.length !== this.params.length) {
      throw new NnError(`${name}.loadStateDict: the state has ${dict.state.length} parameters, this optimizer ${this.params.length}; it was saved for a different model or parameter list`);
    }
    dict.state.forEach((s, i) => {
      const size = this.params[i]!.size;
      if (s && (s.expAvg.length !== size || s.expAvgSq.length !== size || !(Number.isInteger(s.step) && s.step > 0))) {
        throw new NnError(`${name}.loadStateDict: the state of parameter ${i} (${this.params[i]!.name ?? 'unnamed'}, ${size} values) does not match; it was saved for a different model`);
      }
    });
    this.lr = dict.lr;
    this.states = dict.state.map((s) => s && { step: s.step, expAvg: s.expAvg.slice(), expAvgSq: s.expAvgSq.slice() });
  }

  /** torch.optim.Adam's L2 term, grad + wd·param, in float32 as torch computes it. */
  private l2Grad(grad: Float32Array, param: Float32Array): Float32Array {
    const out = new Float32Array(grad.length);
    for (let i = 0; i < out.length; i++) out[i] = grad[i]! + this.weightDecay * param[i]!;
    return out;
  }
}

/** torch.optim.AdamW: decoupled weight decay (default 0.01). */
export class AdamW extends AdamBase {
  constructor(params: Iterable<Tensor>, options: AdamOptions) {
    super(params, { ...options, weightDecay: options.weightDecay ?? 0.01 }, true);
  }
}

/** torch.optim.Adam: weight decay (default 0) as an L2 term added to the gradient. */
export class Adam extends AdamBase {
  constructor(params: Iterable<Tensor>, options: AdamOptions) {
    super(params, options, false);
  }
}
