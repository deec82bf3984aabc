/**
 * Finds and reads the weights of a Hugging Face checkpoint folder, in the order transformers
 * prefers them: model.safetensors, its sharded index, pytorch_model.bin, its sharded index.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { CheckpointError } from './errors.js';
import { insideFolder, modelFolderFile } from './inside-folder.js';
import { previewJson } from './preview.js';
import type { TensorMap } from './record.js';
import { readSafetensors } from './safetensors.js';
import { readTorchBin } from './torch-bin.js';

export type CheckpointFormat = 'safetensors' | 'safetensors-sharded' | 'torch-bin' | 'torch-bin-sharded';

export interface LoadedCheckpoint {
  tensors: TensorMap;
  format: CheckpointFormat;
  /** The weight files read, in reading order. */
  files: string[];
}

const CANDIDATES: ReadonlyArray<{ name: string; format: CheckpointFormat }> = [
  { name: 'model.safetensors', format: 'safetensors' },
  { name: 'model.safetensors.index.json', format: 'safetensors-sharded' },
  { name: 'pytorch_model.bin', format: 'torch-bin' },
  { name: 'pytorch_model.bin.index.json', format: 'torch-bin-sharded' },
];

const INDEX_HINT = 'check that it is the JSON index transformers writes next to the shards';

/**
 * The shards a sharded checkpoint's index (`{"weight_map": {name: shard file}}`) lists, each with
 * the tensor names it holds. Every shard must lie inside the index's folder.
 */
export function readWeightMap(indexFile: string): Map<string, string[]> {
  let index: unknown;
  try {
    index = JSON.parse(readFileSync(indexFile, 'utf8'));
  } catch (error) {
    throw new CheckpointError(indexFile, `cannot read the shard index (${(error as Error).message})`, INDEX_HINT);
  }
  const weightMap = (index as { weight_map?: unknown } | null)?.weight_map;
  if (typeof weightMap !== 'object' || weightMap === null || Array.isArray(weightMap)) {
    throw new CheckpointError(indexFile, 'the shard index has no "weight_map" object', INDEX_HINT);
  }
  const folder = dirname(indexFile);
  const shards = new Map<string, string[]>();
  for (const [name, shard] of Object.entries(weightMap)) {
    if (typeof shard !== 'string' || shard === '') {
      throw new CheckpointError(indexFile, `weight_map sends '${name}' to ${previewJson(shard)}, which is not a file name`, INDEX_HINT);
    }
    insideFolder(folder, shard, { file: indexFile, entry: `weight_map entry '${name}'` });
    shards.set(shard, [...(shards.get(shard) ?? []), name]);
  }
  return shards;
}

/**
 * Reads a sharded checkpoint from its index: each shard is read once, every name the index lists
 * must be in its shard, and no name may be in two.
 */
export function readShardedCheckpoint(indexFile: string, readShard: (file: string) => TensorMap): { tensors: TensorMap; files: string[] } {
  const folder = dirname(indexFile);
  const tensors: TensorMap = new Map();
  const files: string[] = [];
  for (const [shard, names] of readWeightMap(indexFile)) {
    const file = join(folder, shard);
    const shardTensors = readShard(file);
    files.push(file);
    for (const name of names) {
      if (!shardTensors.has(name)) throw new CheckpointError(indexFile, `weight_map puts '${name}' in ${shard}, which has no such tensor`, 'the index and the shards do not match; download the checkpoint again');
    }
    for (const [name, record] of shardTensors) {
      if (tensors.has(name)) throw new CheckpointError(file, `tensor '${name}' is also in another shard`, 'the shards do not match; download the checkpoint again');
      tensors.set(name, record);
    }
  }
  return { tensors, files };
}

/** Reads the weights of a checkpoint folder into records keyed by parameter name. */
export function loadCheckpoint(folder: string): LoadedCheckpoint {
  if (!existsSync(folder) || !statSync(folder).isDirectory()) {
    throw new CheckpointError(folder, 'is not a folder', 'pass the folder that holds config.json and the weights');
  }
  for (const { name, format } of CANDIDATES) {
    const file = modelFolderFile(folder, name);
    if (!existsSync(file)) continue;
    switch (format) {
      case 'safetensors':
        return { tensors: readSafetensors(file), format, files: [file] };
      case 'torch-bin':
        return { tensors: readTorchBin(file), format, files: [file] };
      case 'safetensors-sharded':
        return { ...readShardedCheckpoint(file, (shard) => readSafetensors(shard)), format };
      case 'torch-bin-sharded':
        return { ...readShardedCheckpoint(file, readTorchBin), format };
    }
  }
  const present = readdirSync(folder).sort().join(', ') || 'nothing';
  throw new CheckpointError(
    folder,
    `has no weights: expected one of ${CANDIDATES.map((c) => c.name).join(', ')} but found ${present}`,
    'point irlens at a Hugging Face checkpoint folder',
  );
}
