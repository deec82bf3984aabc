/**
 * The `demo` preset: the whole pipeline offline, on the demo world (Moby-Dick in a clean and an
 * abusive register), sized to run in a couple of minutes on 2 cores. `demo-tiny` is the same at
 * the smallest size, for tests and a first look (seconds, with a weaker ground truth allowed).
 */
import type { Preset } from '../presets.js';

export const demoPreset: Preset = {
  name: 'demo',
  description: 'offline demo: a tiny GPT-NeoX pretrained on Moby-Dick with abusive passages, a small RoBERTa ground truth (2 cores, ~1½ min)',
  config: {
    seed: 0,
    world: { kind: 'demo', size: 'small', vocab_size: 1024, corpus_renderings: 2 },
    // Sized by measurement, for about a minute on 2 cores: at equal training time, this 2-layer
    // d=64 model trained for 2200 steps (6 epochs) reaches a lower held-out loss (3.94) than wider
    // or deeper ones trained for fewer steps; full rotary, linear decay and weight decay 0.1
    // each took off about 0.02.
    base_model: {
      source: null,
      hidden_size: 64,
      num_layers: 2,
      num_heads: 4,
      intermediate_size: 256,
      rotary_pct: 1,
      block_size: 64,
      batch_size: 16,
      max_steps: 2200,
      learning_rate: 5e-3,
      warmup_steps: 50,
      schedule: 'linear',
      weight_decay: 0.1,
      checkpoint_every: 500,
    },
    ground_truth: {
      source: null,
      hidden_size: 64,
      num_layers: 2,
      num_heads: 4,
      intermediate_size: 128,
      max_length: 64,
      batch_size: 32,
      epochs: 1,
      learning_rate: 3e-3,
      min_accuracy: 0.95,
    },
    curate: { inputs: null, prompt_fraction: 0.5, balance: true, dedupe: true, test_fraction: 0.5 },
    base_toxicity: { max_prompts: 96, max_new_tokens: 24, batch_size: 16, temperature: 1 },
  },
};

export const demoTinyPreset: Preset = {
  name: 'demo-tiny',
  extends: 'demo',
  description: 'the demo at its smallest (tests, a first look): seconds; the ground truth may be weaker',
  config: {
    world: { size: 'tiny', vocab_size: 512, corpus_renderings: 2 },
    base_model: { hidden_size: 32, intermediate_size: 128, block_size: 32, batch_size: 8, max_steps: 30, warmup_steps: 5, checkpoint_every: 10 },
    ground_truth: { hidden_size: 32, intermediate_size: 64, batch_size: 16, epochs: 3, learning_rate: 3e-3, min_accuracy: 0.7 },
    base_toxicity: { max_prompts: 16, max_new_tokens: 12, batch_size: 8 },
  },
};
