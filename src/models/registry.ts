/**
 * Every architecture irlens implements, as transformers names it (config.json's
 * "architectures"). Loading, saving and the parity tests go through this list.
 */
import type { GptNeoxConfig, ModelConfig, ModelType } from '../io/config.js';
import type { TensorMap } from '../io/record.js';
import type { Module } from '../nn/index.js';
import { GPTNeoXForCausalLM } from './gpt-neox.js';

export interface Architecture {
  /** transformers' class name, e.g. "GPTNeoXForCausalLM". */
  name: string;
  modelType: ModelType;
  kind: 'causal-lm' | 'sequence-classifier';
  create(config: ModelConfig): Module;
  /** Maps a checkpoint's names onto the model's where they differ (older exports, tied weights). */
  renameWeights?(weights: TensorMap, config: ModelConfig): TensorMap;
}

export const ARCHITECTURES: Architecture[] = [
  {
    name: 'GPTNeoXForCausalLM',
    modelType: 'gpt_neox',
    kind: 'causal-lm',
    create: (config) => new GPTNeoXForCausalLM(config as GptNeoxConfig),
    // Some exports name the output layer lm_head, as other causal LMs do.
    renameWeights: (weights) => renamed(weights, { 'lm_head.weight': 'embed_out.weight' }),
  },
];

function renamed(weights: TensorMap, names: Record<string, string>): TensorMap {
  const out: TensorMap = new Map();
  for (const [name, record] of weights) out.set(names[name] ?? name, record);
  return out;
}
