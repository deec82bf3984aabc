/**
 * The `demo` preset: the whole pipeline offline, on the demo world (Moby-Dick in a clean and an
 * abusive register), sized to run in a couple of minutes on 2 cores. `demo-tiny` is the same at
 * the smallest size, for tests and a first look (seconds, with a weaker ground truth allowed).
 */
import type { Preset } from '../presets.js';

export const demoPreset: Preset = {
  name: 'demo',
  description: 'offline demo: a tiny GPT-NeoX pretrained on Moby-Dick with abusive passages, a small RoBERTa ground truth, PPO experts, IRL and its evaluation (2 cores, ~5 min)',
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
    // Two epochs: after one, the classifier still passed over most interjections read mid-text
    // ("… in this. Shit, it is …", where the continuations it judges put them). Three or four
    // (at 3e-3 or 1e-3) called more of the base model's garbled words toxic: of 2,136 of its
    // continuations, 45–57 with no abusive word in them (two epochs: 30), for 6 more of the 213 with one.
    ground_truth: {
      source: null,
      hidden_size: 64,
      num_layers: 2,
      num_heads: 4,
      intermediate_size: 128,
      max_length: 64,
      batch_size: 32,
      epochs: 2,
      learning_rate: 3e-3,
      min_accuracy: 0.95,
    },
    curate: { inputs: null, prompt_fraction: 0.5, balance: true, dedupe: true, test_fraction: 0.5 },
    base_toxicity: { max_prompts: 96, max_new_tokens: 24, batch_size: 16, temperature: 1 },
    // PPO against the ground truth, three seeds, judged on all 188 held-out prompts; the whole
    // model trains (the base is tiny). The reward judges the continuation alone: the paper's shaped
    // reward judges prompt + sample, which a toxic prompt saturates whatever follows. The PPO is
    // gentle (lr 3e-4, a fixed KL coefficient of 0.15, 48 steps) and every minibatch is fresh: one
    // pass (ppo_epochs 1) over each round's 256 rollouts in batches of 64. The closed-form reward
    // reads the expert's drift from the base, so drift that fits the rollouts' noise is noise in
    // it. On one expert seed, the token-min log-ratio ranked held-out continuations at AUROC 0.91
    // after four passes over each round's rollouts (drift 0.80 nats) and 0.97–0.98 after one (0.45
    // nats, 48 or 64 steps; the untrained control 0.53), for the same toxicity. Bigger batches (128
    // from 512) reached 0.95, 128 steps 0.97–0.99 at twice the time; a larger learning rate drifted
    // further and did worse (0.89 at 6e-4 and 1e-3). The same expert seed with other rollout
    // streams moved these figures by up to 0.04. An earlier setting (batch 16 from 64, lr 1e-3,
    // adaptive KL to 6 nats, 256 steps) wrote 5-token continuations, so every reward, the control
    // included (AUROC 0.60), told expert from base by length.
    rlhf: {
      seeds: 3, reward: 'continuation', total_steps: 48, epochs: 100, batch_size: 64, num_rollouts: 256, chunk_size: 32, ppo_epochs: 1,
      num_layers_unfrozen: -1, max_prompt_tokens: 40, learning_rate: 3e-4, eta_min: 3e-4, init_kl_coef: 0.15, kl_target: null, kl_horizon: 1000,
      scale_reward: 'running', cliprange_reward: 10, max_new_tokens: 24, top_k: 0, top_p: 1, temperature: 1, eval_prompts: 188, log_samples_every: 4,
    },
    // IRL on prompts RLHF never saw: every variant over 10 seeds, evaluated on held-out prompts and minimal pairs.
    // Eight continuations per test prompt: with two, the 56 test prompts gave 224 held-out texts of
    // which about 9 were toxic, too few for a stable AUROC. Four per training prompt, not two: the
    // dense student's validation AUROC rose from 0.955 to 0.972 over 10 seeds (on the same test
    // texts, 0.905 to 0.955), for 55 s more of IRL.
    demonstrations: { max_prompts: 200, samples_per_prompt: 4, test_samples_per_prompt: 8, max_new_tokens: 24, max_prompt_tokens: 40, batch_size: 16 },
    // Three epochs: the whole-backbone variants are most of the demo's time, and the calibration saw 3 and 10 epochs agree.
    // The reward models read the continuation alone, as the RLHF reward did (the paper's variant
    // still reads prompt + continuation, as in the paper). Rows of prompt + continuation had taught
    // the dense student that a row's first tokens (the prompt's, fitted to 0) score 0: it ranked
    // held-out continuations at AUROC 0.90 and Pearson 0.41 so, and at 0.96 and 0.74 reading them
    // alone. The validation split (11 toxic texts) could not tell the two apart (0.946 and 0.939).
    irl: { seeds: 10, epochs: 3, batch_size: 8, learning_rate: 1e-3, probe_learning_rate: 1e-2, reward_input: 'continuation' },
    // 200 resamples per run's interval: with 896 test texts, 500 made evaluate the demo's slowest stage
    // after IRL; the spread the headline reports is over seeds, not these.
    evaluate: { bootstrap_resamples: 200 },
    // RLHF again with the paper's recovered reward, the best trained one and the random-head control, with rlhf's settings and seeds.
    reuse: { variants: ['paper', 'best'], control: true, benchmark_prompts: 188, samples_per_prompt: 4, bootstrap_resamples: 1000 },
  },
};

export const demoTinyPreset: Preset = {
  name: 'demo-tiny',
  extends: 'demo',
  description: 'the demo at its smallest (tests, a first look): seconds; the ground truth may be weaker',
  config: {
    world: { size: 'tiny', vocab_size: 512, corpus_renderings: 2 },
    base_model: { hidden_size: 32, intermediate_size: 128, block_size: 32, batch_size: 8, max_steps: 30, warmup_steps: 5, checkpoint_every: 10 },
    ground_truth: { hidden_size: 32, intermediate_size: 64, batch_size: 16, epochs: 4, learning_rate: 1e-3, min_accuracy: 0.7 },
    base_toxicity: { max_prompts: 16, max_new_tokens: 12, batch_size: 8 },
    // Twenty one-step rounds, so a killed run has round checkpoints to resume from.
    rlhf: { seeds: 1, total_steps: 20, num_rollouts: 8, chunk_size: 8, batch_size: 8, ppo_epochs: 1, max_new_tokens: 8, max_prompt_tokens: 24, eval_prompts: 16 },
    demonstrations: { max_prompts: 12, samples_per_prompt: 2, max_new_tokens: 8, max_prompt_tokens: 20, batch_size: 16 },
    irl: { seeds: 2, epochs: 2 },
    evaluate: { bootstrap_resamples: 50 },
    reuse: { variants: ['best'], total_steps: 4, benchmark_prompts: 8, samples_per_prompt: 2, bootstrap_resamples: 50 },
  },
};
