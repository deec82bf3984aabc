/**
 * Hugging Face checkpoint folders → irlens models. The folder's config.json chooses the
 * architecture; its weights are read by io/ and copied into a freshly built model whose
 * parameter names match transformers'. loadCausalLM and loadClassifier give the model its type
 * and refuse a folder holding the other kind before reading any weights.
 */
import { loadCheckpoint } from '../io/checkpoint.js';
import { readConfig, type ModelConfig } from '../io/config.js';
import { CheckpointError } from '../io/errors.js';
import type { TensorMap } from '../io/record.js';
import type { Module } from '../nn/index.js';
import { StateDictError } from '../nn/index.js';
import { type Tensor, hostTensor } from '../tensor/index.js';
import { join } from 'node:path';
import { ModelKindError } from './errors.js';
import {
  ARCHITECTURES,
  type Architecture,
  type AnyCausalLM,
  type CausalLMArchitecture,
  type ClassifierArchitecture,
  type AnySequenceClassifier,
} from './registry.js';

export interface LoadedModel<M extends Module = Module, A extends Architecture = Architecture> {
  model: M;
  config: ModelConfig;
  architecture: A;
}

export type LoadedCausalLM = LoadedModel<AnyCausalLM, CausalLMArchitecture>;
export type LoadedClassifier = LoadedModel<AnySequenceClassifier, ClassifierArchitecture>;

/** Loads the model in a local Hugging Face folder (config.json + weights), whichever kind it is. */
export function loadModel(folder: string): LoadedCausalLM | LoadedClassifier {
  return readArchitecture(folder).architecture.kind === 'causal-lm' ? loadCausalLM(folder) : loadClassifier(folder);
}

/** Loads a causal LM; a classifier's folder is a ModelKindError whose message ends with `hint`. */
export function loadCausalLM(folder: string, hint = 'give a causal language model (GPTNeoXForCausalLM, LlamaForCausalLM)'): LoadedCausalLM {
  const { config, architecture } = readArchitecture(folder);
  if (architecture.kind !== 'causal-lm') throw new ModelKindError(folder, architecture.name, 'causal-lm', hint);
  return { model: withWeights(architecture.create(config), architecture, config, folder), config, architecture };
}

/** Loads a sequence classifier; a causal LM's folder is a ModelKindError whose message ends with `hint`. */
export function loadClassifier(folder: string, hint = 'give a *ForSequenceClassification checkpoint'): LoadedClassifier {
  const { config, architecture } = readArchitecture(folder);
  if (architecture.kind !== 'sequence-classifier') throw new ModelKindError(folder, architecture.name, 'sequence-classifier', hint);
  return { model: withWeights(architecture.create(config), architecture, config, folder), config, architecture };
}

function readArchitecture(folder: string): { config: ModelConfig; architecture: Architecture } {
  const config = readConfig(folder);
  return { config, architecture: chooseArchitecture(config, folder) };
}

/** Copies the folder's weights into `model`, built from its config. */
function withWeights<M extends Module>(model: M, architecture: Architecture, config: ModelConfig, folder: string): M {
  const checkpoint = loadCheckpoint(folder);
  const state = toTensors(architecture.renameWeights?.(checkpoint.tensors, config) ?? checkpoint.tensors);
  try {
    model.loadStateDict(state, { strict: true });
  } catch (error) {
    if (error instanceof StateDictError) {
      throw new CheckpointError(checkpoint.files.join(', '), `its weights do not fit ${architecture.name} as config.json describes it: ${error.message}`, 'check that config.json belongs to these weights');
    }
    throw error;
  } finally {
    // The weights were copied into the model; their own buffers go now (on a device, uploads).
    for (const t of state.values()) t.dispose();
  }
  return model;
}

function chooseArchitecture(config: ModelConfig, folder: string): Architecture {
  const named = config.architectures[0];
  const candidates = ARCHITECTURES.filter((a) => a.modelType === config.modelType);
  const match = candidates.find((a) => a.name === named) ?? (named ? undefined : candidates[0]);
  if (!match) {
    const known = candidates.map((a) => a.name).join(', ') || 'none';
    throw new CheckpointError(join(folder, 'config.json'), `architecture ${named ?? '(none)'} of model type ${config.modelType} is not implemented`, `irlens implements ${known} for this model type`);
  }
  return match;
}

function toTensors(records: TensorMap): Map<string, Tensor> {
  const out = new Map<string, Tensor>();
  for (const [name, record] of records) out.set(name, hostTensor(record.data, record.shape));
  return out;
}
