/**
 * Recovered rewards as Hugging Face folders, and back as irlens RewardFunctions.
 *
 * A folder holds a GPTNeoXForSequenceClassification / LlamaForSequenceClassification with
 * num_labels 1, so transformers (AutoModelForSequenceClassification) and TRL load it. What they
 * compute is the score of the last non-padding token: the recovered reward exactly when the
 * pooling was 'last'. For other poolings config.json says which in "irlens_pooling", and a loader
 * must compute, from the backbone's final hidden states h_t over the text's real tokens:
 *   'mean'        score · mean_t(h_t)
 *   'token-mean'  mean_t(score · h_t)   (equal to 'mean')
 *   'token-min'   min_t(score · h_t)
 *   'token-sum'   Σ_t score · h_t
 * where score is the bias-free `score.weight` row. "irlens_reward_input" says whether the model
 * was trained on prompt + continuation or on the continuation alone; score texts the same way.
 * OpenRLHF (get_llm_for_sequence_regression) loads the folder as its own reward model: the
 * backbone under its base_model_prefix and a bias-free head named by "value_head_prefix", read at
 * the last real token — the 'last' pooling (README, "Training with a recovered reward in OpenRLHF").
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { modelFolderFile } from '../io/inside-folder.js';
import { loadModel } from '../models/load.js';
import { saveModel } from '../models/save.js';
import { GPTNeoXForSequenceClassification, LlamaForSequenceClassification } from '../models/sequence-classification.js';
import type { RewardFunction, RewardScores } from '../reward/index.js';
import { Tokenizer } from '../text/index.js';
import type { RewardInput } from './demonstrations.js';
import { RewardFolderError } from './errors.js';
import { POOLINGS, RewardModel, type Pooling } from './reward-model.js';

export interface SaveRewardOptions {
  /** A folder whose tokenizer files are copied alongside (the base model's). */
  tokenizerFrom?: string;
  /** What the model was trained to read; recorded for whoever scores with it. */
  rewardInput?: RewardInput;
}

/** Saves the reward model as a Hugging Face sequence-classification folder with its pooling in config.json. */
export function saveRewardModel(model: RewardModel, folder: string, options: SaveRewardOptions = {}): void {
  // OpenRLHF names the head by config.json's value_head_prefix before its --value_head_prefix flag,
  // so saying "score" here loads the right weights whatever that flag is set to.
  const extraConfig: Record<string, unknown> = { irlens_pooling: model.pooling, value_head_prefix: 'score' };
  if (options.rewardInput) extraConfig.irlens_reward_input = options.rewardInput;
  saveModel(model.classifier, model.classifier.config, folder, { tokenizerFrom: options.tokenizerFrom, extraConfig });
}

/** The pooling a folder's config.json records ('last' when it records none, as for any transformers reward model). */
function readPooling(folder: string): Pooling {
  const raw = JSON.parse(readFileSync(modelFolderFile(folder, 'config.json'), 'utf8')) as { irlens_pooling?: unknown };
  const pooling = raw.irlens_pooling ?? 'last';
  if (!POOLINGS.includes(pooling as Pooling)) {
    throw new RewardFolderError(`${folder}: config.json's irlens_pooling is ${JSON.stringify(pooling)}; irlens knows ${POOLINGS.join(', ')}`);
  }
  return pooling as Pooling;
}

/** Loads a reward folder as a RewardModel; refuses anything but a GPT-NeoX / Llama classifier with one output. */
export function loadRewardModel(folder: string): RewardModel {
  const { model, config } = loadModel(folder);
  if (!(model instanceof GPTNeoXForSequenceClassification || model instanceof LlamaForSequenceClassification)) {
    throw new RewardFolderError(`${folder} holds a ${model.constructor.name}; a recovered reward is a GPTNeoXForSequenceClassification or LlamaForSequenceClassification`);
  }
  if (config.numLabels !== 1) {
    throw new RewardFolderError(`${folder} has num_labels ${config.numLabels}; a reward model has exactly one output (num_labels 1), so this is a classifier, not a reward`);
  }
  return new RewardModel(model, readPooling(folder));
}

export interface LoadRewardOptions {
  /** The tokenizer to read texts with; by default the folder's own tokenizer.json. */
  tokenizer?: Tokenizer;
  /** Texts per forward pass. Default 16. */
  batchSize?: number;
}

/** A recovered reward as a RewardFunction: texts in, the reward model's scores (under its pooling) out. */
export class RecoveredReward implements RewardFunction {
  readonly name: string;

  constructor(
    readonly model: RewardModel,
    private readonly tokenizer: Tokenizer,
    private readonly options: { batchSize?: number; folder?: string } = {},
  ) {
    this.name = `recovered(${model.pooling})`;
  }

  score(texts: readonly string[]): RewardScores {
    const rows = texts.map((text) => this.tokenizer.encode(text));
    return { scores: this.model.scoreRows(rows, this.options.batchSize), metadata: { kind: 'recovered-reward', pooling: this.model.pooling, folder: this.options.folder ?? null } };
  }
}

/** Loads a reward folder saved by saveRewardModel (or any one-output GPT-NeoX / Llama classifier) as a RewardFunction. */
export function loadRewardFunction(folder: string, options: LoadRewardOptions = {}): RecoveredReward {
  const model = loadRewardModel(folder);
  if (!options.tokenizer && !existsSync(join(folder, 'tokenizer.json'))) {
    throw new RewardFolderError(`${folder} has no tokenizer.json; save it with tokenizerFrom set, or pass the tokenizer to loadRewardFunction`);
  }
  const tokenizer = options.tokenizer ?? Tokenizer.fromFolder(folder);
  return new RecoveredReward(model, tokenizer, { batchSize: options.batchSize, folder });
}
