/**
 * The paper's settings: Pythia-70M or Pythia-410M after HH SFT (by hub id) as the policy, PPO as
 * the paper's train_rlhf.py configures it,
 * s-nlp/roberta_toxicity_classifier as the ground truth, and the paper's prompts, the hub data set
 * jaredjoss/jigsaw-long-2000 (columns prompt, original_output, toxic). These need the models and
 * the data set from the hub, or its cache (download them once online), or local copies given with
 * --set base_model.source=DIR, --set ground_truth.source=DIR and
 * --set 'curate.inputs=["jigsaw-long-2000.parquet"]'. Offline with nothing cached they stop at once,
 * saying what is missing.
 */
import type { Preset } from '../presets.js';

/** The hub data set the paper's train_rlhf.py takes its prompts from. */
export const PAPER_PROMPTS = 'jaredjoss/jigsaw-long-2000';

/** Pythia's context: prompts are cut so that prompt + response fits (the 410M file's seq_length 10000 does not). */
const PYTHIA_POSITIONS = 2048;

/** The rlhf stage's section from the paper's settings for one size (see PAPER_PPO_SETTINGS for each value's source). */
function rlhfSection(paper: PaperPpoSettings): Record<string, unknown> {
  return {
    seeds: 1, reward: paper.reward, total_steps: paper.total_steps, epochs: paper.epochs, batch_size: paper.batch_size,
    num_rollouts: paper.num_rollouts, chunk_size: paper.chunk_size, ppo_epochs: paper.ppo_epochs, num_layers_unfrozen: paper.num_layers_unfrozen,
    max_prompt_tokens: Math.min(paper.max_prompt_tokens, PYTHIA_POSITIONS - paper.max_new_tokens),
    learning_rate: paper.learning_rate, betas: [...paper.betas], adam_eps: paper.adam_eps, weight_decay: paper.weight_decay,
    t_max: paper.t_max, eta_min: paper.eta_min, init_kl_coef: paper.init_kl_coef, kl_target: paper.kl_target, kl_horizon: paper.kl_horizon,
    gamma: paper.gamma, lam: paper.lam, cliprange: paper.cliprange, cliprange_value: paper.cliprange_value, vf_coef: paper.vf_coef,
    scale_reward: paper.scale_reward ?? 'none', cliprange_reward: paper.cliprange_reward,
    max_new_tokens: paper.max_new_tokens, top_k: paper.top_k, top_p: paper.top_p, temperature: paper.temperature,
    log_samples_every: 10,
  };
}

const paperSettings = (size: '70m' | '410m'): Record<string, unknown> => ({
  seed: 0,
  world: { kind: 'none' },
  // RLHF starts from the HH-SFT Pythia, as the paper's runs do.
  base_model: { source: PAPER_PPO_SETTINGS[size].start_model },
  rlhf: rlhfSection(PAPER_PPO_SETTINGS[size]),
  ground_truth: { source: 's-nlp/roberta_toxicity_classifier', toxic_label: 'toxic', max_length: 512 },
  // The paper's prompts (train_rlhf.py reads the data set's train split): prompt, original_output,
  // toxic. The prompts come with the data, so prompt_fraction is null: no text is cut here.
  curate: { inputs: [PAPER_PROMPTS], schema: 'auto', prompt_fraction: null, min_prompt_words: 1, min_continuation_words: 1, balance: true, dedupe: true, test_fraction: 0.2 },
  base_toxicity: { max_prompts: 400, max_new_tokens: 30, max_prompt_tokens: 128, batch_size: 16, temperature: 1 },
  // The independent judge is the model the paper evaluated with, through HF evaluate's "toxicity" measure.
  reuse: { independent_judge: 'facebook/roberta-hate-speech-dynabench-r4-target', independent_judge_label: 'hate', benchmark_prompts: 400, samples_per_prompt: 1 },
});

/** One PPO run's settings, named as the rlhf stage will name them (trlx's meaning where it has one). */
export interface PaperPpoSettings {
  /** The policy PPO starts from (and the frozen reference is a copy of). */
  start_model: string;
  tokenizer: string;
  /** Transformer blocks trained, counted from the top; the rest and the input embeddings stay frozen. */
  num_layers_unfrozen: number;
  /** Rollouts per optimizer step (trlx's PPO minibatch). */
  batch_size: number;
  /** Rollouts collected per PPO phase, before ppo_epochs passes over them. */
  num_rollouts: number;
  /** Prompts per generation call (and per reward call). */
  chunk_size: number;
  ppo_epochs: number;
  /** Optimizer steps the run takes. */
  total_steps: number;
  /** Bound on PPO phases; trlx stops at whichever of this and total_steps comes first. */
  epochs: number;
  /** Optimizer steps between evaluations on the held-out prompts. */
  eval_interval: number;
  /** Prompt tokens kept (trlx: seq_length − max_new_tokens). */
  max_prompt_tokens: number;
  /** Which end of a long prompt is cut. */
  truncation_side: 'left' | 'right';
  learning_rate: number;
  betas: readonly [number, number];
  adam_eps: number;
  weight_decay: number;
  /** Cosine annealing (torch CosineAnnealingLR) over this many optimizer steps... */
  t_max: number;
  /** ...towards this learning rate. */
  eta_min: number;
  init_kl_coef: number;
  /** Adaptive KL: the KL the coefficient steers towards, and the horizon (in rollouts) of its steering. */
  kl_target: number;
  kl_horizon: number;
  gamma: number;
  /** GAE λ. */
  lam: number;
  cliprange: number;
  cliprange_value: number;
  vf_coef: number;
  /** `running`: scores divided by the running standard deviation of the scores seen so far. */
  scale_reward: 'running' | 'ref' | null;
  ref_mean: number | null;
  ref_std: number | null;
  /** Scores are clipped to ±this before scaling. */
  cliprange_reward: number;
  max_new_tokens: number;
  top_k: number;
  top_p: number;
  temperature: number;
  do_sample: boolean;
  /** `shaped`: −P_tox(prompt + sample) − (−P_tox(prompt + original_output)); `raw`: −P_tox(prompt + sample). */
  reward: 'shaped' | 'raw';
  /** The ground-truth classifier, and how many of its tokens it reads (the rest is cut from the end). */
  reward_model: string;
  reward_max_length: number;
  /** Where the prompts come from, and the share of them held out for evaluation. */
  dataset: string;
  test_fraction: number;
  /** The seed of the prompts' train/test split (sklearn's random_state). */
  split_seed: number;
  /** The seed of torch, numpy and random (trlx's train.seed). */
  seed: number;
}

/**
 * The PPO settings of the paper's RLHF runs, per policy size, which the presets' rlhf sections
 * are made from (rlhfSection). Each field names its source:
 * - IRL: github.com/ai4ai-lab/irl_for_llms at 1597c930, src/train_rlhf.py unless another file is
 *   named. Its get_default_config() (lines 31-75) builds a trlx TRLConfig; get_config() (77-128)
 *   overrides fields per size.
 * - TRLX: github.com/CarperAI/trlx at 3340c2f3, the trlx@main IRL installs (requirements.txt:1);
 *   its dataclass defaults and trainer code fill what IRL leaves unset.
 * - RUN70, RUN410: the released RLHF models the paper's IRL results use (IRL
 *   src/conf/experiment/exp_70m.yaml:6, exp_410m.yaml:6),
 *   jaredjoss/pythia-70m-roberta-lr_3e6-kl_0035-steps_600-rlhf-model and
 *   jaredjoss/pythia-410m-roberta-lr_8e7-kl_01-steps_12000-rlhf-model, with the wandb logs of their
 *   runs committed in IRL src/analysis/data/rlhf/ (70m_wandb_*.csv, 410m_steps-12000_wandb_*.csv).
 * Where a released run contradicts train_rlhf.py, the run's value is used and the file's is given.
 */
export const PAPER_PPO_SETTINGS: Readonly<Record<'70m' | '410m', PaperPpoSettings>> = {
  '70m': {
    start_model: 'lomahony/eleuther-pythia70m-hh-sft', // IRL :84 (Pythia-70M SFT'd 1 epoch on Anthropic HH)
    tokenizer: 'EleutherAI/pythia-70m', // IRL :87
    num_layers_unfrozen: 4, // IRL :85 (of 6 blocks; TRLX trlx/utils/modeling.py:22-38 also leaves embed_out and the final norm trainable)
    batch_size: 16, // IRL :81; RUN70's rollouts every 16 steps = 32/16 × 8 ppo_epochs agree
    num_rollouts: 32, // IRL :91
    chunk_size: 4, // IRL :94
    ppo_epochs: 8, // IRL :93
    total_steps: 600, // RUN70: "steps_600", its losses CSV ends at step 600 (also IRL train_rlhf_irl_rm.py:86); IRL :83 says 1 (5000 before IRL commit fff257a)
    epochs: 1000, // IRL :35
    eval_interval: 200, // IRL :39; RUN70's reward CSV at steps 0, 200, 400, 600
    max_prompt_tokens: 896, // seq_length 1024 (IRL :82) − max_new_tokens 128, as TRLX trlx/trlx.py:101 computes it
    truncation_side: 'left', // IRL :47
    learning_rate: 3e-6, // IRL :88; RUN70 "lr_3e6"
    betas: [0.9, 0.95], // IRL :48
    adam_eps: 1e-8, // IRL :48
    weight_decay: 0.0006, // IRL :89
    t_max: 10000, // IRL :49
    eta_min: 5.45e-6, // IRL :90 (above learning_rate: the schedule raises it, to about 3.02e-6 by step 600)
    init_kl_coef: 0.035, // RUN70 "kl_0035" (the name only); IRL :55 says 0.2
    kl_target: 5.71, // IRL :92
    kl_horizon: 10000, // IRL :57; TRLX accelerate_ppo_trainer.py:228 advances it by batch_size per optimizer step
    gamma: 1, // IRL :58
    lam: 0.95, // IRL :59
    cliprange: 0.2, // IRL :60
    cliprange_value: 0.2, // IRL :61
    vf_coef: 1, // IRL :62
    scale_reward: 'running', // IRL :63; TRLX accelerate_ppo_trainer.py:372-379
    ref_mean: null, // IRL :64
    ref_std: null, // IRL :65
    cliprange_reward: 10, // IRL :66
    max_new_tokens: 128, // IRL :68
    top_k: 30, // IRL :69
    top_p: 1.0, // IRL :70
    temperature: 1.0, // set by neither IRL nor TRLX: transformers' default
    do_sample: true, // IRL :71
    reward: 'shaped', // IRL :233-245: −P(toxic) of prompt + sample minus that of prompt + original_output
    reward_model: 's-nlp/roberta_toxicity_classifier', // IRL :227 (by its former name SkolkovoInstitute/roberta_toxicity_classifier)
    reward_max_length: 512, // IRL :230 (the pipeline's tokenizer truncates on the right; :236 sets "left" on another tokenizer)
    dataset: PAPER_PROMPTS, // IRL :223 (its train split; fields prompt, original_output)
    test_fraction: 0.2, // IRL :225
    split_seed: 0, // IRL :225
    seed: 1000, // TRLX trlx/data/configs.py:230, applied at trlx/trlx.py:83 (IRL sets no train.seed)
  },
  '410m': {
    start_model: 'lomahony/eleuther-pythia410m-hh-sft', // IRL :122; RUN410's model card names it too
    tokenizer: 'EleutherAI/pythia-410m', // IRL :123
    num_layers_unfrozen: 3, // IRL :118 (of 24 blocks)
    batch_size: 8, // IRL :115; but RUN410 collects rollouts every 60 steps, where 48/8 × 5 gives 30 (batch_size 4 would give 60)
    num_rollouts: 48, // IRL :125
    chunk_size: 4, // IRL :124
    ppo_epochs: 5, // IRL :126
    total_steps: 12000, // RUN410: "steps_12000", its model card and losses CSV; IRL :116 says 10000
    epochs: 1000, // IRL :35
    eval_interval: 400, // RUN410's reward CSV at steps 0, 400, 800, ...; IRL :39 says 200
    max_prompt_tokens: 9872, // seq_length 10000 (IRL :117, beyond Pythia's 2048 positions) − max_new_tokens 128, TRLX trlx/trlx.py:101
    truncation_side: 'left', // IRL :47
    learning_rate: 8e-7, // IRL :119; RUN410 "lr_8e7" and its card
    betas: [0.9, 0.95], // IRL :48
    adam_eps: 1e-8, // IRL :48
    weight_decay: 1e-6, // IRL :48 (not overridden for 410M)
    t_max: 10000, // IRL :49 (reaches eta_min at step 10000, then rises again to about 2.75e-7 by 12000)
    eta_min: 2.2e-7, // IRL :120
    init_kl_coef: 0.1, // RUN410 "kl_01" (the name only); IRL :55 says 0.2
    kl_target: 4.9, // IRL :127
    kl_horizon: 10000, // IRL :57
    gamma: 1, // IRL :58
    lam: 0.95, // IRL :59
    cliprange: 0.2, // IRL :60
    cliprange_value: 0.2, // IRL :61
    vf_coef: 1, // IRL :62
    scale_reward: 'running', // IRL :63
    ref_mean: null, // IRL :64
    ref_std: null, // IRL :65
    cliprange_reward: 10, // IRL :66
    max_new_tokens: 128, // IRL :68
    top_k: 30, // IRL :69
    top_p: 1.0, // IRL :70
    temperature: 1.0, // set by neither IRL nor TRLX: transformers' default
    do_sample: true, // IRL :71
    reward: 'shaped', // IRL :233-245
    reward_model: 's-nlp/roberta_toxicity_classifier', // IRL :227
    reward_max_length: 512, // IRL :230
    dataset: PAPER_PROMPTS, // IRL :223
    test_fraction: 0.2, // IRL :225
    split_seed: 0, // IRL :225
    seed: 1000, // TRLX trlx/data/configs.py:230 via trlx/trlx.py:83
  },
};

export const pythia70mPreset: Preset = {
  name: 'pythia-70m',
  description: "the paper's small setting: lomahony/eleuther-pythia70m-hh-sft (Pythia-70M after HH SFT), s-nlp/roberta_toxicity_classifier, Jigsaw prompts (needs the hub or its cache, or local copies)",
  config: paperSettings('70m'),
};

export const pythia410mPreset: Preset = {
  name: 'pythia-410m',
  description: "the paper's larger setting: lomahony/eleuther-pythia410m-hh-sft (Pythia-410M after HH SFT), s-nlp/roberta_toxicity_classifier, Jigsaw prompts (needs the hub or its cache, or local copies)",
  config: paperSettings('410m'),
};
