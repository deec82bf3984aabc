/** Modules, layers, initialisation, optimizers, learning-rate schedules and the seeded RNG. */
export { Rng, randn, randUniform, type RngState } from './rng.js';
export { Module, ModuleList, type LoadStateDictResult } from './module.js';
export { Linear, Embedding, LayerNorm, RMSNorm, Dropout, type RandomInitOptions } from './layers.js';
export { DEFAULT_INIT_STD, fillNormal, fillOnes, fillZeros, initWeights, type Initialisable } from './init.js';
export * from './optim/index.js';
export {
  constant, linearWarmup, linearWarmupLinearDecay, cosineAnnealing, linearWarmupCosineDecay, LrScheduler,
  type LrSchedule,
} from './schedule.js';
export { NnError, StateDictError, NonFiniteGradientError, type ShapeMismatch } from './errors.js';
