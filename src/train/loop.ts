/**
 * The supervised training loop that causal-LM and classifier training share. A task says how many
 * training examples there are, the loss of a batch of them, and how to evaluate on held-out data;
 * the loop does the rest: seeded shuffling each epoch, AdamW with weight decay, the learning-rate
 * schedule, gradient clipping, NaN checks, evaluation, metrics, and checkpoints that let a stopped
 * or killed run continue bit for bit where it left off.
 */
import {
  LrScheduler, Rng, constant, linearWarmup, linearWarmupCosineDecay, linearWarmupLinearDecay,
  type LrSchedule, type Module, type RngState,
} from '../nn/index.js';
import * as T from '../tensor/index.js';
import type { Tensor } from '../tensor/index.js';
import { firstNonFiniteParameter, loadLatestTrainingCheckpoint, restoreWeights, saveTrainingCheckpoint, type SavedCheckpoint } from './checkpoint.js';
import { TrainCheckpointError, TrainOptionsError, TrainingDivergedError, type CheckpointPlace } from './errors.js';
import { GroupedAdamW, clipGradNormOrDiverge } from './optimizer.js';

export type ScheduleName = 'cosine' | 'linear' | 'constant';

/** Settings every training loop takes. */
export interface TrainingOptions {
  /** Examples (blocks or rows) per optimizer step. */
  batchSize: number;
  /** Passes over the training data (default 1); ignored when maxSteps is given. */
  epochs?: number;
  /** Optimizer steps to take in all. */
  maxSteps?: number;
  /** Peak learning rate, reached at the end of the warm-up. */
  learningRate: number;
  /** AdamW's decoupled weight decay for weight matrices and embeddings (biases and norms never decay). Default 0.01. */
  weightDecay?: number;
  /** Default [0.9, 0.999]. */
  betas?: [number, number];
  /** Default 1e-8. */
  eps?: number;
  /** Decay after the warm-up: 'cosine' (default) to minLearningRate, 'linear' to 0, or 'constant'. */
  schedule?: ScheduleName;
  /** Steps of linear warm-up from 0. Default 0. */
  warmupSteps?: number;
  /** Where cosine decay ends. Default 0. */
  minLearningRate?: number;
  /** Clip the global gradient norm to this; null: no clipping. Default 1. */
  maxGradNorm?: number | null;
  /** Evaluate on the held-out data every this many steps (and always at the end); 0: only at the end. */
  evalEvery?: number;
  /** Where checkpoints go; without it a stopped run cannot resume. */
  checkpointDir?: string;
  /** Save a checkpoint every this many steps (and always when stopped and at the end). Default 0: only then. */
  checkpointEvery?: number;
  /** Seed of the held-out split and the shuffling (default 0); ignored when rng is given. */
  seed?: number | string;
  /** The generator to fork the split and shuffling streams from (it is not advanced). */
  rng?: Rng;
  /** The model's dropout generator, if it has one: saved in checkpoints so a resumed run draws the same masks. */
  dropoutRng?: Rng;
  /** When aborted, the loop saves a checkpoint (with checkpointDir) and throws the signal's reason. */
  signal?: AbortSignal;
  /** Called after every step. */
  onMetrics?: (metrics: TrainMetrics) => void;
  onProgress?: (progress: TrainProgress) => void;
  /**
   * Called once before training with the step the run continues after: its checkpoint's, or 0
   * when it starts afresh (so a caller can drop what a killed attempt recorded past that step).
   */
  onResume?: (step: number) => void;
}

export interface TrainMetrics {
  /** Optimizer steps taken so far, counting this one (1-based). */
  step: number;
  /** Passes over the training data so far, fractional. */
  epoch: number;
  /** This step's training loss. */
  loss: number;
  /** The learning rate this step used. */
  lr: number;
  /** The global gradient norm before clipping. */
  gradNorm: number;
  tokensPerSecond: number;
  /** Held-out loss, at the steps that evaluate. */
  evalLoss?: number;
  /** Held-out accuracy, for classifiers, at the steps that evaluate. */
  evalAccuracy?: number;
}

export interface TrainProgress {
  step: number;
  totalSteps: number;
  epoch: number;
  loss: number;
}

export interface EvalResult {
  loss: number;
  accuracy?: number;
}

export interface TrainResult {
  /** Optimizer steps taken in all (including those before a resume). */
  steps: number;
  epochs: number;
  /** The last step's training loss (NaN if no step was taken). */
  loss: number;
  /** Held-out loss and accuracy of the final model; absent without held-out data. */
  evalLoss?: number;
  evalAccuracy?: number;
  /** Tokens trained on (padding excluded). */
  tokensSeen: number;
  trainExamples: number;
  evalExamples: number;
  /** The step this call resumed after, or null when it started from scratch. */
  resumedFromStep: number | null;
}

/** What a training loop needs to know about its data and loss. */
export interface TrainingTask {
  /** Names the kind of run in checkpoints ('causal-lm', 'sequence-classifier'). */
  kind: string;
  trainSize: number;
  evalSize: number;
  /** The loss of the training examples at these indices, with the number of (non-pad) tokens they hold. */
  batchLoss(indices: readonly number[]): { loss: Tensor; tokens: number };
  /** Held-out evaluation (run without gradients, in eval mode), or null without held-out data. */
  evaluate: (() => EvalResult) | null;
  /** What must match for a checkpoint to be resumed: data fingerprint, block size, ... */
  settings: Record<string, unknown>;
}

/** The generator behind a run's split and shuffling streams. */
export function baseRng(options: Pick<TrainingOptions, 'rng' | 'seed'>): Rng {
  return options.rng ?? new Rng(options.seed ?? 0);
}

interface Plan {
  batchesPerEpoch: number;
  totalSteps: number;
  schedule: LrSchedule;
  settings: Record<string, unknown>;
}

const isCount = (n: unknown, min: number): boolean => Number.isSafeInteger(n) && (n as number) >= min;

function plan(options: TrainingOptions, task: TrainingTask): Plan {
  const fail = (message: string) => {
    throw new TrainOptionsError(message);
  };
  if (!isCount(options.batchSize, 1)) fail(`batchSize must be a positive integer, got ${options.batchSize}`);
  if (!(options.learningRate > 0 && options.learningRate < Infinity)) fail(`learningRate must be a finite number > 0, got ${options.learningRate}`);
  if (options.maxSteps !== undefined && !isCount(options.maxSteps, 1)) fail(`maxSteps must be a positive integer, got ${options.maxSteps}`);
  if (options.epochs !== undefined && !(options.epochs > 0 && options.epochs < Infinity)) fail(`epochs must be a number > 0, got ${options.epochs}`);
  for (const key of ['warmupSteps', 'evalEvery', 'checkpointEvery'] as const) {
    if (options[key] !== undefined && !isCount(options[key], 0)) fail(`${key} must be an integer ≥ 0, got ${options[key]}`);
  }
  const maxGradNorm = options.maxGradNorm === undefined ? 1 : options.maxGradNorm;
  if (maxGradNorm !== null && !(maxGradNorm > 0)) fail(`maxGradNorm must be > 0 (or null for no clipping), got ${maxGradNorm}`);
  const batchesPerEpoch = Math.ceil(task.trainSize / options.batchSize);
  const totalSteps = options.maxSteps ?? Math.max(1, Math.round((options.epochs ?? 1) * batchesPerEpoch));
  const warmupSteps = options.warmupSteps ?? 0;
  if (warmupSteps > totalSteps) fail(`warmupSteps (${warmupSteps}) is longer than the whole run (${totalSteps} steps); shorten the warm-up`);
  const minLearningRate = options.minLearningRate ?? 0;
  if (!(minLearningRate >= 0 && minLearningRate <= options.learningRate)) fail(`minLearningRate must be between 0 and learningRate (${options.learningRate}), got ${minLearningRate}`);
  const scheduleName = options.schedule ?? 'cosine';
  const schedules: Record<ScheduleName, () => LrSchedule> = {
    cosine: () => linearWarmupCosineDecay(warmupSteps, totalSteps, minLearningRate),
    linear: () => linearWarmupLinearDecay(warmupSteps, totalSteps),
    constant: () => (warmupSteps > 0 ? linearWarmup(warmupSteps) : constant()),
  };
  if (!Object.hasOwn(schedules, scheduleName)) fail(`schedule must be 'cosine', 'linear' or 'constant', got ${JSON.stringify(scheduleName)}`);
  const settings = {
    kind: task.kind, batchSize: options.batchSize, totalSteps, learningRate: options.learningRate, weightDecay: options.weightDecay ?? 0.01,
    betas: options.betas ?? [0.9, 0.999], eps: options.eps ?? 1e-8, schedule: scheduleName, warmupSteps, minLearningRate, maxGradNorm,
    dropout: options.dropoutRng !== undefined, ...task.settings,
  };
  return { batchesPerEpoch, totalSteps, schedule: schedules[scheduleName](), settings };
}

/** Where the data stream is: the epoch, the next batch in it, and the shuffle generator's state when the epoch began. */
interface DataPosition {
  epoch: number;
  batchInEpoch: number;
  epochShuffleState: RngState;
}

/** The loop's own part of a checkpoint (trainer.json's "trainer"). */
interface TrainerState {
  settings: Record<string, unknown>;
  position: DataPosition;
  shuffleRng: RngState;
  dropoutRng: RngState | null;
  scheduler: { step: number; baseLr: number };
  lastLoss: number | null;
  tokensSeen: number;
}

function checkSettings(saved: SavedCheckpoint, settings: Record<string, unknown>): void {
  const before = (saved.trainer as Partial<TrainerState>).settings ?? {};
  const keys = [...new Set([...Object.keys(before), ...Object.keys(settings)])];
  const differ = keys.filter((k) => JSON.stringify(before[k]) !== JSON.stringify(settings[k]));
  if (differ.length > 0) {
    const list = differ.map((k) => `${k}: ${JSON.stringify(before[k])} then, ${JSON.stringify(settings[k])} now`).join('; ');
    throw new TrainCheckpointError(saved.dir, `it was made by a run with other settings or data (${list})`);
  }
}

/** Runs the training loop on a task and returns the final metrics. */
export function runTraining(model: Module, task: TrainingTask, options: TrainingOptions): TrainResult {
  const run = new TrainingRun(model, task, options);
  const resumedAt = options.checkpointDir ? run.resumeFrom(options.checkpointDir) : 0;
  options.onResume?.(resumedAt);
  return run.train();
}

/** One call's training: the optimizer, schedule and data stream, and where they stand. */
class TrainingRun {
  private readonly plan: Plan;
  private readonly optimizer: GroupedAdamW;
  private readonly scheduler: LrScheduler;
  private readonly shuffleRng: Rng;
  private step = 0;
  private lastLoss = NaN;
  private tokensSeen = 0;
  private position: DataPosition;
  private order: number[];
  private lastCheckpoint: CheckpointPlace | null = null;
  private resumedFromStep: number | null = null;

  constructor(
    private readonly model: Module,
    private readonly task: TrainingTask,
    private readonly options: TrainingOptions,
  ) {
    this.plan = plan(options, task);
    const { settings } = this.plan;
    this.optimizer = new GroupedAdamW(model, {
      learningRate: options.learningRate, weightDecay: settings.weightDecay as number, betas: settings.betas as [number, number], eps: settings.eps as number,
    });
    this.scheduler = new LrScheduler(this.optimizer, this.plan.schedule, options.learningRate);
    this.shuffleRng = baseRng(options).fork('shuffle');
    this.position = { epoch: 0, batchInEpoch: 0, epochShuffleState: this.shuffleRng.getState() };
    this.order = this.shuffledOrder();
  }

  /** Continues from the newest checkpoint in dir, if there is one; returns its step (0 if none). */
  resumeFrom(dir: string): number {
    const saved = loadLatestTrainingCheckpoint(dir);
    if (!saved) return 0;
    checkSettings(saved, this.plan.settings);
    const names = [...this.optimizer.parameters.keys()];
    if (saved.optimizer.params.size !== names.length || names.some((n) => !saved.optimizer.params.has(n))) {
      throw new TrainCheckpointError(saved.dir, 'its optimizer state is for a different set of trainable parameters', 'freeze and unfreeze the same parameters as the run that saved it, or delete the folder');
    }
    const trainer = saved.trainer as unknown as TrainerState;
    restoreWeights(this.model, saved.weights, saved.dir);
    this.optimizer.loadStateDict(saved.optimizer);
    this.scheduler.loadStateDict(trainer.scheduler);
    if (trainer.dropoutRng && this.options.dropoutRng) this.options.dropoutRng.setState(trainer.dropoutRng);
    this.position = trainer.position;
    this.order = this.shuffledOrder();
    this.shuffleRng.setState(trainer.shuffleRng);
    this.step = saved.step;
    this.lastLoss = trainer.lastLoss ?? NaN;
    this.tokensSeen = trainer.tokensSeen;
    this.lastCheckpoint = { step: saved.step, dir: saved.dir };
    this.resumedFromStep = saved.step;
    return saved.step;
  }

  train(): TrainResult {
    const { options, model } = this;
    const { totalSteps, batchesPerEpoch } = this.plan;
    const wasTraining = model.training;
    model.train();
    this.optimizer.zeroGrad();
    let lastEval: { step: number; result: EvalResult | undefined } | undefined;
    try {
      while (this.step < totalSteps) {
        if (options.signal?.aborted) {
          this.checkpoint();
          options.signal.throwIfAborted();
        }
        const metrics = this.update(this.nextBatch());
        if (due(options.evalEvery, this.step) || this.step === totalSteps) {
          lastEval = { step: this.step, result: this.evaluate() };
          if (lastEval.result) Object.assign(metrics, evalMetrics(lastEval.result));
        }
        options.onMetrics?.(metrics);
        if (due(options.checkpointEvery, this.step)) this.checkpoint();
        options.onProgress?.({ step: this.step, totalSteps, epoch: metrics.epoch, loss: metrics.loss });
      }
      if (lastEval?.step !== this.step) lastEval = { step: this.step, result: this.evaluate() };
      this.checkpoint();
    } finally {
      model.train(wasTraining);
      this.optimizer.zeroGrad();
    }
    return {
      steps: this.step, epochs: this.step / batchesPerEpoch, loss: this.lastLoss, ...(lastEval?.result ? evalMetrics(lastEval.result) : {}),
      tokensSeen: this.tokensSeen, trainExamples: this.task.trainSize, evalExamples: this.task.evalSize, resumedFromStep: this.resumedFromStep,
    };
  }

  /** The epoch's order, drawn from the shuffle generator's state at the epoch's start. */
  private shuffledOrder(): number[] {
    this.shuffleRng.setState(this.position.epochShuffleState);
    return this.shuffleRng.shuffle(Array.from({ length: this.task.trainSize }, (_, i) => i));
  }

  /** The indices of the next batch; a new epoch begins (and is shuffled) when this one is used up. */
  private nextBatch(): number[] {
    if (this.position.batchInEpoch >= this.plan.batchesPerEpoch) {
      this.position = { epoch: this.position.epoch + 1, batchInEpoch: 0, epochShuffleState: this.shuffleRng.getState() };
      this.order = this.shuffledOrder();
    }
    const start = this.position.batchInEpoch * this.options.batchSize;
    this.position = { ...this.position, batchInEpoch: this.position.batchInEpoch + 1 };
    return this.order.slice(start, start + this.options.batchSize);
  }

  /**
   * One update: loss, backward, clipping, AdamW, schedule. Nothing changes if the loss or gradients
   * are not finite; both are checked in values read anyway (the loss for the metrics, the norm for clipping).
   */
  private update(indices: readonly number[]): TrainMetrics {
    const lr = this.optimizer.lr;
    const began = performance.now();
    const { loss, tokens } = T.tidy(() => {
      const out = this.task.batchLoss(indices);
      const value = out.loss.item();
      if (!Number.isFinite(value)) throw this.diverged(this.step + 1, 'the loss', 'loss', value);
      out.loss.backward();
      return { loss: value, tokens: out.tokens };
    });
    const gradNorm = clipGradNormOrDiverge(this.optimizer.parameters.values(), this.plan.settings.maxGradNorm as number | null, (...found) => this.diverged(this.step + 1, ...found));
    this.optimizer.step();
    this.optimizer.zeroGrad();
    this.scheduler.step();
    const seconds = Math.max((performance.now() - began) / 1000, 1e-9);
    this.step += 1;
    this.lastLoss = loss;
    this.tokensSeen += tokens;
    return { step: this.step, epoch: this.step / this.plan.batchesPerEpoch, loss, lr, gradNorm, tokensPerSecond: tokens / seconds };
  }

  /** Held-out evaluation in eval mode without gradients; undefined without held-out data. */
  private evaluate(): EvalResult | undefined {
    const evaluate = this.task.evaluate;
    if (!evaluate) return undefined;
    const wasTraining = this.model.training;
    this.model.eval();
    try {
      return T.noGrad(evaluate);
    } finally {
      this.model.train(wasTraining);
    }
  }

  private diverged(step: number, quantity: string, tensor: string, value: number): TrainingDivergedError {
    return new TrainingDivergedError({ run: `${this.task.kind} training`, step, quantity, tensor, value, learningRate: this.options.learningRate, lastCheckpoint: this.lastCheckpoint });
  }

  /**
   * Saves a checkpoint (with checkpointDir). It runs at the end of every run too, so its check that
   * no weight is NaN or infinite (an update can make them so with a finite loss) also guards the
   * trained model a caller saves.
   */
  private checkpoint(): void {
    const bad = firstNonFiniteParameter(this.model);
    if (bad) throw this.diverged(this.step, 'a weight', bad.name, bad.value);
    if (!this.options.checkpointDir) return;
    const trainer: TrainerState = {
      settings: this.plan.settings, position: this.position, shuffleRng: this.shuffleRng.getState(),
      dropoutRng: this.options.dropoutRng?.getState() ?? null, scheduler: this.scheduler.stateDict(),
      lastLoss: Number.isFinite(this.lastLoss) ? this.lastLoss : null, tokensSeen: this.tokensSeen,
    };
    const dir = saveTrainingCheckpoint(this.options.checkpointDir, this.step, { model: this.model, optimizer: this.optimizer.stateDict(), trainer: { ...trainer } });
    this.lastCheckpoint = { step: this.step, dir };
  }
}

const due = (every: number | undefined, step: number): boolean => every !== undefined && every > 0 && step % every === 0;

function evalMetrics(result: EvalResult): { evalLoss: number; evalAccuracy?: number } {
  return result.accuracy === undefined ? { evalLoss: result.loss } : { evalLoss: result.loss, evalAccuracy: result.accuracy };
}
