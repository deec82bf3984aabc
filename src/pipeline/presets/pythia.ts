/**
 * The paper's settings: Pythia-70M or Pythia-410M (by hub id) as the policy,
 * s-nlp/roberta_toxicity_classifier as the ground truth, and Jigsaw-style prompt data, which the
 * user supplies (`--set 'curate.inputs=["jigsaw-long-2000.csv"]'`). These need the models from the
 * hub (or its cache, or local folders given with --set base_model.source=DIR) and cannot run
 * offline without them.
 */
import type { Preset } from '../presets.js';

const paperSettings = (policy: string): Record<string, unknown> => ({
  seed: 0,
  world: { kind: 'none' },
  base_model: { source: policy },
  ground_truth: { source: 's-nlp/roberta_toxicity_classifier', toxic_label: 'toxic', max_length: 512 },
  // The paper's jigsaw-long-2000: prompt, original_output, toxic. The prompts come with the files.
  curate: { inputs: null, schema: 'auto', prompt_fraction: null, min_prompt_words: 1, min_continuation_words: 1, balance: true, dedupe: true, test_fraction: 0.2 },
  base_toxicity: { max_prompts: 400, max_new_tokens: 30, max_prompt_tokens: 128, batch_size: 16, temperature: 1 },
});

export const pythia70mPreset: Preset = {
  name: 'pythia-70m',
  description: "the paper's small setting: EleutherAI/pythia-70m, s-nlp/roberta_toxicity_classifier, Jigsaw prompts (needs the hub or local copies; set curate.inputs)",
  config: paperSettings('EleutherAI/pythia-70m'),
};

export const pythia410mPreset: Preset = {
  name: 'pythia-410m',
  description: "the paper's larger setting: EleutherAI/pythia-410m, s-nlp/roberta_toxicity_classifier, Jigsaw prompts (needs the hub or local copies; set curate.inputs)",
  config: paperSettings('EleutherAI/pythia-410m'),
};
