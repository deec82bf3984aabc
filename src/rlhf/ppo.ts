/**
 * The PPO trainer (trlx's AcceleratePPOTrainer.learn): rounds of rollout → advantages → clipped
 * updates. Each round samples num_rollouts continuations and turns them into experience; then
 * ppo_epochs passes over it in shuffled minibatches of batch_size take one AdamW step each, and
 * the KL controller updates after every pass. The run ends after total_steps steps or `epochs`
 * rounds. Checkpoints are taken at round boundaries with everything a resumed run needs to
 * continue bit for bit: weights, optimizer, schedule, KL controller, reward scaling; the random
 * streams are forked from the run's generator by round, so they need no saving.
 */
import { LrScheduler, cosineAnnealing, type Rng } from '../nn/index.js';
import * as T from '../tensor/index.js';
import type { Tokenizer } from '../text/index.js';
import { firstNonFiniteParameter } from '../train/checkpoint.js';
import type { CheckpointPlace } from '../train/errors.js';
import { GroupedAdamW, clipGradNormOrDiverge } from '../train/optimizer.js';
import { generalizedAdvantageEstimate, whiten } from './advantages.js';
import { plannedSteps, validatePpoConfig, type PpoConfig } from './config.js';
import { KlCeilingError, PpoDivergedError, RlhfConfigError } from './errors.js';
import { collectExperience, type ExperienceRow } from './experience.js';
import type { HydraPolicy } from './hydra.js';
import { klController, type KlController } from './kl-controller.js';
import { ppoLoss } from './losses.js';
import { loadPpoCheckpoint, savePpoCheckpoint, type PpoTrainerState } from './checkpoint.js';
import { generateRollouts, layOutBatch, padRows, type PromptExample, type Rollout } from './rollouts.js';
import { RunningMoments, clipAndScaleScores } from './running-moments.js';

/** Scores rollouts: one number per rollout, higher is better. */
export type RolloutReward = (rollouts: readonly Rollout[]) => number[];

export type PpoMetrics = Record<string, number>;

export interface PpoOptions {
  hydra: HydraPolicy;
  tokenizer: Tokenizer;
  prompts: readonly PromptExample[];
  reward: RolloutReward;
  /** The ground truth, logged beside the reward every round when the reward is something else. */
  groundTruth?: RolloutReward;
  config: PpoConfig;
  /** The run's generator; every random stream is forked from it (it is not advanced). */
  rng: Rng;
  /** Where round checkpoints go; without it a stopped run cannot resume. */
  checkpointDir?: string;
  signal?: AbortSignal;
  /** Called with the step the run continues after (0 when it starts afresh). */
  onResume?: (step: number) => void;
  /** One record per optimizer step ('ppo/…') and one per round ('rollout/…', at the round's first step). */
  onMetrics?: (metrics: PpoMetrics, step: number) => void;
  /** A few rollouts of a round, every logSamplesEvery rounds. */
  onSamples?: (samples: readonly RolloutSample[], step: number) => void;
  /** Length or entropy collapse, and other things a user should look at. */
  onWarning?: (message: string) => void;
}

export interface RolloutSample {
  prompt: string;
  response: string;
  reward: number;
  groundTruth: number | null;
}

export interface PpoResult {
  steps: number;
  rounds: number;
  resumedFromStep: number | null;
  /** The last round's figures (rollout/… and the last step's ppo/…). */
  last: PpoMetrics;
  klCoef: number;
}

const SAMPLES_PER_LOG = 4;

/** Trains hydra.trainable (policy and value head) in place. */
export function trainPpo(options: PpoOptions): PpoResult {
  validatePpoConfig(options.config);
  if (options.prompts.length === 0) throw new RlhfConfigError('rlhf: there are no prompts to train on');
  const { maxPromptTokens, generation } = options.config;
  const context = options.hydra.policy.config.maxPositionEmbeddings;
  if (maxPromptTokens + generation.maxNewTokens > context) {
    throw new RlhfConfigError(`rlhf: prompts of up to ${maxPromptTokens} tokens (max_prompt_tokens) plus ${generation.maxNewTokens} new tokens exceed the policy's context of ${context} positions; lower max_prompt_tokens to ${Math.max(1, context - generation.maxNewTokens)} or fewer`);
  }
  return new PpoRun(options).run();
}

class PpoRun {
  private readonly config: PpoConfig;
  private readonly optimizer: GroupedAdamW;
  private readonly scheduler: LrScheduler;
  private readonly kl: KlController;
  private readonly moments = new RunningMoments();
  private readonly padTokenId: number;
  private readonly totalSteps: number;
  private state: Pick<PpoTrainerState, 'round' | 'step' | 'refStd'> = { round: 0, step: 0, refStd: null };
  private lastCheckpoint: CheckpointPlace | null = null;
  private last: PpoMetrics = {};
  private readonly passOrders = new Map<number, number[]>();

  constructor(private readonly options: PpoOptions) {
    const { config, hydra, tokenizer } = options;
    this.config = config;
    this.totalSteps = plannedSteps(config);
    this.optimizer = new GroupedAdamW(hydra.trainable, {
      learningRate: config.learningRate, weightDecay: config.weightDecay, betas: config.betas, eps: config.adamEps, decayEveryParameter: true,
    });
    this.scheduler = new LrScheduler(this.optimizer, cosineAnnealing(config.tMax, config.etaMin), config.learningRate);
    this.kl = klController({ initKlCoef: config.initKlCoef, target: config.klTarget, horizon: config.klHorizon });
    this.padTokenId = tokenizer.padTokenId ?? tokenizer.eosTokenId ?? 0;
  }

  run(): PpoResult {
    const resumedFromStep = this.resume();
    this.options.onResume?.(resumedFromStep ?? 0);
    while (this.state.step < this.totalSteps && this.state.round < this.config.epochs) {
      this.options.signal?.throwIfAborted();
      this.round();
    }
    return { steps: this.state.step, rounds: this.state.round, resumedFromStep, last: this.last, klCoef: this.kl.value };
  }

  /** One round: rollouts and their experience, ppo_epochs passes of minibatch updates, a checkpoint. */
  private round(): void {
    const { config } = this.options;
    const round = this.state.round;
    const { experience, metrics } = this.collect(round);
    if (config.klCeiling !== null && experience.stats.klPerSequence > config.klCeiling) {
      throw new KlCeilingError(this.state.step, experience.stats.klPerSequence, config.klCeiling, this.lastCheckpoint?.dir ?? null);
    }
    this.warnOnCollapse(metrics['rollout/response_length']!);
    const stepMetrics = this.optimise(round, experience);
    if (stepMetrics['ppo/policy/entropy'] !== undefined && stepMetrics['ppo/policy/entropy'] < 0.05) {
      this.options.onWarning?.(`round ${round}: the policy's entropy fell to ${stepMetrics['ppo/policy/entropy'].toFixed(4)} nats per token; it may have collapsed onto a few continuations`);
    }
    this.last = { ...metrics, ...stepMetrics };
    this.state.round += 1;
    // Every round, not only those that save: the policy a finished run hands back is saved by its caller.
    const bad = firstNonFiniteParameter(this.options.hydra.trainable);
    if (bad) throw this.diverged(this.state.step, 'a weight', bad.name, bad.value);
    const finished = this.state.step >= this.totalSteps || this.state.round >= config.epochs;
    if (this.options.checkpointDir && (finished || this.state.round % config.checkpointEveryRounds === 0)) this.checkpoint();
  }

  /** make_experience: rollouts, their scores clipped and scaled, the experience; logs the round's figures. */
  private collect(round: number): { experience: ReturnType<typeof collectExperience>; metrics: PpoMetrics } {
    const { config } = this.options;
    const began = performance.now();
    const rollouts = this.rollouts(round);
    const generationSeconds = (performance.now() - began) / 1000;
    const raw = this.options.reward(rollouts);
    const badReward = raw.find((r) => !Number.isFinite(r));
    if (badReward !== undefined) throw this.diverged(this.state.step + 1, 'the reward', 'reward', badReward);
    const groundTruth = this.options.groundTruth?.(rollouts) ?? null;
    const shaped = clipAndScaleScores(Float32Array.from(raw), { scaleReward: config.scaleReward, cliprangeReward: config.cliprangeReward }, this.moments, this.state.refStd);
    this.state.refStd = shaped.refStd;
    const experience = collectExperience(this.options.hydra, rollouts, shaped.scores, this.kl.value, this.padTokenId, config.chunkSize);
    const metrics = {
      'rollout/reward/mean': mean(raw), 'rollout/reward/std': std(raw),
      'rollout/reward/scaled_mean': mean(shaped.scores), 'rollout/reward/scaled_std': std(shaped.scores),
      'rollout/reward/running_mean': shaped.stats.runningMean, 'rollout/reward/running_std': shaped.stats.runningStd,
      ...(groundTruth ? { 'rollout/ground_truth/mean': mean(groundTruth) } : {}),
      'rollout/kl/per_sequence': experience.stats.klPerSequence, 'rollout/kl/per_token': experience.stats.klPerToken,
      'rollout/kl_coef': this.kl.value,
      'rollout/response_length': mean(rollouts.map((r) => r.responseIds.length)),
      'rollout/ended_fraction': mean(rollouts.map((r) => (r.ended ? 1 : 0))),
      'time/rollout_s': (performance.now() - began) / 1000, 'time/generate_s': generationSeconds,
    };
    // Recorded at the round's first step, so a run resumed from the checkpoint before it drops them with the steps.
    this.options.onMetrics?.(metrics, this.state.step + 1);
    if (round % config.logSamplesEvery === 0) {
      this.options.onSamples?.(rollouts.slice(0, SAMPLES_PER_LOG).map((r, i) => ({ prompt: r.prompt, response: r.response, reward: raw[i]!, groundTruth: groundTruth?.[i] ?? null })), this.state.step + 1);
    }
    return { experience, metrics };
  }

  /** ppo_epochs shuffled passes of batch_size minibatches, one AdamW step each; returns the last step's figures. */
  private optimise(round: number, experience: ReturnType<typeof collectExperience>): PpoMetrics {
    const { config, rng } = this.options;
    let stepMetrics: PpoMetrics = {};
    for (let epoch = 0; epoch < config.ppoEpochs && this.state.step < this.totalSteps; epoch++) {
      const order = rng.fork(`minibatches ${round} ${epoch}`).shuffle(experience.rows.map((_, i) => i));
      for (let start = 0; start < order.length && this.state.step < this.totalSteps; start += config.batchSize) {
        this.options.signal?.throwIfAborted();
        stepMetrics = this.update(order.slice(start, start + config.batchSize).map((i) => experience.rows[i]!));
        this.options.onMetrics?.(stepMetrics, this.state.step);
      }
      // trlx's post_backward_callback: after each pass, with the KL measured at collection.
      this.kl.update(experience.stats.klPerSequence, config.batchSize);
    }
    return stepMetrics;
  }

  /** num_rollouts continuations of prompts taken in a seeded order, pass after pass, chunk_size at a time. */
  private rollouts(round: number): Rollout[] {
    const { config, rng, hydra, tokenizer } = this.options;
    const rollouts: Rollout[] = [];
    for (let chunk = 0; rollouts.length < config.numRollouts; chunk++) {
      const count = Math.min(config.chunkSize, config.numRollouts - rollouts.length);
      const first = round * config.numRollouts + rollouts.length;
      const examples = Array.from({ length: count }, (_, i) => this.promptAt(first + i));
      rollouts.push(...generateRollouts(hydra.policy, tokenizer, examples, { ...config.generation, maxPromptTokens: config.maxPromptTokens }, rng.fork(`rollouts ${round} ${chunk}`)));
    }
    return rollouts;
  }

  /** The prompt at position i of an endless sequence of passes over the prompts, each pass in its own seeded order. */
  private promptAt(i: number): PromptExample {
    const { prompts, rng } = this.options;
    const pass = Math.floor(i / prompts.length);
    let order = this.passOrders.get(pass);
    if (!order) {
      order = rng.fork(`prompts ${pass}`).shuffle(prompts.map((_, index) => index));
      this.passOrders.set(pass, order);
    }
    return prompts[order[i % prompts.length]!]!;
  }

  /** One minibatch: its loss, backward, clipping, AdamW, the schedule. */
  private update(rows: readonly ExperienceRow[]): PpoMetrics {
    const { config, hydra } = this.options;
    const began = performance.now();
    const lr = this.optimizer.lr;
    const step = this.state.step + 1;
    const stats = T.tidy(() => {
      const { loss, stats } = minibatchLoss(hydra, rows, config, this.padTokenId);
      const lossValue = loss.item();
      if (!Number.isFinite(lossValue)) throw this.diverged(step, 'the loss', 'ppo/loss/total', lossValue);
      loss.backward();
      return stats;
    });
    const gradNorm = clipGradNormOrDiverge(this.optimizer.parameters.values(), config.maxGradNorm, (...found) => this.diverged(step, ...found));
    this.optimizer.step();
    this.optimizer.zeroGrad();
    this.scheduler.step();
    this.state.step = step;
    const seconds = (performance.now() - began) / 1000;
    return { ...stats, 'ppo/lr': lr, 'ppo/grad_norm': gradNorm, 'time/step_s': seconds, 'ppo/tokens_per_s': stats['ppo/tokens']! / Math.max(seconds, 1e-9) };
  }

  private warnOnCollapse(meanLength: number): void {
    if (meanLength < Math.min(2, this.config.generation.maxNewTokens)) {
      this.options.onWarning?.(`round ${this.state.round}: responses average ${meanLength.toFixed(2)} tokens; the policy may be collapsing to ending at once`);
    }
  }

  /** `step` is the one the value belongs to: the update that made it, or the one it was to feed. */
  private diverged(step: number, quantity: string, tensor: string, value: number): PpoDivergedError {
    return new PpoDivergedError({ step, quantity, tensor, value, learningRate: this.config.learningRate, lastCheckpoint: this.lastCheckpoint });
  }

  private checkpoint(): void {
    const dir = savePpoCheckpoint(this.options.checkpointDir!, {
      model: this.options.hydra.trainable,
      optimizer: this.optimizer.stateDict(),
      trainer: { ...this.state, scheduler: this.scheduler.stateDict(), kl: this.kl.state(), moments: this.moments.state(), last: this.last, settings: settingsFingerprint(this.config) },
    });
    this.lastCheckpoint = { step: this.state.step, dir };
  }

  /** Continues from the newest checkpoint, if any; returns its step, or null. */
  private resume(): number | null {
    if (!this.options.checkpointDir) return null;
    const saved = loadPpoCheckpoint(this.options.checkpointDir, this.options.hydra.trainable, settingsFingerprint(this.config));
    if (!saved) return null;
    this.optimizer.loadStateDict(saved.optimizer);
    this.scheduler.loadStateDict(saved.trainer.scheduler);
    this.kl.restore(saved.trainer.kl);
    this.moments.restore(saved.trainer.moments);
    this.state = { round: saved.trainer.round, step: saved.trainer.step, refStd: saved.trainer.refStd };
    this.last = saved.trainer.last ?? {};
    this.lastCheckpoint = { step: saved.trainer.step, dir: saved.dir };
    return saved.trainer.step;
  }
}

/** The settings a checkpoint must have been made with to be resumed from. */
function settingsFingerprint(config: PpoConfig): Record<string, unknown> {
  const { checkpointEveryRounds: _every, logSamplesEvery: _samples, klCeiling: _ceiling, totalSteps: _steps, epochs: _epochs, ...rest } = config;
  return rest;
}

/**
 * PPO's loss on a minibatch of experience (trlx's AcceleratePPOTrainer.loss): advantages and
 * returns by GAE from the values and rewards at collection, advantages whitened over the
 * minibatch's real tokens, then the policy and value forward and the clipped losses. Returns the
 * loss (to backward) and its statistics, read once.
 */
export function minibatchLoss(hydra: HydraPolicy, rows: readonly ExperienceRow[], config: PpoConfig, padTokenId: number): { loss: T.Tensor; stats: PpoMetrics } {
  const { batch, responseMask, responseLength } = layOutBatch(rows, padTokenId);
  const shape = [rows.length, responseLength];
  const oldValues = padRows(rows.map((r) => r.values), responseLength);
  const rewards = padRows(rows.map((r) => r.rewards), responseLength);
  const { advantages, returns } = generalizedAdvantageEstimate(rewards, oldValues, responseMask, rows.length, responseLength, { gamma: config.gamma, lam: config.lam });
  const outputs = hydra.policyOutputs(batch, hydra.trunk(batch), { entropy: true });
  const mask = T.tensor(responseMask, shape);
  const returnsTensor = T.tensor(returns, shape);
  const { loss, stats } = ppoLoss({
    logprobs: outputs.logprobs,
    values: outputs.values,
    oldLogprobs: T.tensor(padRows(rows.map((r) => r.logprobs), responseLength), shape),
    oldValues: T.tensor(oldValues, shape),
    advantages: T.tensor(whiten(advantages, responseMask), shape),
    returns: returnsTensor,
    mask,
  }, { cliprange: config.cliprange, clipRangeValue: config.cliprangeValue, vfCoef: config.vfCoef });
  return {
    loss,
    stats: {
      'ppo/loss/total': stats.loss.item(), 'ppo/loss/policy': stats.policyLoss.item(), 'ppo/loss/value': stats.valueLoss.item(),
      'ppo/policy/approx_kl': stats.approxKl.item(), 'ppo/policy/clipfrac': stats.policyClipFraction.item(), 'ppo/policy/ratio': stats.ratio.item(),
      'ppo/policy/entropy': maskedMean(outputs.entropy!, mask),
      'ppo/values/clipfrac': stats.valueClipFraction.item(), 'ppo/values/error': stats.valueError.item(), 'ppo/returns/mean': maskedMean(returnsTensor, mask),
      'ppo/tokens': responseMask.reduce((a, b) => a + b, 0),
    },
  };
}

function maskedMean(values: T.Tensor, mask: T.Tensor): number {
  return T.sum(T.mul(values, mask)).item() / Math.max(1, T.sum(mask).item());
}

function mean(xs: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i]!;
  return xs.length === 0 ? NaN : s / xs.length;
}

function std(xs: ArrayLike<number>): number {
  const m = mean(xs);
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += (xs[i]! - m) ** 2;
  return xs.length < 2 ? 0 : Math.sqrt(s / (xs.length - 1));
}
