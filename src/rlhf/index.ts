/** RLHF: PPO (trlx's, with irlens's documented differences) that trains a causal LM against a reward. */
export { DEFAULT_PPO_CONFIG, plannedSteps, validatePpoConfig, type GenerationSettings, type PpoConfig } from './config.js';
export { KlCeilingError, PpoDivergedError, RlhfConfigError, RlhfError } from './errors.js';
export { collectExperience, type ExperienceRow, type ExperienceStats } from './experience.js';
export { HydraPolicy, PolicyWithValueHead, type PolicyModel, type PolicyOutputs, type SequenceBatch } from './hydra.js';
export { POLICY_DIR, VALUE_HEAD_DIR, loadPpoPolicy, savePpoPolicy, type LoadedPolicy } from './policy-folder.js';
export { minibatchLoss, trainPpo, type PpoMetrics, type PpoOptions, type PpoResult, type RolloutReward, type RolloutSample } from './ppo.js';
export { generateRollouts, layOutBatch, type PromptExample, type Rollout, type RolloutSettings } from './rollouts.js';
export { ValueHead } from './value-head.js';
