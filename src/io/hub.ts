/**
 * Model ids → local checkpoint folders. `resolveModel('EleutherAI/pythia-70m')` downloads the
 * files a model needs (config, generation config, tokenizer, weights — never the whole repo) into
 * the cache huggingface_hub shares with transformers (see hub-cache.ts), and returns the snapshot
 * folder; a local folder is returned as it is.
 *
 * Environment, as huggingface_hub reads it: `HF_HUB_CACHE` / `HF_HOME` (where the cache is),
 * `HF_ENDPOINT` (which hub), `HF_TOKEN` (or the token file `$HF_HOME/token`), `HF_HUB_OFFLINE`
 * (never touch the network), `HF_HUB_DISABLE_PROGRESS_BARS`.
 */
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CheckpointError } from './errors.js';
import { COMMIT_HASH, RepoCache, envFlag, hfHome, hubCacheDir, withLock, type Env } from './hub-cache.js';
import { HubClient } from './hub-client.js';
import { HubConnectionError, HubError, HubOfflineError, HubRepoContentError, ModelIdError } from './hub-errors.js';
import { defaultReporter, silentReporter, type DownloadReporter } from './progress.js';

export interface ResolveModelOptions {
  /** A branch, tag or commit hash (default `main`, or what follows `@` in the id). */
  revision?: string;
  /** Access token; default `HF_TOKEN`, then the token file huggingface-cli writes. */
  token?: string;
  /** The cache root; default `HF_HUB_CACHE`, else `$HF_HOME/hub`, else `~/.cache/huggingface/hub`. */
  cacheDir?: string;
  /** The hub; default `HF_ENDPOINT`, else https://huggingface.co. */
  endpoint?: string;
  /** Use only the cache (default: `HF_HUB_OFFLINE`). */
  offline?: boolean;
  /**
   * Ask the hub where a branch points now even when the cache holds a complete snapshot for it.
   * Off by default: a cached model loads without any request (pass a commit hash to pin one).
   */
  refresh?: boolean;
  /** How downloads are shown; default bars on a terminal, plain lines otherwise. */
  reporter?: DownloadReporter;
  /** Environment variables to read instead of process.env. */
  env?: Env;
  /** Tries after a failed transfer (default 5), the first wait (default 1000 ms, doubling), the stall timeout (default 60 s). */
  retries?: number;
  retryDelayMs?: number;
  idleTimeoutMs?: number;
  fetch?: typeof fetch;
}

export interface ResolvedModel {
  /** The folder to load: the local folder, or the cache's `snapshots/<commit>`. */
  folder: string;
  /** `local`: a folder on disk; `cache`: the cache had it all; `hub`: something was downloaded. */
  source: 'local' | 'cache' | 'hub';
  repoId?: string;
  revision?: string;
  commit?: string;
  /** Files fetched over the network in this call. */
  downloaded: string[];
}

export const DEFAULT_ENDPOINT = 'https://huggingface.co';

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

/** `org/name@rev` → `{ repoId: 'org/name', revision: 'rev' }`; the option wins over nothing, and must agree with `@rev`. */
export function parseModelId(spec: string, revisionOption?: string): { repoId: string; revision: string } {
  const at = spec.indexOf('@');
  const repoId = at < 0 ? spec : spec.slice(0, at);
  const inline = at < 0 ? undefined : spec.slice(at + 1);
  const valid = /^(?:[A-Za-z0-9_.-]+\/)?[A-Za-z0-9_.-]+$/.test(repoId) && !repoId.includes('--') && !repoId.includes('..') && repoId.length <= 96 && !/(^|\/)[-.]|[-.](\/|$)/.test(repoId);
  if (!valid) {
    throw new ModelIdError(spec, 'is neither an existing local folder nor a Hugging Face model id', 'pass a checkpoint folder that exists, or an id like EleutherAI/pythia-70m (optionally @branch, @tag or @commit)');
  }
  if (inline !== undefined && inline === '') throw new ModelIdError(spec, "has an '@' but no revision after it", 'write org/name@revision, or leave out the @');
  if (inline !== undefined && revisionOption !== undefined && inline !== revisionOption) {
    throw new ModelIdError(spec, `names revision '${inline}' but the revision option says '${revisionOption}'`, 'give the revision in one place only');
  }
  const revision = inline ?? revisionOption ?? 'main';
  if (revision.split('/').some((part) => part === '' || part === '.' || part === '..')) {
    throw new ModelIdError(spec, `revision '${revision}' is not a valid branch, tag or commit name`, 'pass a branch, tag or commit hash as shown on the model page');
  }
  return { repoId, revision };
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

/** The shard files a sharded index lists (plain file names next to it, each once). */
export function shardsOfIndex(indexFile: string): string[] {
  let index: unknown;
  try {
    index = JSON.parse(readFileSync(indexFile, 'utf8'));
  } catch (error) {
    throw new CheckpointError(indexFile, `cannot read the shard index (${(error as Error).message})`, 'delete it from the cache and download again');
  }
  const weightMap = (index as { weight_map?: unknown } | null)?.weight_map;
  if (typeof weightMap !== 'object' || weightMap === null || Array.isArray(weightMap)) {
    throw new CheckpointError(indexFile, 'the shard index has no "weight_map" object', 'check that it is the JSON index transformers writes next to the shards');
  }
  const shards = new Set<string>();
  for (const [name, shard] of Object.entries(weightMap)) {
    if (typeof shard !== 'string' || shard === '' || /[/\\]/.test(shard) || shard === '.' || shard === '..') {
      throw new CheckpointError(indexFile, `weight_map sends '${name}' to ${JSON.stringify(shard)}, which is not a file name next to the index`);
    }
    shards.add(shard);
  }
  return [...shards];
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
      shards = shardsOfIndex(path);
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

function readTokenFile(env: Env): string | undefined {
  const path = env.HF_TOKEN_PATH || join(hfHome(env), 'token');
  try {
    const token = readFileSync(path, 'utf8').trim();
    return token || undefined;
  } catch {
    return undefined;
  }
}

/** A local folder, or a model id resolved to its cache snapshot (downloading what is missing). */
export async function resolveModel(idOrPath: string, options: ResolveModelOptions = {}): Promise<string> {
  return (await resolveModelDetails(idOrPath, options)).folder;
}

/** `resolveModel`, telling also where the folder came from and what was downloaded. */
export async function resolveModelDetails(idOrPath: string, options: ResolveModelOptions = {}): Promise<ResolvedModel> {
  if (existsSync(idOrPath)) return { folder: checkLocalFolder(idOrPath), source: 'local', downloaded: [] };
  if (looksLikePath(idOrPath)) {
    throw new CheckpointError(resolve(idOrPath), 'does not exist', 'pass an existing checkpoint folder, or a hub id like EleutherAI/pythia-70m');
  }
  const env = options.env ?? process.env;
  const { repoId, revision } = parseModelId(idOrPath, options.revision);
  const cache = new RepoCache(options.cacheDir ?? hubCacheDir(env), repoId);
  const offline = options.offline ?? (envFlag(env.HF_HUB_OFFLINE) || envFlag(env.TRANSFORMERS_OFFLINE));

  const cached = (): ResolvedModel | undefined => {
    const commit = cache.commitFor(revision);
    if (commit === undefined || missingFromSnapshot(cache.snapshotDir(commit)) !== undefined) return undefined;
    return { folder: cache.snapshotDir(commit), source: 'cache', repoId, revision, commit, downloaded: [] };
  };

  if (offline) {
    const hit = cached();
    if (hit) return hit;
    const commit = cache.commitFor(revision);
    const detail =
      commit === undefined
        ? `no ${cache.refPath(revision)} says which commit '${revision}' is`
        : `snapshot ${commit} lacks ${missingFromSnapshot(cache.snapshotDir(commit))}`;
    throw new HubOfflineError(idOrPath, revision, cache.root, detail);
  }
  if (!options.refresh) {
    const hit = cached();
    if (hit) return hit;
  }

  const reporter = options.reporter ?? (envFlag(env.HF_HUB_DISABLE_PROGRESS_BARS) ? silentReporter : defaultReporter());
  const client = new HubClient(idOrPath, repoId, {
    endpoint: (options.endpoint ?? env.HF_ENDPOINT ?? DEFAULT_ENDPOINT).replace(/\/+$/, ''),
    token: options.token ?? (env.HF_TOKEN || env.HUGGING_FACE_HUB_TOKEN || readTokenFile(env)),
    reporter,
    retries: options.retries,
    retryDelayMs: options.retryDelayMs,
    idleTimeoutMs: options.idleTimeoutMs,
    fetch: options.fetch,
  });
  try {
    let info;
    try {
      info = await client.modelInfo(revision);
    } catch (error) {
      // With refresh on, an unreachable hub falls back to a complete cached snapshot.
      const hit = options.refresh && error instanceof HubConnectionError ? cached() : undefined;
      if (!hit) throw error;
      reporter.note(`${idOrPath}: the hub is unreachable; using the cached snapshot ${hit.commit}`);
      return hit;
    }
    const commit = info.sha;
    if (COMMIT_HASH.test(revision) && revision !== commit) {
      throw new HubError(idOrPath, `asked for commit ${revision} but the hub answered with ${commit}`, 'check HF_ENDPOINT: it must point at a Hugging Face hub');
    }
    mkdirSync(cache.root, { recursive: true });
    cache.writeRef(revision, commit);

    const downloaded: string[] = [];
    const fetchFile = async (file: string) => {
      if (cache.hasFile(commit, file)) return;
      const metadata = await client.fileMetadata(commit, file);
      const blob = cache.blobPath(metadata.etag);
      const blobUsable = () => existsSync(blob) && (metadata.size === undefined || statSync(blob).size === metadata.size);
      if (!blobUsable()) {
        mkdirSync(join(cache.root, 'blobs'), { recursive: true });
        await withLock(cache.lockPath(metadata.etag), async () => {
          // Another process may have fetched it while this one waited for the lock.
          if (blobUsable()) return;
          await client.downloadBlob(file, metadata, blob);
          downloaded.push(file);
        });
      }
      cache.linkSnapshotFile(commit, file, metadata.etag);
    };

    const { files, weightIndex } = selectModelFiles(idOrPath, info.siblings);
    for (const file of files) await fetchFile(file);
    if (weightIndex) {
      const listed = new Set(info.siblings);
      for (const shard of shardsOfIndex(cache.pointerPath(commit, weightIndex))) {
        if (!listed.has(shard)) {
          throw new HubRepoContentError(idOrPath, `${weightIndex} at commit ${commit} names the shard ${shard}, which the repo does not have`, 'the checkpoint in this revision is broken; pick another revision');
        }
        await fetchFile(shard);
      }
    }
    return { folder: cache.snapshotDir(commit), source: downloaded.length > 0 ? 'hub' : 'cache', repoId, revision, commit, downloaded };
  } finally {
    reporter.close();
  }
}
