/**
 * PPO's policy on disk: a Hugging Face causal-LM folder in, and out the trained policy as a
 * Hugging Face folder that transformers opens (the value head saved beside it, in trlx's names,
 * not inside the causal-LM checkpoint, so the policy folder stays a plain causal LM).
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../io/atomic.js';
import type { ModelConfig } from '../io/config.js';
import type { TensorRecord } from '../io/record.js';
import { writeSafetensors } from '../io/safetensors.js';
import { loadCausalLM } from '../models/load.js';
import { saveModel } from '../models/save.js';
import type { Rng } from '../nn/index.js';
import { Tokenizer } from '../text/index.js';
import { RlhfConfigError } from './errors.js';
import { HydraPolicy } from './hydra.js';
import { ValueHead } from './value-head.js';

export const POLICY_DIR = 'policy';
export const VALUE_HEAD_DIR = 'value_head';

export interface LoadedPolicy {
  hydra: HydraPolicy;
  tokenizer: Tokenizer;
  config: ModelConfig;
}

/** The causal LM in `folder`, with a fresh value head, arranged for PPO. */
export function loadPpoPolicy(folder: string, numLayersUnfrozen: number, rng: Rng): LoadedPolicy {
  if (!existsSync(join(folder, 'tokenizer.json'))) {
    throw new RlhfConfigError(`${folder} has no tokenizer.json: PPO samples text from the policy and scores it, so the policy folder needs its tokenizer; save the model with its tokenizer (or copy tokenizer.json and tokenizer_config.json into it)`);
  }
  const loaded = loadCausalLM(folder, 'PPO trains a causal language model (GPTNeoXForCausalLM, LlamaForCausalLM)');
  const policy = loaded.model;
  const valueHead = new ValueHead(policy.config.hiddenSize, rng.fork('value head'));
  return { hydra: new HydraPolicy(policy, valueHead, numLayersUnfrozen), tokenizer: Tokenizer.fromFolder(folder), config: loaded.config };
}

/** Saves the policy as `<dir>/policy` (with the tokenizer of `tokenizerFrom`) and its value head as `<dir>/value_head`. */
export function savePpoPolicy(loaded: LoadedPolicy, tokenizerFrom: string, dir: string): { policy: string; valueHead: string } {
  mkdirSync(dir, { recursive: true });
  const policyDir = join(dir, POLICY_DIR);
  saveModel(loaded.hydra.policy, loaded.config, policyDir, { tokenizerFrom });
  const valueHeadDir = join(dir, VALUE_HEAD_DIR);
  mkdirSync(valueHeadDir, { recursive: true });
  const weights: [string, TensorRecord][] = loaded.hydra.trainable.valueHead.namedParameters().map(([name, p]) => [`v_head.${name}`, { dtype: 'float32', shape: [...p.shape], data: p.data }]);
  writeSafetensors(join(valueHeadDir, 'model.safetensors'), weights, { metadata: { format: 'pt' } });
  writeFileAtomic(join(valueHeadDir, 'config.json'), `${JSON.stringify({ kind: 'trlx-value-head', layers: ['Linear(h, 2h)', 'ReLU', 'Linear(2h, 1)'], hidden_size: loaded.hydra.policy.config.hiddenSize, reads: 'the policy\'s final hidden state at each position' }, null, 2)}\n`);
  return { policy: policyDir, valueHead: valueHeadDir };
}
