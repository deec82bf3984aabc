/**
 * Sequence-classification heads on causal LMs, as transformers' GPTNeoXForSequenceClassification
 * and LlamaForSequenceClassification: the reward (or value) model of RLHF and IRL.
 *
 * The LM's transformer body (gpt_neox.* or model.*) reads the text; a bias-free linear `score`
 * layer maps the hidden state of each row's last real token to numLabels logits (one, a scalar
 * reward, for reward models). Parameter names and config match transformers, so a reward model
 * irlens trains and saves opens in transformers and TRL, and theirs open in irlens.
 *
 * Which token is "last": irlens takes it from the attention mask (the last position whose mask
 * is 1), so right- and left-padded batches give the same score for the same text; without a mask
 * every token is real and the last position is read. transformers instead looks for the last
 * token that is not config.pad_token_id, which is the same for right padding with a pad token
 * that never occurs in the text (TRL sets pad_token_id from the tokenizer; keep it set in
 * config.json, or transformers refuses batches of more than one row). irlens also numbers
 * positions over the real tokens, as generation does; transformers numbers them 0..t-1 unless
 * given position_ids, so it agrees with irlens on left-padded rows only when given those.
 */
import type { GptNeoxConfig, LlamaConfig } from '../io/config.js';
import { Linear, Module, fillNormal, type Rng } from '../nn/index.js';
import * as T from '../tensor/index.js';
import type { Tensor } from '../tensor/index.js';
import { ModelInputError } from './errors.js';
import { GPTNeoXModel, type GPTNeoXForCausalLM } from './gpt-neox.js';
import { LlamaModel, type LlamaForCausalLM } from './llama.js';

export interface SequenceClassifierInputs {
  /** int32 [batch, t] */
  inputIds: Tensor;
  /** [batch, t], 1 for tokens and 0 for padding; all ones when absent. */
  attentionMask?: Tensor;
  /** int32 [batch, t], for the causal-LM classifiers only; counted over the attention mask by default. */
  positionIds?: Tensor;
}

export interface SequenceClassifierOutputs {
  /** [batch, numLabels] */
  logits: Tensor;
  /** The backbone's final hidden states (transformers' last_hidden_state), [batch, t, hidden]. */
  hidden: Tensor;
}

/** How to turn a causal LM into a reward / value model. */
export interface ScoreHeadOptions {
  /** Outputs of the score layer; 1 (a scalar reward) by default. */
  numLabels?: number;
  /** Draw the score weights from Normal(0, initializer_range), as transformers does; zero without it. */
  rng?: Rng;
  /** pad_token_id for the saved config (transformers needs one for batches); the LM's by default. */
  padTokenId?: number | null;
}

/** The index of each row's last real token: the last position whose attention mask is not 0. */
export function lastTokenIndices(model: string, inputIds: Tensor, attentionMask?: Tensor): number[] {
  if (inputIds.rank !== 2 || inputIds.dtype !== 'int32') {
    throw new ModelInputError(model, `inputIds must be an int32 [batch, t] tensor, got ${inputIds.dtype} [${inputIds.shape.join(', ')}]`);
  }
  const [batch, t] = inputIds.shape as [number, number];
  if (!attentionMask) return new Array<number>(batch).fill(t - 1);
  if (attentionMask.shape.join() !== inputIds.shape.join()) {
    throw new ModelInputError(model, `attentionMask has shape [${attentionMask.shape.join(', ')}] but inputIds has [${inputIds.shape.join(', ')}]; pass the mask the tokenizer returned with these ids`);
  }
  const mask = attentionMask.dtype === 'int32' ? attentionMask.ids : attentionMask.data;
  return Array.from({ length: batch }, (_, b) => {
    for (let i = t - 1; i >= 0; i--) if (mask[b * t + i] !== 0) return i;
    throw new ModelInputError(model, `row ${b} of the attention mask has no real token, so there is nothing to score; drop empty texts before scoring`);
  });
}

/** The hidden state of each row's last real token, [batch, hidden], picked from the flattened states. */
function lastTokenStates(model: string, hidden: Tensor, inputs: SequenceClassifierInputs): Tensor {
  const [batch, t, size] = hidden.shape as [number, number, number];
  const last = lastTokenIndices(model, inputs.inputIds, inputs.attentionMask);
  return T.indexSelect(T.reshape(hidden, [batch * t, size]), 0, last.map((i, b) => b * t + i));
}

/** The config of a classifier with this head on the LM that `config` describes. */
function classifierConfig<C extends GptNeoxConfig | LlamaConfig>(config: C, name: string, options: ScoreHeadOptions): C {
  const numLabels = options.numLabels ?? 1;
  if (!Number.isSafeInteger(numLabels) || numLabels < 1) {
    throw new ModelInputError(name, `numLabels must be a positive integer, got ${numLabels}`);
  }
  const id2label: Record<number, string> = {};
  const label2id: Record<string, number> = {};
  for (let id = 0; id < numLabels; id++) {
    id2label[id] = config.id2label[id] ?? `LABEL_${id}`;
    label2id[id2label[id]!] = id;
  }
  return {
    ...config,
    architectures: [name],
    numLabels,
    id2label,
    label2id,
    padTokenId: options.padTokenId === undefined ? config.padTokenId : options.padTokenId,
  };
}

export class GPTNeoXForSequenceClassification extends Module {
  readonly gptNeox: GPTNeoXModel;
  readonly score: Linear;

  constructor(readonly config: GptNeoxConfig) {
    super();
    this.gptNeox = this.addModule('gpt_neox', new GPTNeoXModel(config));
    this.score = this.addModule('score', new Linear(config.hiddenSize, config.numLabels, { bias: false }));
  }

  /** A reward / value model whose body starts as a copy of the LM's (the LM is left as it is). */
  static fromCausalLM(lm: GPTNeoXForCausalLM, options: ScoreHeadOptions = {}): GPTNeoXForSequenceClassification {
    const config = classifierConfig(lm.config, 'GPTNeoXForSequenceClassification', options);
    const model = new GPTNeoXForSequenceClassification(config);
    model.gptNeox.loadStateDict(lm.gptNeox.stateDict());
    if (options.rng) fillNormal(model.score.weight, options.rng, config.initializerRange);
    return model;
  }

  forward(inputs: SequenceClassifierInputs): SequenceClassifierOutputs {
    const hidden = this.gptNeox.forward(inputs);
    return { hidden, logits: this.score.forward(lastTokenStates('GPTNeoXForSequenceClassification', hidden, inputs)) };
  }
}

export class LlamaForSequenceClassification extends Module {
  readonly model: LlamaModel;
  readonly score: Linear;

  constructor(readonly config: LlamaConfig) {
    super();
    this.model = this.addModule('model', new LlamaModel(config));
    this.score = this.addModule('score', new Linear(config.hiddenSize, config.numLabels, { bias: false }));
  }

  /** A reward / value model whose body starts as a copy of the LM's (the LM is left as it is). */
  static fromCausalLM(lm: LlamaForCausalLM, options: ScoreHeadOptions = {}): LlamaForSequenceClassification {
    const config = classifierConfig(lm.config, 'LlamaForSequenceClassification', options);
    const model = new LlamaForSequenceClassification(config);
    model.model.loadStateDict(lm.model.stateDict());
    if (options.rng) fillNormal(model.score.weight, options.rng, config.initializerRange);
    return model;
  }

  forward(inputs: SequenceClassifierInputs): SequenceClassifierOutputs {
    const hidden = this.model.forward(inputs);
    return { hidden, logits: this.score.forward(lastTokenStates('LlamaForSequenceClassification', hidden, inputs)) };
  }
}
