/**
 * A bigram language model for generation tests: the next-token logits are a row of a seeded table
 * picked by the last token (an embedding lookup, so they stay on the backend). The logits are
 * exact float32 values without a matrix product, so seeded generations from it are the same on
 * every machine and backend; the rows have ties and −∞ entries.
 */
import type { CausalLMInputs } from '../../src/models/causal-lm.js';
import type { GenerationModel } from '../../src/models/generation.js';
import { Rng } from '../../src/nn/index.js';
import * as T from '../../src/tensor/index.js';

export interface BigramModel extends GenerationModel {
  /** The logits that follow `token`. */
  logitsAfter(token: number): Float32Array;
}

export function bigramModel(vocab: number, seed: number): BigramModel {
  const rng = new Rng(seed);
  // Quarters between about −6 and 6 give ties; every eleventh token is masked.
  const table = Float32Array.from({ length: vocab * vocab }, (_, i) => (i % 11 === 3 ? -Infinity : Math.round(rng.normal() * 8) / 4));
  const weight = T.tensor(table, [vocab, vocab]);
  return {
    config: { numHiddenLayers: 1 },
    forward(inputs: CausalLMInputs) {
      const [batch, t] = inputs.inputIds.shape as [number, number];
      // Fill the one-layer cache as a real model would (generation checks that it is filled).
      const empty = T.zeros([batch, 1, t, 1]);
      inputs.cache?.extend(0, empty, empty);
      const logits = T.embedding(weight, inputs.inputIds);
      return { logits: t === 1 ? logits : T.slice(logits, 1, t - 1, t) };
    },
    logitsAfter: (token) => table.slice(token * vocab, (token + 1) * vocab),
  };
}
