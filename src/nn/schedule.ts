import { NnError } from './errors.js';

/**
 * A learning-rate schedule: the lr for a step, given the base lr. Steps count from 0, the lr the
 * first update uses, as in torch's LambdaLR and transformers' schedules (so warm-up starts at 0).
 */
export type LrSchedule = (step: number, baseLr: number) => number;

function requireSteps(what: string, n: number, min: number): void {
  if (!Number.isInteger(n) || n < min) throw new NnError(`schedule: ${what} must be an integer ≥ ${min}, got ${n}`);
}

/** The base lr at every step. */
export function constant(): LrSchedule {
  return (_step, baseLr) => baseLr;
}

/** Linear from 0 to the base lr over warmupSteps, then constant (transformers' get_constant_schedule_with_warmup). */
export function linearWarmup(warmupSteps: number): LrSchedule {
  requireSteps('warmupSteps', warmupSteps, 0);
  return (step, baseLr) => (step < warmupSteps ? baseLr * (step / Math.max(1, warmupSteps)) : baseLr);
}

/** Linear warm-up, then linear decay to 0 at totalSteps (transformers' get_linear_schedule_with_warmup). */
export function linearWarmupLinearDecay(warmupSteps: number, totalSteps: number): LrSchedule {
  requireSteps('warmupSteps', warmupSteps, 0);
  requireSteps('totalSteps', totalSteps, warmupSteps);
  return (step, baseLr) => {
    if (step < warmupSteps) return baseLr * (step / Math.max(1, warmupSteps));
    return baseLr * Math.max(0, (totalSteps - step) / Math.max(1, totalSteps - warmupSteps));
  };
}

/** torch's CosineAnnealingLR in closed form: etaMin + (base − etaMin)(1 + cos(π·t/tMax))/2. */
export function cosineAnnealing(tMax: number, etaMin = 0): LrSchedule {
  requireSteps('tMax', tMax, 1);
  return (step, baseLr) => etaMin + ((baseLr - etaMin) * (1 + Math.cos((Math.PI * step) / tMax))) / 2;
}

/**
 * Linear warm-up, then cosine decay to etaMin at totalSteps, where it stays. With etaMin = 0 it is
 * transformers' get_cosine_schedule_with_warmup up to totalSteps.
 */
export function linearWarmupCosineDecay(warmupSteps: number, totalSteps: number, etaMin = 0): LrSchedule {
  requireSteps('warmupSteps', warmupSteps, 0);
  requireSteps('totalSteps', totalSteps, warmupSteps);
  return (step, baseLr) => {
    if (step < warmupSteps) return baseLr * (step / Math.max(1, warmupSteps));
    const progress = Math.min(1, (step - warmupSteps) / Math.max(1, totalSteps - warmupSteps));
    return etaMin + ((baseLr - etaMin) * (1 + Math.cos(Math.PI * progress))) / 2;
  };
}

/**
 * Sets an optimizer's lr from a schedule: at construction for step 0, then at each step(). The
 * base lr is the optimizer's lr at construction unless given; it is saved with the step count,
 * so a resumed run need not rebuild it from an optimizer whose lr the schedule already changed.
 */
export class LrScheduler {
  private stepCount = 0;
  private base: number;

  constructor(
    private readonly optimizer: { lr: number },
    private readonly schedule: LrSchedule,
    baseLr = optimizer.lr,
  ) {
    this.base = baseLr;
    this.apply();
  }

  /** Advances to the next step; call it after optimizer.step(). */
  step(): void {
    this.stepCount += 1;
    this.apply();
  }

  get currentStep(): number {
    return this.stepCount;
  }

  get baseLr(): number {
    return this.base;
  }

  stateDict(): { step: number; baseLr: number } {
    return { step: this.stepCount, baseLr: this.base };
  }

  loadStateDict(state: { step: number; baseLr: number }): void {
    requireSteps('the saved step', state.step, 0);
    if (!(state.baseLr >= 0 && state.baseLr < Infinity)) throw new NnError(`LrScheduler: the saved baseLr must be a finite number ≥ 0, got ${state.baseLr}`);
    this.stepCount = state.step;
    this.base = state.baseLr;
    this.apply();
  }

  private apply(): void {
    this.optimizer.lr = this.schedule(this.stepCount, this.base);
  }
}
