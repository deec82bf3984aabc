/**
 * eval/: how faithful a recovered reward r is to the ground truth g, as pure functions of number
 * arrays, one per metric (scikit-learn's metrics are the model). Conventions: metrics of r
 * against g take (groundTruth, recovered), as scikit-learn takes (y_true, y_score); a text is
 * toxic when g < 0 and predicted toxic when r < threshold (0 unless given); toxic is the positive
 * class. An undefined value (a constant vector's correlation, AUROC with one class) is null,
 * never NaN; unusable input (different lengths, no texts, NaN) throws MetricInputError.
 */
export { MetricInputError } from './errors.js';
export { mean, type Vector } from './input.js';
export { accuracy, chooseThreshold, confusionMatrix, f1Score, precision, recall, type ChosenThreshold, type ConfusionMatrix, type ThresholdOptions } from './classification.js';
export { auroc, pairwiseAccuracy } from './ranking.js';
export { kendallTauB, pearson, spearman } from './correlation.js';
export { averageRanks } from './ranks.js';
export { cosineSimilarity, euclideanDistance, standardisedEuclideanDistance } from './distance.js';
export { canonicaliseByPrompt, epicDistance, starcDistance, type GroupIds } from './reward-distance.js';
export { normalCdf, normalQuantile, studentTQuantile } from './distributions.js';
export { ResampledAgreement } from './resampled.js';
export { bootstrapInterval, bootstrapMeanInterval, drawCountsBootstrapInterval, pairedBootstrapInterval, wilsonInterval, type BootstrapInterval, type BootstrapOptions, type Interval } from './intervals.js';
export { proportionDifferenceInterval, twoProportionZTest, type ZTest } from './proportions.js';
export { NON_NEGATIVE, SHARE, summariseSeeds, type SeedSummary } from './summary.js';
export { distinctN, reductionFraction, type ToxicShareByPrompt } from './generations.js';
export {
  AGREEMENT_METRICS, BOOTSTRAPPED, lookAlikePairFigures, meanOffDiagonal, minimalPairAccuracy, rewardAgreement, rewardSimilarity, summariseOverSeeds,
  type AgreementMetric, type AgreementOptions, type RewardAgreement, type RewardSimilarity,
} from './agreement.js';
