/**
 * The paper's settings: Pythia-70M or Pythia-410M (by hub id) as the policy,
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

const paperSettings = (policy: string): Record<string, unknown> => ({
  seed: 0,
  world: { kind: 'none' },
  base_model: { source: policy },
  ground_truth: { source: 's-nlp/roberta_toxicity_classifier', toxic_label: 'toxic', max_length: 512 },
  // The paper's prompts (train_rlhf.py reads the data set's train split): prompt, original_output,
  // toxic. The prompts come with the data, so prompt_fraction is null: no text is cut here.
  curate: { inputs: [PAPER_PROMPTS], schema: 'auto', prompt_fraction: null, min_prompt_words: 1, min_continuation_words: 1, balance: true, dedupe: true, test_fraction: 0.2 },
  base_toxicity: { max_prompts: 400, max_new_tokens: 30, max_prompt_tokens: 128, batch_size: 16, temperature: 1 },
});

export const pythia70mPreset: Preset = {
  name: 'pythia-70m',
  description: "the paper's small setting: EleutherAI/pythia-70m, s-nlp/roberta_toxicity_classifier, Jigsaw prompts (needs the hub or its cache, or local copies)",
  config: paperSettings('EleutherAI/pythia-70m'),
};

export const pythia410mPreset: Preset = {
  name: 'pythia-410m',
  description: "the paper's larger setting: EleutherAI/pythia-410m, s-nlp/roberta_toxicity_classifier, Jigsaw prompts (needs the hub or its cache, or local copies)",
  config: paperSettings('EleutherAI/pythia-410m'),
};
