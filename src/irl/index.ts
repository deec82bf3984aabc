/**
 * irl/: recovering a reward model from demonstrations — pairs of expert (RLHF'd) and baseline
 * texts — by max-margin and other pair objectives, by the closed-form log-ratio of KL-regularised
 * RLHF, or by distilling that log-ratio; saved as Hugging Face folders and loaded as rewards.
 */
export * from './errors.js';
export {
  REWARD_INPUTS, checkDemonstrations, describeContinuations, rewardInputIds, rewardRows, splitByPrompt, tokenizerFingerprint,
  type Continuation, type ContinuationStats, type DemonstrationPair, type Demonstrations, type PromptDemonstrations, type PromptSplit, type RewardInput, type RewardRows,
} from './demonstrations.js';
export { bradleyTerryLoss, hingeLoss, maxMarginLoss, pairLoss, preferenceLoss, rewardPenalty, squaredLoss, type Objective, type ObjectiveName } from './objectives.js';
export {
  POOLINGS, RewardModel, checkTokenPooling, isTokenPooling, liveScorer, padRows, poolFeatures, scoreFeatures, scoreTokens,
  type Pooling, type RowScorer, type SequenceRewardClassifier, type TokenBatch, type TrainingMode,
} from './reward-model.js';
export { FeatureCache, FrozenFeatures, LinearProbe } from './features.js';
export {
  batchedMeanLoss, fitByEpochs, modeScorers, trainReward, trainRewardSeeds,
  type EpochRecord, type FitOptions, type FitResult, type FitTask, type SeedRun, type TrainRewardOptions,
} from './train.js';
export { aggregateLogRatios, continuationLogLikelihoods, logRatioReward, logRatioTerms, scaleLogRatios, tokenLogProbs, tokenLogRatios, type CausalLM, type LogRatioAggregate, type LogRatioOptions, type PromptContinuation, type TokenLogProbsOf } from './log-ratio.js';
export { DISTIL_TARGETS, OR_TEXT_TARGETS, distilReward, rowTokenTargets, type DistilOptions, type DistilTargets, type RegressionRows } from './distill.js';
export { RecoveredReward, loadRewardFunction, loadRewardModel, saveRewardModel, type LoadRewardOptions, type SaveRewardOptions } from './save.js';
