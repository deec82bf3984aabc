import { GPTNeoXForCausalLM, type GPTNeoXConfig } from '../../src/models/gpt-neox.js';
import { AdamW, Rng, initWeights } from '../../src/nn/index.js';
import * as T from '../../src/tensor/index.js';

export const tinyConfig = (overrides: Partial<GPTNeoXConfig> = {}): GPTNeoXConfig => ({
  vocabSize: 32, hiddenSize: 32, numLayers: 2, numHeads: 4, intermediateSize: 64, rotaryPct: 0.5,
  rotaryBase: 10000, useParallelResidual: true, layerNormEps: 1e-5, attentionBias: true, initializerRange: 0.02,
  ...overrides,
});

export function seededModel(config: GPTNeoXConfig, seed: number): GPTNeoXForCausalLM {
  const model = new GPTNeoXForCausalLM(config);
  initWeights(model, new Rng(seed), { std: config.initializerRange });
  return model;
}

/** Next-token inputs and labels for rows of token ids (the last position predicts nothing). */
export function causalBatch(rows: number[][]): { inputs: T.Tensor; labels: T.Tensor } {
  const t = rows[0]!.length;
  const flat = rows.flat();
  const labels = flat.map((_, i) => (i % t === t - 1 ? -100 : flat[i + 1]!));
  return { inputs: T.idTensor(flat, [rows.length, t]), labels: T.idTensor(labels, [rows.length, t]) };
}

/** Trains with AdamW on random windows of `tokens`; returns the loss of every step. */
export function train(model: GPTNeoXForCausalLM, tokens: number[], options: { steps: number; batch: number; t: number; lr: number; seed: number }): number[] {
  const rng = new Rng(options.seed);
  const optimizer = new AdamW(model.parameters(), { lr: options.lr, weightDecay: 0 });
  const losses: number[] = [];
  for (let step = 0; step < options.steps; step++) {
    const rows = Array.from({ length: options.batch }, () => {
      const start = rng.int(tokens.length - options.t);
      return tokens.slice(start, start + options.t);
    });
    const { inputs, labels } = causalBatch(rows);
    const loss = T.tidy(() => T.crossEntropy(model.forward({ inputIds: inputs }).logits, labels));
    loss.backward();
    optimizer.step();
    optimizer.zeroGrad();
    losses.push(loss.item());
  }
  return losses;
}
