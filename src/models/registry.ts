/**
 * Every architecture irlens implements, as transformers names it (config.json's
 * "architectures"). Loading, saving and the parity tests go through this list.
 */
import type { GptNeoxConfig, LlamaConfig, ModelConfig, ModelType, RobertaConfig } from '../io/config.js';
import type { TensorMap } from '../io/record.js';
import { GPTNeoXForCausalLM } from './gpt-neox.js';
import { LlamaForCausalLM } from './llama.js';
import { RobertaForSequenceClassification } from './roberta.js';
import { GPTNeoXForSequenceClassification, LlamaForSequenceClassification } from './sequence-classification.js';

/** Any causal LM irlens implements: it generates, scores continuations and opens into parts for PPO. */
export type AnyCausalLM = GPTNeoXForCausalLM | LlamaForCausalLM;
/** Any sequence classifier irlens implements (a ground-truth classifier, a reward model). */
export type AnySequenceClassifier = GPTNeoXForSequenceClassification | LlamaForSequenceClassification | RobertaForSequenceClassification;

interface ArchitectureCommon {
  /** transformers' class name, e.g. "GPTNeoXForCausalLM". */
  name: string;
  modelType: ModelType;
  /** Maps a checkpoint's names onto the model's where they differ (older exports, tied weights). */
  renameWeights?(weights: TensorMap, config: ModelConfig): TensorMap;
}

export interface CausalLMArchitecture extends ArchitectureCommon {
  kind: 'causal-lm';
  create(config: ModelConfig): AnyCausalLM;
}

export interface ClassifierArchitecture extends ArchitectureCommon {
  kind: 'sequence-classifier';
  create(config: ModelConfig): AnySequenceClassifier;
}

/** Told apart by `kind`, so code that checks it gets the model's type without a cast. */
export type Architecture = CausalLMArchitecture | ClassifierArchitecture;

export const ARCHITECTURES: Architecture[] = [
  {
    name: 'GPTNeoXForCausalLM',
    modelType: 'gpt_neox',
    kind: 'causal-lm',
    create: (config) => new GPTNeoXForCausalLM(config as GptNeoxConfig),
    // Some exports name the output layer lm_head, as other causal LMs do.
    renameWeights: (weights) => renamed(weights, { 'lm_head.weight': 'embed_out.weight' }),
  },
  {
    name: 'GPTNeoXForSequenceClassification',
    modelType: 'gpt_neox',
    kind: 'sequence-classifier',
    create: (config) => new GPTNeoXForSequenceClassification(config as GptNeoxConfig),
  },
  {
    name: 'RobertaForSequenceClassification',
    modelType: 'roberta',
    kind: 'sequence-classifier',
    create: (config) => new RobertaForSequenceClassification(config as RobertaConfig),
  },
  {
    name: 'LlamaForCausalLM',
    modelType: 'llama',
    kind: 'causal-lm',
    create: (config) => new LlamaForCausalLM(config as LlamaConfig),
    // With tied embeddings, checkpoints usually store only model.embed_tokens.weight: the head is that tensor.
    renameWeights: (weights, config) => {
      const embeddings = weights.get('model.embed_tokens.weight');
      if (!config.tieWordEmbeddings || weights.has('lm_head.weight') || !embeddings) return weights;
      return new Map([...weights, ['lm_head.weight', embeddings]]);
    },
  },
  {
    name: 'LlamaForSequenceClassification',
    modelType: 'llama',
    kind: 'sequence-classifier',
    create: (config) => new LlamaForSequenceClassification(config as LlamaConfig),
  },
];

function renamed(weights: TensorMap, names: Record<string, string>): TensorMap {
  const out: TensorMap = new Map();
  for (const [name, record] of weights) out.set(names[name] ?? name, record);
  return out;
}
