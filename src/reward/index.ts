export { RewardError, type RewardFunction, type RewardScores } from './reward.js';
export { ClassifierReward, type Classification, type ClassifierRewardOptions, type ClassifierScore, type SequenceClassifier } from './classifier.js';
export { ShapedReward, type ShapedSample } from './shaped.js';
export { LexiconReward } from './lexicon.js';
export { CachedReward, textHash } from './cached.js';
