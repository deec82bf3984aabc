/**
 * What a data input names: a local file, a local folder of data files, or a data set on the
 * Hugging Face hub. The rule, in order:
 *
 * 1. An input that exists on disk is local: a file is read as it is; a folder is read as the data
 *    files under it (a downloaded or cloned data set repo, say).
 * 2. Otherwise an input shaped like a hub data set id — `owner/name`, optionally `@revision`, whose
 *    name does not end in a data file extension (.csv, .parquet, ...) — is fetched from the hub
 *    (or found in its cache; HF_HUB_OFFLINE, HF_TOKEN and HF_ENDPOINT are honoured).
 * 3. Anything else is a local path that does not exist.
 *
 * So `data/train.csv` and `./owner/name` are always paths, and a folder named like an id that
 * exists here shadows the hub data set.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { filesUnder } from '../io/hub-cache.js';
import { resolveDataset } from '../io/hub-dataset.js';
import { isRepoIdShaped, type HubOptions } from '../io/hub-snapshot.js';
import { MissingFileError } from './errors.js';
import { formatFromPath } from './read.js';

/** Where a data input's files came from. */
export interface ResolvedInput {
  /** The input as given. */
  input: string;
  /** The data files to read, in order. */
  files: string[];
  /** `local`: a file or folder on disk; `cache`: the hub cache had the data set; `hub`: it was downloaded. */
  source: 'local' | 'cache' | 'hub';
  /** For a hub data set: which one, at which commit, and each file's path in the repo (in `files` order). */
  dataset?: { id: string; revision: string; commit: string; repoFiles: string[] };
}

/** JSON files that data set repos (and the datasets library's save_to_disk) keep beside the data, not data. */
const METADATA_FILES = new Set(['dataset_infos.json', 'dataset_info.json', 'dataset_dict.json', 'state.json']);

/** Whether a file in a data set repo or folder holds data irlens reads (by its name). */
export function isDataFilePath(path: string): boolean {
  const parts = path.split('/');
  const name = parts[parts.length - 1]!;
  return formatFromPath(name) !== undefined && !METADATA_FILES.has(name) && !parts.some((part) => part.startsWith('.'));
}

/** Rule 2 above, for an input that does not exist on disk: is it a hub data set id? */
export function isHubDatasetId(input: string): boolean {
  const id = input.split('@', 1)[0]!;
  return id.split('/').length === 2 && isRepoIdShaped(id) && formatFromPath(id) === undefined;
}

/** The data files under a local folder, or an error saying there are none. */
function dataFilesInFolder(folder: string): string[] {
  const files = filesUnder(folder).filter(isDataFilePath);
  if (files.length === 0) {
    throw new MissingFileError(folder, 'this folder holds no data file (.csv, .tsv, .json, .jsonl or .parquet, optionally .gz, outside dot-folders)', 'pass a data file, or a folder that holds some');
  }
  return files.map((file) => join(folder, ...file.split('/')));
}

/** One input → the files to read, downloading a hub data set into the cache if needed. */
export async function resolveDataInput(input: string, hub: HubOptions = {}): Promise<ResolvedInput> {
  if (existsSync(input)) {
    return { input, files: statSync(input).isDirectory() ? dataFilesInFolder(input) : [input], source: 'local' };
  }
  if (!isHubDatasetId(input)) {
    throw new MissingFileError(input, 'no such file or folder', 'check the path (relative paths are resolved from the current folder), or give a Hugging Face data set id as owner/name');
  }
  const resolved = await resolveDataset(input, isDataFilePath, hub);
  return {
    input,
    files: resolved.files,
    source: resolved.source === 'hub' ? 'hub' : 'cache',
    dataset: { id: resolved.repoId!, revision: resolved.revision!, commit: resolved.commit!, repoFiles: resolved.repoFiles },
  };
}

/** Every input, one after another (for the same data set twice, the second is a cache hit). */
export async function resolveDataInputs(inputs: readonly string[], hub: HubOptions = {}): Promise<ResolvedInput[]> {
  const resolved: ResolvedInput[] = [];
  for (const input of inputs) resolved.push(await resolveDataInput(input, hub));
  return resolved;
}
