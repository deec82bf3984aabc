import { writeHost, type Tensor } from '../tensor/index.js';
import type { Module } from './module.js';
import type { Rng } from './rng.js';

/**
 * Initialisation as transformers does it for GPT-NeoX, RoBERTa and Llama (`_init_weights`):
 * Linear and Embedding weights ~ Normal(0, initializer_range), biases 0, norm weights 1.
 * The fills write straight into a tensor's storage (writeHost), so they are never part of a graph.
 */

/** transformers' default initializer_range. */
export const DEFAULT_INIT_STD = 0.02;

export function fillNormal(t: Tensor, rng: Rng, std = DEFAULT_INIT_STD): Tensor {
  const values = new Float32Array(t.size);
  for (let i = 0; i < values.length; i++) values[i] = rng.normal(0, std);
  writeHost(t, values);
  return t;
}

export function fillZeros(t: Tensor): Tensor {
  writeHost(t, new Float32Array(t.size));
  return t;
}

export function fillOnes(t: Tensor): Tensor {
  writeHost(t, new Float32Array(t.size).fill(1));
  return t;
}

/** A module that knows how to (re)initialise its own parameters, as torch's reset_parameters(). */
export interface Initialisable {
  resetParameters(rng: Rng, std: number): void;
}

const isInitialisable = (m: Module): m is Module & Initialisable =>
  typeof (m as Partial<Initialisable>).resetParameters === 'function';

/**
 * Initialises a whole model, module by module in registration order (transformers' post_init):
 * the same rng and std always give the same weights.
 */
export function initWeights(root: Module, rng: Rng, options: { std?: number } = {}): void {
  const std = options.std ?? DEFAULT_INIT_STD;
  for (const [, m] of root.namedModules()) if (isInitialisable(m)) m.resetParameters(rng, std);
}
