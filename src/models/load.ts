/**
 * Hugging Face checkpoint folders → irlens models. The folder's config.json chooses the
 * architecture; its weights are read by io/ and copied into a freshly built model whose
 * parameter names match transformers'.
 */
import { loadCheckpoint } from '../io/checkpoint.js';
import { readConfig, type ModelConfig } from '../io/config.js';
import { CheckpointError } from '../io/errors.js';
import type { TensorMap } from '../io/record.js';
import type { Module } from '../nn/index.js';
import { StateDictError } from '../nn/index.js';
import { Tensor } from '../tensor/index.js';
import { join } from 'node:path';
import { ARCHITECTURES, type Architecture } from './registry.js';

export interface LoadedModel<M extends Module = Module> {
  model: M;
  config: ModelConfig;
  architecture: Architecture;
}

/** Loads the model in a local Hugging Face folder (config.json + weights). */
export function loadModel(folder: string): LoadedModel {
  const config = readConfig(folder);
  const architecture = chooseArchitecture(config, folder);
  const model = architecture.create(config);
  const checkpoint = loadCheckpoint(folder);
  const state = toTensors(architecture.renameWeights?.(checkpoint.tensors, config) ?? checkpoint.tensors);
  try {
    model.loadStateDict(state, { strict: true });
  } catch (error) {
    if (error instanceof StateDictError) {
      throw new CheckpointError(checkpoint.files.join(', '), `its weights do not fit ${architecture.name} as config.json describes it: ${error.message}`, 'check that config.json belongs to these weights');
    }
    throw error;
  }
  return { model, config, architecture };
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
  for (const [name, record] of records) out.set(name, new Tensor(record.data, record.shape));
  return out;
}
