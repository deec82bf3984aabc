import * as T from '../../tensor/index.js';
import type { Tensor } from '../../tensor/index.js';
import { NnError } from '../errors.js';
import { usableGrad } from './grad.js';

export interface AdamOptions {
  lr: number;
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
}

/**
 * One parameter's optimizer state as saved, as in torch: its own step count and both moment
 * estimates, copied to the host.
 */
export interface AdamParamState {
  step: number;
  expAvg: Float32Array;
  expAvgSq: Float32Array;
}

/** The live state: the moments stay in backend storage, beside the parameter they update. */
interface MomentTensors {
  step: number;
  expAvg: Tensor;
  expAvgSq: Tensor;
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
  private states: (MomentTensors | null)[];

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
    T.onDevice('an optimizer step', () => T.noGrad(() => this.params.forEach((p, i) => {
      const grad = usableGrad(p);
      if (!grad) return;
      const moment = () => T.keep(T.zeros(p.shape, false, p.backend));
      const state = (this.states[i] ??= { step: 0, expAvg: moment(), expAvgSq: moment() });
      state.step += 1;
      const coupled = !this.decoupledWeightDecay && this.weightDecay !== 0;
      const update = coupled ? T.add(grad, T.mul(p, this.weightDecay)) : grad;
      const backend = T.backendOf('adamw', p, update, state.expAvg, state.expAvgSq);
      backend.adamw(p.buffer, update.buffer, state.expAvg.buffer, state.expAvgSq.buffer, {
        lr: this.lr,
        beta1: this.beta1,
        beta2: this.beta2,
        eps: this.eps,
        weightDecay: this.decoupledWeightDecay ? this.weightDecay : 0,
        step: state.step,
      });
      if (update !== grad) update.dispose();
    })));
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

  /**
   * A host copy of the learning rate, step counts and moments, enough to resume a run exactly
   * (read at a checkpoint: a step boundary).
   */
  stateDict(): AdamStateDict {
    return {
      lr: this.lr,
      state: this.states.map((s) => s && { step: s.step, expAvg: s.expAvg.data.slice(), expAvgSq: s.expAvgSq.data.slice() }),
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
    this.dispose();
    this.states = dict.state.map((s, i) => {
      const { shape, backend } = this.params[i]!;
      const moment = (values: Float32Array) => T.keep(T.tensor(values.slice(), shape, false, backend));
      return s && { step: s.step, expAvg: moment(s.expAvg), expAvgSq: moment(s.expAvgSq) };
    });
  }

  /** Releases the moments (the optimizer starts afresh if stepped again). */
  dispose(): void {
    for (const s of this.states) {
      s?.expAvg.dispose();
      s?.expAvgSq.dispose();
    }
    this.states = this.params.map(() => null);
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
