/** Supervised training loops: causal LMs on text, sequence classifiers on labelled text, and their resumable checkpoints. */
export { trainCausalLM, type CausalLanguageModel, type TrainCausalLMOptions } from './causal-lm.js';
export { trainSequenceClassifier, type LabelledText, type SequenceClassifierModel, type TrainSequenceClassifierOptions } from './classifier.js';
export {
  runTraining, baseRng,
  type EvalResult, type ScheduleName, type TrainMetrics, type TrainProgress, type TrainResult, type TrainingOptions, type TrainingTask,
} from './loop.js';
export { blockBatch, fingerprint, packDocuments, splitHeldOut, type PackedBlocks } from './data.js';
export {
  firstNonFiniteParameter, loadLatestTrainingCheckpoint, restoreWeights, saveTrainingCheckpoint, type SavedCheckpoint,
} from './checkpoint.js';
export { GroupedAdamW, type AdamWSettings, type NamedOptimizerState } from './optimizer.js';
export {
  TrainError, TrainOptionsError, TrainDataError, TrainingDivergedError, TrainCheckpointError, type CheckpointPlace, type Divergence,
} from './errors.js';
