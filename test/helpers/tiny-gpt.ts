import { parseConfig, type GptNeoxConfig } from '../../src/io/config.js';
import { GPTNeoXForCausalLM } from '../../src/models/gpt-neox.js';
import { AdamW, Rng, initWeights } from '../../src/nn/index.js';
import * as T from '../../src/tensor/index.js';

/** A small GPT-NeoX config; overrides use config.json's snake_case keys. */
export const tinyConfig = (overrides: Record<string, unknown> = {}): GptNeoxConfig =>
  parseConfig({
    model_type: 'gpt_neox', vocab_size: 32, hidden_size: 32, num_hidden_layers: 2, num_attention_heads: 4,
    intermediate_size: 64, rotary_pct: 0.5, use_parallel_residual: true, ...overrides,
  }) as GptNeoxConfig;

export function seededModel(config: GptNeoxConfig, seed: number): GPTNeoXForCausalLM {
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
    // One scope per step: the step's activations and gradients are freed when it ends.
    losses.push(T.tidy(() => {
      const loss = T.crossEntropy(model.forward({ inputIds: inputs }).logits, labels);
      loss.backward();
      return loss.item();
    }));
    optimizer.step();
    optimizer.zeroGrad();
  }
  return losses;
}
