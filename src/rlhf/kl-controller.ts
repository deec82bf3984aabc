/**
 * The coefficient β of PPO's KL penalty against the frozen reference model, fixed or adapted
 * towards a target KL (Ziegler et al. 2019, §2.2). Mirrors trlx's AdaptiveKLController and
 * FixedKLController in trlx/models/modeling_ppo.py (CarperAI/trlx @ 3340c2f3a56d1d14fdd5f13ad575121fa26b6d92).
 */
import { RlhfError } from './errors.js';

/** What a checkpoint keeps of a controller; target and horizon come from the config. */
export interface KlControllerState {
  value: number;
}

export interface KlController {
  /** The current coefficient β. */
  readonly value: number;
  /** Moves β after an update that covered `nSteps` samples, given the KL measured on the latest rollouts. */
  update(currentKl: number, nSteps: number): void;
  state(): KlControllerState;
  restore(state: KlControllerState): void;
}

function checkCoefficient(what: string, value: number): void {
  if (!Number.isFinite(value) || value < 0) throw new RlhfError(`${what} must be a finite number ≥ 0, got ${value}`);
}

/**
 * β ← β·(1 + clip(KL/target − 1, −0.2, 0.2)·nSteps/horizon): β grows while the policy drifts past
 * the target KL and shrinks while it stays below, by at most 20 % per `horizon` samples.
 */
export class AdaptiveKLController implements KlController {
  value: number;

  constructor(
    initKlCoef: number,
    readonly target: number,
    readonly horizon: number,
  ) {
    checkCoefficient('initKlCoef', initKlCoef);
    if (!(target > 0) || !Number.isFinite(target)) throw new RlhfError(`the KL target must be a positive number (or null for a fixed coefficient), got ${target}`);
    if (!(horizon > 0) || !Number.isFinite(horizon)) throw new RlhfError(`the KL horizon must be a positive number of samples, got ${horizon}`);
    this.value = initKlCoef;
  }

  update(currentKl: number, nSteps: number): void {
    // A NaN KL would silently turn β into NaN and every later reward with it.
    if (!Number.isFinite(currentKl)) throw new RlhfError(`the measured KL is ${currentKl}; check the rollout's log-probabilities for NaN or infinity`);
    if (!(nSteps >= 0)) throw new RlhfError(`nSteps must be ≥ 0, got ${nSteps}`);
    const proportionalError = Math.min(Math.max(currentKl / this.target - 1, -0.2), 0.2);
    this.value *= 1 + (proportionalError * nSteps) / this.horizon;
  }

  state(): KlControllerState {
    return { value: this.value };
  }

  restore(state: KlControllerState): void {
    checkCoefficient('a restored KL coefficient', state.value);
    this.value = state.value;
  }
}

/** A coefficient that never moves; update() only exists so trainers need not tell the two apart. */
export class FixedKLController implements KlController {
  value: number;

  constructor(klCoef: number) {
    checkCoefficient('the KL coefficient', klCoef);
    this.value = klCoef;
  }

  update(_currentKl: number, _nSteps: number): void {}

  state(): KlControllerState {
    return { value: this.value };
  }

  restore(state: KlControllerState): void {
    checkCoefficient('a restored KL coefficient', state.value);
    this.value = state.value;
  }
}

export interface KlControllerOptions {
  /** β at the start (trlx's init_kl_coef; 0.001 in its default_ppo_config). */
  initKlCoef: number;
  /** The KL the adaptive controller steers towards; null keeps β fixed (trlx's default_ppo_config: null). */
  target: number | null;
  /** Samples over which β may change by at most 20 % (trlx's default_ppo_config: 10000). */
  horizon: number;
}

/** An adaptive controller when a target is given, a fixed one otherwise (trlx's rule). */
export function klController({ initKlCoef, target, horizon }: KlControllerOptions): KlController {
  return target === null ? new FixedKLController(initKlCoef) : new AdaptiveKLController(initKlCoef, target, horizon);
}
