/**
 * irlens models → Hugging Face checkpoint folders that transformers (and irlens) load:
 * config.json naming the architecture, model.safetensors with float32 weights under transformers'
 * names, and the tokenizer files copied from a source folder.
 *
 * Nothing is half-written: the folder is written with io/atomic.ts's writeFolderAtomic, so an
 * existing checkpoint at the destination is replaced only once the new one is complete.
 */
import { copyFileSync, existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { writeFolderAtomic } from '../io/atomic.js';
import { writeConfig, type ModelConfig } from '../io/config.js';
import { CheckpointError } from '../io/errors.js';
import { modelFolderFile } from '../io/inside-folder.js';
import type { TensorMap } from '../io/record.js';
import { writeSafetensors } from '../io/safetensors.js';
import type { Module } from '../nn/index.js';
import { ARCHITECTURES, type Architecture } from './registry.js';

export interface SaveModelOptions {
  /** A folder whose tokenizer files (tokenizer.json, tokenizer_config.json, special_tokens_map.json) are copied alongside. */
  tokenizerFrom?: string;
  /** Keys added to config.json beside transformers' own (e.g. irlens_pooling for a reward model). */
  extraConfig?: Record<string, unknown>;
}

/** The tokenizer files a Hugging Face folder may hold; tokenizer.json is required when a source is given. */
export const TOKENIZER_FILES = ['tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json'] as const;

/** The registry's entry for a model instance: its class name as transformers spells it, for its model type. */
export function architectureOf(model: Module, config: ModelConfig): Architecture {
  const className = model.constructor.name;
  const match = ARCHITECTURES.find((a) => a.modelType === config.modelType && a.name === className);
  if (!match) {
    const known = ARCHITECTURES.filter((a) => a.modelType === config.modelType).map((a) => a.name).join(', ') || 'none';
    throw new CheckpointError(
      className,
      `is not an architecture irlens can save for model type ${config.modelType}`,
      `save one of the registered architectures (${known}) with the config it was built from`,
    );
  }
  return match;
}

/**
 * The weights to write: every parameter once, under its first name (as torch's named_parameters);
 * a tied weight is stored under the name transformers keeps (e.g. model.embed_tokens.weight,
 * not lm_head.weight), and transformers ties the other name to it on load.
 */
function weightsOf(model: Module): TensorMap {
  const weights: TensorMap = new Map();
  for (const [name, parameter] of model.namedParameters()) {
    weights.set(name, { dtype: 'float32', shape: [...parameter.shape], data: parameter.data });
  }
  return weights;
}

/** A folder may be replaced only when it looks like a checkpoint (or is empty): never someone's other files. */
function checkDestination(folder: string): void {
  if (!existsSync(folder)) return;
  if (!statSync(folder).isDirectory()) {
    throw new CheckpointError(folder, 'exists and is not a folder', 'choose another destination, or remove the file');
  }
  const entries = readdirSync(folder);
  if (entries.length > 0 && !entries.includes('config.json')) {
    throw new CheckpointError(
      folder,
      `exists and is not a model folder (it has no config.json but holds ${entries.slice(0, 5).join(', ')}${entries.length > 5 ? ', ...' : ''}), so it was left alone`,
      'choose an empty or new destination folder',
    );
  }
}

function copyTokenizer(source: string, destination: string): void {
  if (!existsSync(join(source, 'tokenizer.json'))) {
    throw new CheckpointError(source, 'has no tokenizer.json to copy', 'pass tokenizerFrom a folder that holds the tokenizer files (tokenizer.json, tokenizer_config.json)');
  }
  for (const name of TOKENIZER_FILES) {
    const file = modelFolderFile(source, name);
    if (existsSync(file)) copyFileSync(file, join(destination, name));
  }
}

/**
 * Saves `model` (built from `config`) as a Hugging Face folder at `folder`: config.json with
 * architectures set to the model's class, model.safetensors (float32, {"format": "pt"}), and the
 * tokenizer files of options.tokenizerFrom. The folder appears complete or not at all; an
 * existing checkpoint folder there is replaced only after the new one is fully written
 * (io/atomic.ts), and a failed write throws WriteFailedError with the previous one kept.
 */
export function saveModel(model: Module, config: ModelConfig, folder: string, options: SaveModelOptions = {}): void {
  const destination = resolve(folder);
  const architecture = architectureOf(model, config);
  if (!existsSync(dirname(destination))) {
    throw new CheckpointError(destination, `cannot be created because its parent folder ${dirname(destination)} does not exist`, 'create the parent folder first');
  }
  checkDestination(destination);
  writeFolderAtomic(destination, (staging) => {
    writeConfig(join(staging, 'config.json'), { ...config, architectures: [architecture.name] }, options.extraConfig);
    if (options.tokenizerFrom !== undefined) copyTokenizer(options.tokenizerFrom, staging);
    writeSafetensors(join(staging, 'model.safetensors'), weightsOf(model), { metadata: { format: 'pt' } });
  });
}
