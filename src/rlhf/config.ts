/**
 * PPO's settings, separate from the trainer (as trlx's TRLConfig is). Every field says its trlx
 * name and where its default comes from: trlx's `default_ppo_config()` (trlx/data/default_configs.py
 * at commit 3340c2f) unless noted. The pipeline's `rlhf` section uses the same names in snake_case.
 */
import { RlhfConfigError } from './errors.js';

export interface GenerationSettings {
  /** gen_kwargs.max_new_tokens (40). */
  maxNewTokens: number;
  /** gen_kwargs.min_new_tokens: suppress eos until this many tokens (0). */
  minNewTokens: number;
  /** gen_kwargs.top_k; 0 keeps every token (0). */
  topK: number;
  /** gen_kwargs.top_p (1). */
  topP: number;
  /** gen_kwargs.temperature (1). */
  temperature: number;
}

export interface PpoConfig {
  /** train.total_steps: optimizer steps in all (10000). */
  totalSteps: number;
  /** train.epochs: rollout rounds at most (100); the run ends at whichever limit comes first. */
  epochs: number;
  /** train.batch_size: rollouts per optimizer step (32). */
  batchSize: number;
  /** method.num_rollouts: rollouts generated per round (128). */
  numRollouts: number;
  /** method.chunk_size: prompts generated together (128). */
  chunkSize: number;
  /** method.ppo_epochs: passes over each round's rollouts (4). */
  ppoEpochs: number;
  /** model.num_layers_unfrozen: top layers that train; −1 trains all (2). */
  numLayersUnfrozen: number;
  /** Keep only the last this-many tokens of a prompt (trlx: train.seq_length with left truncation). */
  maxPromptTokens: number;
  /** optimizer.kwargs.lr (3e-5). */
  learningRate: number;
  /** optimizer.kwargs.betas ([0.9, 0.95]). */
  betas: [number, number];
  /** optimizer.kwargs.eps (1e-8). */
  adamEps: number;
  /** optimizer.kwargs.weight_decay (1e-6), applied to every trainable parameter as torch's AdamW does. */
  weightDecay: number;
  /** scheduler.kwargs.T_max of cosine annealing (1e12: effectively constant). */
  tMax: number;
  /** scheduler.kwargs.eta_min (3e-5); may exceed the lr, in which case the lr anneals up, as in torch. */
  etaMin: number;
  /** Clip the global gradient norm (trlx: no clipping unless accelerate's max_grad_norm); null: none. */
  maxGradNorm: number | null;
  /** method.init_kl_coef (0.001). */
  initKlCoef: number;
  /** method.target: the KL the adaptive controller steers to; null keeps the coefficient fixed (null). */
  klTarget: number | null;
  /** method.horizon of the adaptive controller (10000). */
  klHorizon: number;
  /** method.gamma (1). */
  gamma: number;
  /** method.lam (0.95). */
  lam: number;
  /** method.cliprange (0.2). */
  cliprange: number;
  /** method.cliprange_value (0.2). */
  cliprangeValue: number;
  /** method.vf_coef (1). */
  vfCoef: number;
  /** method.scale_reward: 'running' divides scores by their running std, 'ref' by the first round's; null leaves them ('ignored'). */
  scaleReward: 'running' | 'ref' | null;
  /** method.cliprange_reward: scores are clipped to ±this before scaling (10). */
  cliprangeReward: number;
  generation: GenerationSettings;
  /** irlens: stop when the mean KL per sequence exceeds this (null: never). */
  klCeiling: number | null;
  /** irlens: save a resumable checkpoint every this many rounds (1). */
  checkpointEveryRounds: number;
  /** irlens: log a few sampled completions every this many rounds (1). */
  logSamplesEvery: number;
}

export const DEFAULT_PPO_CONFIG: PpoConfig = {
  totalSteps: 10000,
  epochs: 100,
  batchSize: 32,
  numRollouts: 128,
  chunkSize: 128,
  ppoEpochs: 4,
  numLayersUnfrozen: 2,
  maxPromptTokens: 1024,
  learningRate: 3e-5,
  betas: [0.9, 0.95],
  adamEps: 1e-8,
  weightDecay: 1e-6,
  tMax: 1e12,
  etaMin: 3e-5,
  maxGradNorm: null,
  initKlCoef: 0.001,
  klTarget: null,
  klHorizon: 10000,
  gamma: 1,
  lam: 0.95,
  cliprange: 0.2,
  cliprangeValue: 0.2,
  vfCoef: 1,
  scaleReward: null,
  cliprangeReward: 10,
  generation: { maxNewTokens: 40, minNewTokens: 0, topK: 0, topP: 1, temperature: 1 },
  klCeiling: null,
  checkpointEveryRounds: 1,
  logSamplesEvery: 1,
};

/** Optimizer steps the run takes: trlx's min(total_steps, epochs × ppo_epochs × ⌈num_rollouts / batch_size⌉). */
export function plannedSteps(config: PpoConfig): number {
  return Math.min(config.totalSteps, config.epochs * config.ppoEpochs * Math.ceil(config.numRollouts / config.batchSize));
}

/** Checks the settings that the type cannot; throws RlhfConfigError naming the setting. */
export function validatePpoConfig(config: PpoConfig): void {
  const fail = (message: string): never => {
    throw new RlhfConfigError(`rlhf: ${message}`);
  };
  const positiveIntegers = ['totalSteps', 'epochs', 'batchSize', 'numRollouts', 'chunkSize', 'ppoEpochs', 'maxPromptTokens', 'checkpointEveryRounds', 'logSamplesEvery'] as const;
  for (const key of positiveIntegers) {
    if (!Number.isSafeInteger(config[key]) || config[key] < 1) fail(`${key} must be a whole number ≥ 1, got ${config[key]}`);
  }
  if (config.batchSize > config.numRollouts) fail(`batchSize (${config.batchSize}) cannot exceed numRollouts (${config.numRollouts}): a step needs that many rollouts`);
  if (!(config.learningRate > 0 && config.learningRate < Infinity)) fail(`learningRate must be a finite number > 0, got ${config.learningRate}`);
  if (!(config.initKlCoef >= 0)) fail(`initKlCoef must be ≥ 0, got ${config.initKlCoef}`);
  if (config.klTarget !== null && !(config.klTarget > 0)) fail(`klTarget must be > 0 or null (a fixed coefficient), got ${config.klTarget}`);
  if (!(config.gamma >= 0 && config.gamma <= 1) || !(config.lam >= 0 && config.lam <= 1)) fail(`gamma and lam must be in [0, 1], got ${config.gamma} and ${config.lam}`);
  if (!(config.cliprange > 0) || !(config.cliprangeValue > 0)) fail('cliprange and cliprangeValue must be > 0');
  if (!(config.generation.maxNewTokens >= 1)) fail(`generation.maxNewTokens must be ≥ 1, got ${config.generation.maxNewTokens}`);
}
