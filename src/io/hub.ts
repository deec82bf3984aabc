/**
 * Model ids → local checkpoint folders. `resolveModel('EleutherAI/pythia-70m')` downloads the
 * files a model needs (config, generation config, tokenizer, weights — never the whole repo) into
 * the cache huggingface_hub shares with transformers (see hub-cache.ts and hub-snapshot.ts), and
 * returns the snapshot folder; a local folder is returned as it is.
 */
import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { readWeightMap } from './checkpoint.js';
import { CheckpointError } from './errors.js';
import { HubRepoContentError } from './hub-errors.js';
import { parseRepoId, resolveSnapshot, type HubOptions, type ResolvedSnapshot, type SnapshotDownload, type SnapshotRecipe } from './hub-snapshot.js';

export type ResolvedModel = ResolvedSnapshot;

/** Files besides the weights that a model (and its tokenizer) may need, in download order. */
export const MODEL_SIDE_FILES = [
  'config.json',
  'generation_config.json',
  'tokenizer.json',
  'tokenizer_config.json',
  'special_tokens_map.json',
  'added_tokens.json',
  'vocab.json',
  'merges.txt',
  'vocab.txt',
  'tokenizer.model',
  'spiece.model',
  'sentencepiece.bpe.model',
] as const;

/** Weight files in the order transformers (and io/checkpoint.ts) prefers them. */
export const WEIGHT_FILES = ['model.safetensors', 'model.safetensors.index.json', 'pytorch_model.bin', 'pytorch_model.bin.index.json'] as const;

/** `org/name@rev` → `{ repoId: 'org/name', revision: 'rev' }`; the option must agree with `@rev`. */
export function parseModelId(spec: string, revisionOption?: string): { repoId: string; revision: string } {
  return parseRepoId(spec, 'model', revisionOption);
}

/**
 * The files to fetch from a repo listing: the side files it has, then the first weight format
 * it has. A sharded index comes back as `weightIndex`: its shards are known only once it is read.
 */
export function selectModelFiles(modelId: string, siblings: readonly string[]): { files: string[]; weightIndex?: string } {
  const present = new Set(siblings);
  if (!present.has('config.json')) {
    throw new HubRepoContentError(modelId, 'the repo has no config.json at its root, so it is not a transformers model', 'check the id; irlens loads Hugging Face checkpoint repos (config.json + weights)');
  }
  const weights = WEIGHT_FILES.find((name) => present.has(name));
  if (!weights) {
    throw new HubRepoContentError(modelId, `the repo has none of ${WEIGHT_FILES.join(', ')} at its root`, 'irlens reads safetensors and PyTorch .bin checkpoints; pick a revision or repo that has one');
  }
  const files = MODEL_SIDE_FILES.filter((name) => present.has(name)) as string[];
  files.push(weights);
  return { files, weightIndex: weights.endsWith('.index.json') ? weights : undefined };
}

/**
 * What a snapshot folder still lacks to be loadable (config.json and one complete weight
 * format), or undefined when it has it all.
 */
export function missingFromSnapshot(folder: string): string | undefined {
  if (!existsSync(join(folder, 'config.json'))) return 'config.json';
  for (const name of WEIGHT_FILES) {
    const path = join(folder, name);
    if (!existsSync(path)) continue;
    if (!name.endsWith('.index.json')) return undefined;
    let shards: string[];
    try {
      shards = [...readWeightMap(path).keys()];
    } catch {
      return `a readable ${name}`;
    }
    const missing = shards.find((shard) => !existsSync(join(folder, shard)));
    return missing;
  }
  return `weights (${WEIGHT_FILES.join(', ')})`;
}

/** Does this look like a filesystem path rather than a hub id? */
function looksLikePath(spec: string): boolean {
  return /^(\.{1,2}([/\\]|$)|[/\\~])/.test(spec) || spec.includes('\\') || spec.split('/').length > 2 || /^[A-Za-z]:/.test(spec);
}

function checkLocalFolder(path: string): string {
  const folder = resolve(path);
  if (!statSync(folder).isDirectory()) {
    throw new CheckpointError(folder, 'is a file, not a checkpoint folder', 'pass the folder that holds config.json and the weights');
  }
  if (!existsSync(join(folder, 'config.json'))) {
    throw new CheckpointError(folder, 'has no config.json, so it is not a Hugging Face checkpoint folder', 'pass the folder that holds config.json and the weights (or a hub id like EleutherAI/pythia-70m)');
  }
  return folder;
}

/** Fetches the side files and the first weight format of a listing, then a sharded index's shards. */
async function downloadModel(job: SnapshotDownload): Promise<void> {
  const { files, weightIndex } = selectModelFiles(job.spec, job.siblings);
  await job.fetchFiles(files);
  if (weightIndex === undefined) return;
  const listed = new Set(job.siblings);
  const shards = [...readWeightMap(job.snapshotPath(weightIndex)).keys()];
  const absent = shards.find((shard) => !listed.has(shard));
  if (absent !== undefined) {
    throw new HubRepoContentError(job.spec, `${weightIndex} at commit ${job.commit} names the shard ${absent}, which the repo does not have`, 'the checkpoint in this revision is broken; pick another revision');
  }
  await job.fetchFiles(shards);
}

const MODEL_RECIPE: SnapshotRecipe = {
  repoType: 'model',
  missing: (cache, commit) => missingFromSnapshot(cache.snapshotDir(commit)),
  download: downloadModel,
};

/** A local folder, or a model id resolved to its cache snapshot (downloading what is missing). */
export async function resolveModel(idOrPath: string, options: HubOptions = {}): Promise<string> {
  return (await resolveModelDetails(idOrPath, options)).folder;
}

/** `resolveModel`, telling also where the folder came from and what was downloaded. */
export async function resolveModelDetails(idOrPath: string, options: HubOptions = {}): Promise<ResolvedModel> {
  if (existsSync(idOrPath)) return { folder: checkLocalFolder(idOrPath), source: 'local', downloaded: [] };
  if (looksLikePath(idOrPath)) {
    throw new CheckpointError(resolve(idOrPath), 'does not exist', 'pass an existing checkpoint folder, or a hub id like EleutherAI/pythia-70m');
  }
  return resolveSnapshot(idOrPath, MODEL_RECIPE, options);
}
