/**
 * Hub repos → snapshot folders in the cache, for any kind of repo: where the cache is, offline
 * mode, the token, asking the hub which commit a revision is, downloading each blob once (locked,
 * resumable, verified) and linking it into `snapshots/<commit>/`. What a kind of repo needs (which
 * files; when a cached snapshot is complete) is its SnapshotRecipe: hub.ts has the models',
 * hub-dataset.ts the data sets'.
 *
 * Environment, as huggingface_hub reads it: `HF_HUB_CACHE` / `HF_HOME` (where the cache is),
 * `HF_ENDPOINT` (which hub), `HF_TOKEN` (or the token file `$HF_HOME/token`), `HF_HUB_OFFLINE`
 * (never touch the network), `HF_HUB_DISABLE_PROGRESS_BARS`.
 */
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { COMMIT_HASH, RepoCache, envFlag, hfHome, hubCacheDir, withLock, type Env } from './hub-cache.js';
import { HubClient, type RepoInfo } from './hub-client.js';
import { HubConnectionError, HubError, HubOfflineError, RepoIdError, localAlternative, repoNoun, type RepoType } from './hub-errors.js';
import { defaultReporter, silentReporter, type DownloadReporter } from './progress.js';

export interface HubOptions {
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
   * Off by default: a cached repo loads without any request (pass a commit hash to pin one).
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

export interface ResolvedSnapshot {
  /** The folder to read: a local path, or the cache's `snapshots/<commit>`. */
  folder: string;
  /** `local`: a path on disk; `cache`: the cache had it all; `hub`: something was downloaded. */
  source: 'local' | 'cache' | 'hub';
  repoId?: string;
  revision?: string;
  commit?: string;
  /** Files fetched over the network in this call. */
  downloaded: string[];
}

/** What resolveSnapshot hands a recipe to download with. */
export interface SnapshotDownload {
  /** The repo as the user wrote it, for messages. */
  spec: string;
  commit: string;
  /** Every file the revision holds, as paths from the repo root. */
  siblings: readonly string[];
  /** Downloads these files (those the snapshot lacks), then links them all into the snapshot. */
  fetchFiles(files: readonly string[]): Promise<void>;
  /** Where a file of the snapshot is (once fetched). */
  snapshotPath(file: string): string;
}

/** What one kind of repo needs from the cache and the hub. */
export interface SnapshotRecipe {
  repoType: RepoType;
  /** What a cached snapshot folder still lacks to be usable, or undefined when it is complete. */
  missing(cache: RepoCache, commit: string): string | undefined;
  /** Chooses the files to fetch from the revision's listing and fetches them. */
  download(job: SnapshotDownload): Promise<void>;
}

export const DEFAULT_ENDPOINT = 'https://huggingface.co';

const EXAMPLE_IDS: Record<RepoType, string> = { model: 'EleutherAI/pythia-70m', dataset: 'jaredjoss/jigsaw-long-2000' };

/** Whether `repoId` has the shape of a hub id: `name` or `owner/name`, the characters and rules of the hub. */
export function isRepoIdShaped(repoId: string): boolean {
  return /^(?:[A-Za-z0-9_.-]+\/)?[A-Za-z0-9_.-]+$/.test(repoId) && !repoId.includes('--') && !repoId.includes('..') && repoId.length <= 96 && !/(^|\/)[-.]|[-.](\/|$)/.test(repoId);
}

/** `org/name@rev` → `{ repoId: 'org/name', revision: 'rev' }`; the option must agree with `@rev`. */
export function parseRepoId(spec: string, repoType: RepoType, revisionOption?: string): { repoId: string; revision: string } {
  const at = spec.indexOf('@');
  const repoId = at < 0 ? spec : spec.slice(0, at);
  const inline = at < 0 ? undefined : spec.slice(at + 1);
  if (!isRepoIdShaped(repoId)) {
    const local = repoType === 'model' ? 'a checkpoint folder' : 'a data file or folder';
    throw new RepoIdError(spec, `is neither an existing local path nor a Hugging Face ${repoNoun(repoType)} id`, `pass ${local} that exists, or an id like ${EXAMPLE_IDS[repoType]} (optionally @branch, @tag or @commit)`);
  }
  if (inline !== undefined && inline === '') throw new RepoIdError(spec, "has an '@' but no revision after it", 'write owner/name@revision, or leave out the @');
  if (inline !== undefined && revisionOption !== undefined && inline !== revisionOption) {
    throw new RepoIdError(spec, `names revision '${inline}' but the revision option says '${revisionOption}'`, 'give the revision in one place only');
  }
  const revision = inline ?? revisionOption ?? 'main';
  if (revision.split('/').some((part) => part === '' || part === '.' || part === '..')) {
    throw new RepoIdError(spec, `revision '${revision}' is not a valid branch, tag or commit name`, 'pass a branch, tag or commit hash as shown on its hub page');
  }
  return { repoId, revision };
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

/** Why the cache cannot serve `revision`, for messages (undefined: it can). */
function whyNotCached(cache: RepoCache, recipe: SnapshotRecipe, revision: string): string | undefined {
  const commit = cache.commitFor(revision);
  if (commit === undefined) return `no ${cache.refPath(revision)} says which commit '${revision}' is`;
  const missing = recipe.missing(cache, commit);
  return missing === undefined ? undefined : `snapshot ${commit} lacks ${missing}`;
}

function makeClient(spec: string, repoId: string, repoType: RepoType, options: HubOptions, env: Env, reporter: DownloadReporter): HubClient {
  return new HubClient(spec, repoId, {
    endpoint: (options.endpoint ?? env.HF_ENDPOINT ?? DEFAULT_ENDPOINT).replace(/\/+$/, ''),
    repoType,
    token: options.token ?? (env.HF_TOKEN || env.HUGGING_FACE_HUB_TOKEN || readTokenFile(env)),
    reporter,
    retries: options.retries,
    retryDelayMs: options.retryDelayMs,
    idleTimeoutMs: options.idleTimeoutMs,
    fetch: options.fetch,
  });
}

/**
 * Downloads the blobs of `files` the snapshot lacks (each under a lock, so two processes never
 * write the same one), and only then links them all into the snapshot: a snapshot never shows
 * some of a batch's files without the others. Returns the files it downloaded.
 */
async function fetchIntoSnapshot(client: HubClient, cache: RepoCache, commit: string, files: readonly string[]): Promise<string[]> {
  const downloaded: string[] = [];
  const links: Array<[file: string, etag: string]> = [];
  for (const file of files) {
    if (cache.hasFile(commit, file)) continue;
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
    links.push([file, metadata.etag]);
  }
  for (const [file, etag] of links) cache.linkSnapshotFile(commit, file, etag);
  return downloaded;
}

/** A hub id resolved to a complete snapshot in the cache, downloading what the cache lacks. */
export async function resolveSnapshot(spec: string, recipe: SnapshotRecipe, options: HubOptions = {}): Promise<ResolvedSnapshot> {
  const env = options.env ?? process.env;
  const { repoType } = recipe;
  const { repoId, revision } = parseRepoId(spec, repoType, options.revision);
  const cache = new RepoCache(options.cacheDir ?? hubCacheDir(env), repoId, repoType);
  const offline = options.offline ?? (envFlag(env.HF_HUB_OFFLINE) || envFlag(env.TRANSFORMERS_OFFLINE));

  const cached = (): ResolvedSnapshot | undefined => {
    if (whyNotCached(cache, recipe, revision) !== undefined) return undefined;
    const commit = cache.commitFor(revision)!;
    return { folder: cache.snapshotDir(commit), source: 'cache', repoId, revision, commit, downloaded: [] };
  };

  if (offline || !options.refresh) {
    const hit = cached();
    if (hit) return hit;
    if (offline) throw new HubOfflineError(spec, revision, cache.root, whyNotCached(cache, recipe, revision)!, repoType);
  }

  const reporter = options.reporter ?? (envFlag(env.HF_HUB_DISABLE_PROGRESS_BARS) ? silentReporter : defaultReporter());
  const client = makeClient(spec, repoId, repoType, options, env, reporter);
  try {
    let info: RepoInfo;
    try {
      info = await client.repoInfo(revision);
    } catch (error) {
      if (!(error instanceof HubConnectionError)) throw error;
      // An unreachable hub falls back to a complete cached snapshot (there is one only with refresh on).
      const hit = cached();
      if (hit) {
        reporter.note(`${spec}: the hub is unreachable; using the cached snapshot ${hit.commit}`);
        return hit;
      }
      throw new HubConnectionError(
        spec,
        `${error.problem}, and revision '${revision}' is not in the cache at ${cache.root} (${whyNotCached(cache, recipe, revision)})`,
        `download it once with network access (or point HF_HUB_CACHE at a cache that has it), or ${localAlternative(repoType)}`,
      );
    }
    const commit = info.sha;
    if (COMMIT_HASH.test(revision) && revision !== commit) {
      throw new HubError(spec, `asked for commit ${revision} but the hub answered with ${commit}`, 'check HF_ENDPOINT: it must point at a Hugging Face hub');
    }
    mkdirSync(cache.root, { recursive: true });
    cache.writeRef(revision, commit);
    const downloaded: string[] = [];
    await recipe.download({
      spec,
      commit,
      siblings: info.siblings,
      fetchFiles: async (files) => void downloaded.push(...(await fetchIntoSnapshot(client, cache, commit, files))),
      snapshotPath: (file) => cache.pointerPath(commit, file),
    });
    return { folder: cache.snapshotDir(commit), source: downloaded.length > 0 ? 'hub' : 'cache', repoId, revision, commit, downloaded };
  } finally {
    reporter.close();
  }
}
